import { pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { decodePaddedBase64 } from './strict-base64.js';

/**
 * Django's PBKDF2PasswordHasher: `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`, where the hash is
 * base64(pbkdf2_hmac('sha256', password, salt, iterations, 32)) with padding and password and salt are UTF-8
 * (django/contrib/auth/hashers.py, RFC 8018 §5.2).
 */
export interface DjangoPbkdf2Sha256Hash {
  readonly iterations: number;
  readonly salt: string;
  readonly hash: Buffer;
}

export const DJANGO_PBKDF2_SHA256_PREFIX = 'pbkdf2_sha256$';
const SHA256_BYTES = 32;
const DECIMAL = /^[1-9][0-9]{0,9}$/;
const pbkdf2Async = promisify(pbkdf2);

/** Null unless the string is exactly Django's format with a 32-byte hash. */
export function parseDjangoPbkdf2Sha256(encoded: string): DjangoPbkdf2Sha256Hash | null {
  const parts = encoded.split('$');
  if (parts.length !== 4 || parts[0] !== 'pbkdf2_sha256') return null;
  const [, iterationsText, salt, hashText] = parts as [string, string, string, string];
  if (!DECIMAL.test(iterationsText) || salt === '') return null;
  const hash = decodePaddedBase64(hashText);
  if (hash === null || hash.length !== SHA256_BYTES) return null;
  return { iterations: Number(iterationsText), salt, hash };
}

/** PBKDF2 runs on libuv's thread pool; the comparison is constant-time. */
export async function verifyDjangoPbkdf2Sha256(
  stored: DjangoPbkdf2Sha256Hash,
  password: string,
): Promise<boolean> {
  const computed = await pbkdf2Async(password, stored.salt, stored.iterations, SHA256_BYTES, 'sha256');
  return timingSafeEqual(computed, stored.hash);
}
