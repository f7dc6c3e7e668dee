/**
 * Strict base64url (RFC 4648 §5, without padding as RFC 7515 §2 requires for JWS). Buffer.from(text,
 * 'base64url') is lenient: it skips characters outside the alphabet, accepts '+', '/' and '=', and ignores
 * the unused bits of the last character, so several strings would decode to the same bytes. A token is
 * accepted only in its one canonical spelling, which is what lets the cache key on the token text and keeps
 * "tampered but still valid" tokens impossible.
 */

const SEGMENT = /^[A-Za-z0-9_-]*$/;

/** Value (0..63) of each base64url character, by char code; only read after SEGMENT has matched. */
const VALUE_OF = new Uint8Array(128);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  .split('')
  .forEach((c, value) => (VALUE_OF[c.charCodeAt(0)] = value));

/**
 * True when `text` is the canonical unpadded base64url encoding of some bytes: alphabet A-Z a-z 0-9 - _ only,
 * a length that is not 1 mod 4 (no byte count encodes to that), and zero bits after the last byte
 * (RFC 4648 §3.5: non-zero pad bits make a second spelling of the same bytes).
 */
export function isCanonicalBase64Url(text: string): boolean {
  const remainder = text.length & 3;
  if (remainder === 1 || !SEGMENT.test(text)) return false;
  if (remainder === 0) return true;
  const last = VALUE_OF[text.charCodeAt(text.length - 1)]!;
  // 2 characters carry 1 byte (4 spare bits), 3 characters carry 2 bytes (2 spare bits).
  return (last & (remainder === 2 ? 0x0f : 0x03)) === 0;
}

/** The bytes of a canonical base64url text, or null. */
export function decodeBase64Url(text: string): Buffer | null {
  return isCanonicalBase64Url(text) ? Buffer.from(text, 'base64url') : null;
}

/** Node writes base64url canonically and without padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** base64url of a string made of ASCII characters only (the caller guarantees it), byte for byte. */
export function encodeAsciiBase64Url(ascii: string): string {
  return Buffer.from(ascii, 'latin1').toString('base64url');
}
