import { parseArgon2Phc } from './argon2-phc.js';
import type { Argon2Hash } from './argon2-phc.js';
import { parseDjangoPbkdf2Sha256 } from './django-pbkdf2-sha256.js';
import type { DjangoPbkdf2Sha256Hash } from './django-pbkdf2-sha256.js';
import {
  MAX_ARGON2_HASH_BYTES,
  MAX_ARGON2_MEMORY_KIB,
  MAX_ARGON2_PARALLELISM,
  MAX_ARGON2_SALT_BYTES,
  MAX_ARGON2_WORK_KIB,
  MAX_PBKDF2_ITERATIONS,
  MIN_ARGON2_HASH_BYTES,
  MIN_ARGON2_SALT_BYTES,
} from './stored-hash-limits.js';

/**
 * A password hash as found in the users table, in one of the formats Gatehouse verifies:
 * - `argon2id`: Gatehouse's own, the bare PHC string `$argon2id$v=19$m=…,t=…,p=…$salt$hash`;
 * - `django-argon2`: Django's Argon2PasswordHasher, `argon2` + the PHC string (`argon2$argon2id$v=19$…`), also
 *   the argon2i strings older Django versions wrote (with or without `v=19`);
 * - `django-pbkdf2_sha256`: Django's default PBKDF2PasswordHasher.
 */
export type StoredHash =
  | { readonly format: 'argon2id'; readonly argon2: Argon2Hash }
  | { readonly format: 'django-argon2'; readonly argon2: Argon2Hash }
  | { readonly format: 'django-pbkdf2_sha256'; readonly pbkdf2: DjangoPbkdf2Sha256Hash };

/** Django's set_unusable_password() stores `!` followed by random characters (UNUSABLE_PASSWORD_PREFIX). */
const UNUSABLE_PASSWORD_PREFIX = '!';
const DJANGO_ARGON2_PREFIX = 'argon2$';

export function parseStoredHash(encoded: string): StoredHash | null {
  if (encoded.startsWith('$argon2id$')) {
    const argon2 = parseArgon2Phc(encoded, ['argon2id']);
    return argon2 === null ? null : { format: 'argon2id', argon2 };
  }
  if (encoded.startsWith(DJANGO_ARGON2_PREFIX)) {
    // Django keeps argon2-cffi's PHC string and only drops its leading `$` after its own `argon2` tag.
    const argon2 = parseArgon2Phc(encoded.slice(DJANGO_ARGON2_PREFIX.length - 1), ['argon2id', 'argon2i']);
    return argon2 === null ? null : { format: 'django-argon2', argon2 };
  }
  const pbkdf2 = parseDjangoPbkdf2Sha256(encoded);
  return pbkdf2 === null ? null : { format: 'django-pbkdf2_sha256', pbkdf2 };
}

/** Whether verifying this hash costs a bounded amount of work (see stored-hash-limits.ts). */
export function isWithinStoredHashLimits(stored: StoredHash): boolean {
  if (stored.format === 'django-pbkdf2_sha256') return stored.pbkdf2.iterations <= MAX_PBKDF2_ITERATIONS;
  const { memoryCostKiB, timeCost, parallelism, salt, hash } = stored.argon2;
  return (
    parallelism <= MAX_ARGON2_PARALLELISM &&
    memoryCostKiB >= 8 * parallelism && // RFC 9106 §3.1; libargon2 would refuse it anyway
    memoryCostKiB <= MAX_ARGON2_MEMORY_KIB &&
    memoryCostKiB * timeCost <= MAX_ARGON2_WORK_KIB &&
    salt.length >= MIN_ARGON2_SALT_BYTES &&
    salt.length <= MAX_ARGON2_SALT_BYTES &&
    hash.length >= MIN_ARGON2_HASH_BYTES &&
    hash.length <= MAX_ARGON2_HASH_BYTES
  );
}

export function isUnusablePassword(encoded: string): boolean {
  return encoded.startsWith(UNUSABLE_PASSWORD_PREFIX);
}

/**
 * What Gatehouse can do with a stored hash, for import tools:
 * `usable` verifies; `unusable` is Django's marker for "no password login" (never verifies, by design);
 * `unsupported` is a format Gatehouse cannot verify (md5, bcrypt, pbkdf2_sha1, damaged strings …);
 * `over-limits` is a supported format whose cost parameters exceed stored-hash-limits.ts.
 */
export type StoredHashStatus = 'usable' | 'unusable' | 'unsupported' | 'over-limits';

export function classifyStoredHash(encoded: string): StoredHashStatus {
  if (isUnusablePassword(encoded)) return 'unusable';
  const stored = parseStoredHash(encoded);
  if (stored === null) return 'unsupported';
  return isWithinStoredHashLimits(stored) ? 'usable' : 'over-limits';
}
