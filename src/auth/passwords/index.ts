export { DEFAULT_PASSWORD_HASHING, validatePasswordHashingSettings } from './password-hashing-settings.js';
export type { PasswordHashingSettings } from './password-hashing-settings.js';
export { PasswordTooLongError, isPasswordTooLong } from './password-length.js';
export { createPasswordHasher } from './password-hasher.js';
export type { PasswordHasher } from './password-hasher.js';
export { classifyStoredHash, isUnusablePassword } from './stored-hash.js';
export type { StoredHashStatus } from './stored-hash.js';
