/** publicJwks(settings): the public verifying keys as a JWK Set (RFC 7517 §5); null with HMAC keys only. */
import { jwksOf } from './keys.js';
import { resolveKeySet } from './settings.js';
import type { JwtSettings } from './types.js';

export function publicJwks(settings: JwtSettings): { keys: object[] } | null {
  return jwksOf(resolveKeySet(settings));
}
