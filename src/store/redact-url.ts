/**
 * Connection URLs carry credentials (`postgres://user:password@host/db`, `redis://:password@host`). Anything
 * that names a backend in a log line or an error message goes through here first: the scheme, host, port and
 * database stay (they are what an operator needs to find the problem), the user name and password go.
 */

/** The URL without user name, password, query or fragment; `<invalid URL>` when it does not parse. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '<invalid URL>';
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}

/**
 * A driver's error message with every credential of `url` removed. Drivers do not normally echo passwords,
 * but a message is shown to operators and logged, so it is checked rather than trusted.
 */
export function scrubMessage(message: string, url: string): string {
  let scrubbed = message;
  try {
    const parsed = new URL(url);
    for (const secret of [parsed.password, decodeURIComponent(parsed.password)]) {
      if (secret.length > 0) scrubbed = scrubbed.split(secret).join('<redacted>');
    }
  } catch {
    // An unparsable URL has no password we could find; the message is returned as it is.
  }
  return scrubbed.split(url).join(redactUrl(url));
}
