import { pbkdf2Sync } from 'node:crypto';

/**
 * Django password hashes with their passwords. The fixed ones come from published test suites (each verifies
 * only with its password, so they could not be copied wrong and still pass); the generated one follows Django's
 * PBKDF2PasswordHasher.encode() step by step.
 */

/** Django 3.2's tests/auth_tests/test_hashers.py, test_pbkdf2: make_password('lètmein', 'seasalt', 'pbkdf2_sha256'). */
export const DJANGO_32_PBKDF2 = {
  password: 'lètmein',
  encoded: 'pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=',
};

/** Django's tests/auth_tests/test_hashers.py, test_argon2_version_upgrade: Django's default argon2id parameters. */
export const DJANGO_ARGON2ID = {
  password: 'secret',
  encoded: 'argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw',
};

/** passlib's django_argon2 known_correct_hashes: what Django 1.10–3.x wrote with argon2-cffi's argon2i. */
export const DJANGO_ARGON2I = {
  password: 'password',
  encoded: 'argon2$argon2i$v=19$m=256,t=1,p=1$c29tZXNhbHQ$AJFIsNZTMKTAewB4+ETN1A',
};

/** Django's tests/auth_tests/test_hashers.py, test_argon2: argon2-cffi 16.0 wrote no `v=` field (version 1.0). */
export const DJANGO_ARGON2I_WITHOUT_VERSION = {
  password: 'secret',
  encoded:
    'argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg',
};

/**
 * Django's PBKDF2PasswordHasher.encode():
 *   hash = pbkdf2(password, salt, iterations, digest=hashlib.sha256)   # force_bytes: UTF-8, dklen = 32
 *   hash = base64.b64encode(hash).decode("ascii").strip()
 *   return "%s$%d$%s$%s" % ("pbkdf2_sha256", iterations, salt, hash)
 */
export function djangoPbkdf2Sha256(password: string, salt: string, iterations: number): string {
  const hash = pbkdf2Sync(Buffer.from(password, 'utf8'), Buffer.from(salt, 'utf8'), iterations, 32, 'sha256');
  return `pbkdf2_sha256$${iterations}$${salt}$${hash.toString('base64')}`;
}
