import { exceedsCodePoints } from '../../text/code-points.js';
import type { PasswordHashingSettings } from './password-hashing-settings.js';

/**
 * Whether the password is longer than the settings allow, counted in Unicode code points as Python's `len()`
 * does (so the limit means the same as in a Django deployment). Checked before any hashing: a DoS guard.
 */
export function isPasswordTooLong(
  password: string,
  settings: Pick<PasswordHashingSettings, 'maxPasswordLength'>,
): boolean {
  return exceedsCodePoints(password, settings.maxPasswordLength);
}

/** Thrown by PasswordHasher.hash for an over-long password. The message never contains the password. */
export class PasswordTooLongError extends Error {
  readonly code = 'password_too_long';
  constructor(readonly maxPasswordLength: number) {
    super(`password is longer than ${maxPasswordLength} characters`);
    this.name = 'PasswordTooLongError';
  }
}
