/** The JWT codec: signing and verification wire-compatible with PyJWT 2.6 / djangorestframework-simplejwt 5.2. */
export type { JwtAlgorithm, JwtClaims, JwtKeyInput, JwtSettings } from './types.js';
export type { JwtFailure, JwtFailureReason } from './failures.js';
export { MESSAGE_OF_REASON, isJwtFailure } from './failures.js';
export { createVerifier, type Verifier } from './verifier.js';
export { createSigner, type Signer } from './signer.js';
export { JWT_SETTINGS_DEFAULTS, JwtSettingsError, validateJwtSettings } from './settings.js';
export { publicJwks } from './jwks.js';
