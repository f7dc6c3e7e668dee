/**
 * Strict decoders for the standard base64 alphabet (RFC 4648 §4). Buffer.from(text, 'base64') silently skips
 * characters it does not know and accepts the URL-safe alphabet too, so a damaged hash would decode to
 * something; these accept only the canonical encoding of some bytes and answer null otherwise.
 */

const UNPADDED = /^[A-Za-z0-9+/]*$/;
const PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Unpadded base64, as the PHC string format requires for salts and hashes. */
export function decodeUnpaddedBase64(text: string): Buffer | null {
  if (!UNPADDED.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64');
  // Re-encoding catches non-zero bits after the last byte, which would make two strings decode alike.
  return bytes.toString('base64').replace(/=+$/, '') === text ? bytes : null;
}

/** Padded base64, as Python's base64.b64encode writes it (Django's pbkdf2 hashes). */
export function decodePaddedBase64(text: string): Buffer | null {
  if (!PADDED.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

export function encodeUnpaddedBase64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}
