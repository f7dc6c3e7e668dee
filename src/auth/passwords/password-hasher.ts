import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import {
  ARGON2_VERSION_1_3,
  deriveArgon2,
  encodeArgon2Phc,
  parseArgon2Phc,
  verifyArgon2,
} from './argon2-phc.js';
import type { Argon2Hash, Argon2Parameters } from './argon2-phc.js';
import { verifyDjangoPbkdf2Sha256 } from './django-pbkdf2-sha256.js';
import { validatePasswordHashingSettings } from './password-hashing-settings.js';
import type { PasswordHashingSettings } from './password-hashing-settings.js';
import { PasswordTooLongError, isPasswordTooLong } from './password-length.js';
import { isWithinStoredHashLimits, parseStoredHash } from './stored-hash.js';
import type { StoredHash } from './stored-hash.js';

export interface PasswordHasher {
  /**
   * argon2id with the current settings, as a PHC string `$argon2id$v=19$m=…,t=…,p=…$salt$hash` (16-byte random
   * salt, 32-byte tag). Rejects with PasswordTooLongError before any hashing when the password is too long.
   */
  hash(password: string): Promise<string>;
  /**
   * Whether the password matches the stored hash: Gatehouse argon2id, Django `argon2$…` or Django
   * `pbkdf2_sha256$…`. False (never a rejection) for a wrong or too-long password, an unusable Django password
   * (`!…`), an unknown or damaged format, or cost parameters beyond stored-hash-limits.ts.
   */
  verify(encoded: string, password: string): Promise<boolean>;
  /** True unless the hash is Gatehouse argon2id made with exactly the current parameters. */
  needsRehash(encoded: string): boolean;
  /**
   * Spends one verification against a dummy hash made with the current parameters, then answers false: call it
   * for an unknown user so that the login costs what a wrong password costs and does not reveal which
   * usernames exist.
   */
  verifyDummy(password: string): Promise<false>;
}

/** RFC 9106 §3.1 recommends 128-bit salts; a 256-bit tag is argon2's customary length. */
const SALT_BYTES = 16;
const TAG_BYTES = 32;
const randomBytesAsync = promisify(randomBytes);

/**
 * Validates the settings (throwing with every problem at once), then computes the dummy hash once so that
 * verifyDummy costs exactly one verification at the current parameters. Async for that reason.
 */
export async function createPasswordHasher(settings: PasswordHashingSettings): Promise<PasswordHasher> {
  const problems = validatePasswordHashingSettings(settings);
  if (problems.length > 0) {
    throw new TypeError(`invalid password hashing settings: ${problems.join('; ')}`);
  }
  const lengthLimit = { maxPasswordLength: settings.maxPasswordLength };
  const current: Argon2Parameters = Object.freeze({
    variant: 'argon2id',
    version: ARGON2_VERSION_1_3,
    memoryCostKiB: settings.memoryCostKiB,
    timeCost: settings.timeCost,
    parallelism: settings.parallelism,
  });

  async function hashWithCurrent(password: string): Promise<string> {
    const salt = await randomBytesAsync(SALT_BYTES);
    const tag = await deriveArgon2(password, current, salt, TAG_BYTES);
    return encodeArgon2Phc({ ...current, salt, hash: tag });
  }

  // The dummy's password is random and thrown away: nothing can match it.
  const dummy = parseArgon2Phc(await hashWithCurrent((await randomBytesAsync(32)).toString('base64')), [
    'argon2id',
  ]);
  if (dummy === null) throw new Error('internal error: the dummy argon2id hash does not parse');
  const dummyHash: Argon2Hash = dummy;

  async function spendDummyVerification(password: string): Promise<void> {
    try {
      await verifyArgon2(dummyHash, password);
    } catch {
      // Only the time spent matters.
    }
  }

  async function hash(password: string): Promise<string> {
    if (typeof password !== 'string') throw new TypeError('password must be a string');
    if (isPasswordTooLong(password, lengthLimit))
      throw new PasswordTooLongError(lengthLimit.maxPasswordLength);
    return hashWithCurrent(password);
  }

  async function verify(encoded: string, password: string): Promise<boolean> {
    // Refused before any hashing (DoS guard); the length says nothing about the account, so answering fast is safe.
    if (typeof password !== 'string' || isPasswordTooLong(password, lengthLimit)) return false;
    const stored = typeof encoded === 'string' ? parseStoredHash(encoded) : null;
    if (stored === null || !isWithinStoredHashLimits(stored)) {
      // Unusable (`!…`), unknown or hostile hashes still cost one verification, so response time does not
      // reveal accounts without a usable password (Django CVE-2024-39329).
      await spendDummyVerification(password);
      return false;
    }
    try {
      return await verifyStored(stored, password);
    } catch {
      // libargon2 refusing parameters the parser let through (it should not happen) is a failed login, not a 500.
      return false;
    }
  }

  function needsRehash(encoded: string): boolean {
    const stored = typeof encoded === 'string' ? parseStoredHash(encoded) : null;
    if (stored === null || stored.format !== 'argon2id') return true;
    const h = stored.argon2;
    return !(
      h.version === current.version &&
      h.memoryCostKiB === current.memoryCostKiB &&
      h.timeCost === current.timeCost &&
      h.parallelism === current.parallelism &&
      h.hash.length === TAG_BYTES &&
      h.salt.length >= SALT_BYTES
    );
  }

  async function verifyDummy(password: string): Promise<false> {
    if (typeof password === 'string' && !isPasswordTooLong(password, lengthLimit)) {
      await spendDummyVerification(password);
    }
    return false;
  }

  return Object.freeze({ hash, verify, needsRehash, verifyDummy });
}

function verifyStored(stored: StoredHash, password: string): Promise<boolean> {
  switch (stored.format) {
    case 'argon2id':
    case 'django-argon2':
      return verifyArgon2(stored.argon2, password);
    case 'django-pbkdf2_sha256':
      return verifyDjangoPbkdf2Sha256(stored.pbkdf2, password);
  }
}
