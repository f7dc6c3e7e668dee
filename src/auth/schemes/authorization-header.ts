/**
 * How DRF reads the Authorization header: `get_authorization_header(request).split()`, i.e. the header's bytes
 * split on runs of ASCII whitespace (Python's bytes.split() with no argument: space, \t, \n, \r, \v, \f), with
 * leading and trailing whitespace ignored. uWS hands header values over one character per byte (latin-1), as
 * Django's WSGI environ does, so the same split on the string gives the same parts.
 */
// eslint-disable-next-line no-control-regex -- vertical tab and form feed are whitespace to Python
const PYTHON_BYTES_WHITESPACE = /[ \t\n\r\x0b\x0c]+/;

export function splitAuthorization(header: string): string[] {
  const parts = header.split(PYTHON_BYTES_WHITESPACE);
  // A leading or trailing separator leaves an empty part at that end; Python drops them.
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length > 0 && parts[0] === '') parts.shift();
  return parts;
}

/** Whether `text` holds no Python-bytes whitespace (the common single-token case, checked before splitting). */
export function hasNoWhitespace(text: string): boolean {
  return !PYTHON_BYTES_WHITESPACE.test(text);
}

/**
 * `word.lower() == keyword.lower()` on bytes: only ASCII letters change case. `keywordLower` is already lower
 * case ASCII. Latin-1 letters lower-case to other non-ASCII letters in JavaScript, so they can never turn a
 * word into an ASCII keyword: toLowerCase() is safe here.
 */
export function isKeyword(word: string, keywordLower: string): boolean {
  return word.length === keywordLower.length && word.toLowerCase() === keywordLower;
}
