import type { PasswordHashingSettings } from './password-hashing-settings.js';

/**
 * Whether the password is longer than the settings allow, counted in Unicode code points as Python's `len()`
 * does (so the limit means the same as in a Django deployment). Checked before any hashing: a DoS guard.
 *
 * UTF-16 length bounds the code-point count from both sides (each code point is one or two units), so the
 * code points are only counted in the narrow band where the two could disagree.
 */
export function isPasswordTooLong(
  password: string,
  settings: Pick<PasswordHashingSettings, 'maxPasswordLength'>,
): boolean {
  const max = settings.maxPasswordLength;
  if (password.length <= max) return false;
  if (password.length > 2 * max) return true;
  let codePoints = 0;
  for (const _ of password) {
    if (++codePoints > max) return true;
  }
  return false;
}

/** Thrown by PasswordHasher.hash for an over-long password. The message never contains the password. */
export class PasswordTooLongError extends Error {
  readonly code = 'password_too_long';
  constructor(readonly maxPasswordLength: number) {
    super(`password is longer than ${maxPasswordLength} characters`);
    this.name = 'PasswordTooLongError';
  }
}
