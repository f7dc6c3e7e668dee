/**
 * JSON text as PyJWT writes it: json.dumps(value, separators=(",", ":")), so the bytes of a token Gatehouse
 * signs are the bytes simplejwt would sign for the same claims. JSON.stringify already matches Python for
 * compact separators, control-character escapes (\b \f \n \r \t, else \u00xx in lowercase hex) and lone
 * surrogates; the one difference is Python's default ensure_ascii=True, which writes every non-ASCII
 * character, and DEL, as \uxxxx (lowercase hex, UTF-16 code units). Key order is the caller's (Python dicts keep
 * insertion order; PyJWT sorts only the header, which signer.ts builds sorted).
 *
 * Not reproduced: Python's float spelling (1e+21 vs 1e21, 1.0 vs 1); token claims are integers and strings.
 */

/**
 * Python's ensure_ascii pattern ([^\ -~]): everything outside ' '..'~', so DEL (0x7f) too. Control characters
 * never reach it, JSON.stringify has escaped them already.
 */
const HAS_NON_ASCII = /[^ -~]/;
const NON_ASCII = /[^ -~]/g;

function escapeCodeUnit(character: string): string {
  return '\\u' + character.charCodeAt(0).toString(16).padStart(4, '0');
}

/** Compact, ASCII-only JSON of `value`, byte-identical to PyJWT's json.dumps for JSON-safe values. */
export function pythonCompactJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('value is not representable as JSON');
  // The common case (all ASCII) costs one scan and returns the same string.
  return HAS_NON_ASCII.test(json) ? json.replace(NON_ASCII, escapeCodeUnit) : json;
}
