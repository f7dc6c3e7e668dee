/**
 * createSigner(settings): tokens byte-identical to those PyJWT 2.6 / simplejwt 5.2 write for the same claims
 * and key: the header {"alg":…,"kid":…,"typ":"JWT"} with sorted keys (PyJWT's sort_headers), the payload in the
 * caller's key order, both as compact ASCII JSON, base64url without padding.
 */
import { encodeAsciiBase64Url } from './base64url.js';
import { pythonCompactJson } from './python-json.js';
import { resolveKeySet } from './settings.js';
import type { JwtAlgorithm, JwtSettings } from './types.js';

export interface Signer {
  /** The token for `payload` (a plain object; its key order is kept). */
  sign(payload: Record<string, unknown>): string;
  readonly algorithm: JwtAlgorithm;
  readonly kid: string | null;
}

export function createSigner(settings: JwtSettings): Signer {
  const key = resolveKeySet(settings).signing;
  const header: Record<string, string> = { alg: key.algorithm };
  if (key.kid !== null) header['kid'] = key.kid;
  header['typ'] = 'JWT';
  const headerPrefix = encodeAsciiBase64Url(pythonCompactJson(header)) + '.';
  return Object.freeze({
    algorithm: key.algorithm,
    kid: key.kid,
    sign(payload: Record<string, unknown>): string {
      if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
        throw new TypeError('a JWT payload must be a plain object');
      }
      // pythonCompactJson output is ASCII, as the key's fast path and encodeAsciiBase64Url require.
      const signingInput = headerPrefix + encodeAsciiBase64Url(pythonCompactJson(payload));
      return signingInput + '.' + key.sign(signingInput);
    },
  });
}
