/**
 * Shared material of the JWT tests: settings with a fixed clock, key pairs, and tokens laid out byte for byte
 * as PyJWT 2.6 writes them. The PyJWT vectors were computed with Python 3.11's standard library following
 * PyJWT's code (json.dumps(header, separators=(",", ":"), sort_keys=True), json.dumps(payload,
 * separators=(",", ":")), base64.urlsafe_b64encode without "=", hmac.new(key.encode("utf-8"), …)), since
 * PyJWT itself is not installed here.
 */
import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { JWT_SETTINGS_DEFAULTS, type JwtKeyInput, type JwtSettings } from '../../../src/auth/jwt/index.js';

export const NOW = 1_700_000_100;
export const SECRET = 'django-insecure-k3y+f0r=t3st1ng_0nly!-x7q9w2e4r6t8y0u1i3o5p7a9s';

export function hsSettings(overrides: Partial<JwtSettings> = {}): JwtSettings {
  return {
    ...JWT_SETTINGS_DEFAULTS,
    verifyingKeys: [],
    signingKey: { algorithm: 'HS256', secret: SECRET },
    cacheSize: 0,
    now: () => NOW,
    ...overrides,
  };
}

/** Claims in simplejwt's order, valid at NOW. */
export function accessClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    token_type: 'access',
    exp: NOW + 300,
    iat: NOW,
    jti: '4f1c2b9e8d7a6f5e4d3c2b1a09f8e7d6',
    user_id: 1,
    ...overrides,
  };
}

export const PYJWT_VECTORS = {
  /** HS256, key SECRET, payload {"token_type":"access","exp":1700000300,"iat":1700000000,"jti":"4f1c…e7d6","user_id":1}. */
  access: {
    payload: {
      token_type: 'access',
      exp: 1700000300,
      iat: 1700000000,
      jti: '4f1c2b9e8d7a6f5e4d3c2b1a09f8e7d6',
      user_id: 1,
    },
    token:
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjoxNzAwMDAwMzAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6IjRmMWMyYjllOGQ3YTZmNWU0ZDNjMmIxYTA5ZjhlN2Q2IiwidXNlcl9pZCI6MX0.9EjVtmTxthUsNxfT6y0h0I4ywpYM8b0cLTAE6jiE9g0',
  },
  /** HS256 with headers={"kid":"k-2023"}; non-ASCII text, DEL and control characters (ensure_ascii escapes). */
  refreshWithKid: {
    payload: {
      token_type: 'refresh',
      exp: 1700086400,
      iat: 1700000000,
      jti: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
      user_id: 42,
      name: 'Zo\u00eb \u{1F389} \u2028',
      note: 'tab\there "quoted" back\\slash \x7f \x01',
    },
    token:
      'eyJhbGciOiJIUzI1NiIsImtpZCI6ImstMjAyMyIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsImV4cCI6MTcwMDA4NjQwMCwiaWF0IjoxNzAwMDAwMDAwLCJqdGkiOiIwYTFiMmMzZDRlNWY2MDcxODI5M2E0YjVjNmQ3ZThmOSIsInVzZXJfaWQiOjQyLCJuYW1lIjoiWm9cdTAwZWIgXHVkODNjXHVkZjg5IFx1MjAyOCIsIm5vdGUiOiJ0YWJcdGhlcmUgXCJxdW90ZWRcIiBiYWNrXFxzbGFzaCBcdTAwN2YgXHUwMDAxIn0.nA5g5LNR7BoaEthoL7jsuDLQzVIPSULWHtbN4GNYq8I',
  },
  /** The access payload with HS512. */
  accessHs512:
    'eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjoxNzAwMDAwMzAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6IjRmMWMyYjllOGQ3YTZmNWU0ZDNjMmIxYTA5ZjhlN2Q2IiwidXNlcl9pZCI6MX0.bvIUsr62fplNzctxTm-mWP2oioQi057FH9QAIDI87-P3eXqnP7UIPVlaWU8p8nnwe6Xe1uDGBwdYrKyl_8dzoA',
  /** The access payload with the non-ASCII key NON_ASCII_SECRET (used as UTF-8 bytes). */
  accessNonAsciiKey:
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjoxNzAwMDAwMzAwLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6IjRmMWMyYjllOGQ3YTZmNWU0ZDNjMmIxYTA5ZjhlN2Q2IiwidXNlcl9pZCI6MX0.DLDAviCmavfTHobhc8Jy00Xa4rmQIlbRK2kWPWm-6_U',
} as const;
export const NON_ASCII_SECRET = 'cl\u00e9 secr\u00e8te \u2603 pour les tests';
/** The time at which the PyJWT vectors are valid. */
export const VECTOR_NOW = 1_700_000_100;

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

function pair(generated: { privateKey: KeyObject; publicKey: KeyObject }): KeyPair {
  return {
    ...generated,
    privateKeyPem: generated.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: generated.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

let cached: Record<'RS256' | 'ES256' | 'EdDSA', KeyPair> | null = null;

/** One key pair per asymmetric algorithm (RSA generation is slow, so they are made once per process). */
export function keyPairs(): Record<'RS256' | 'ES256' | 'EdDSA', KeyPair> {
  cached ??= {
    RS256: pair(generateKeyPairSync('rsa', { modulusLength: 2048 })),
    ES256: pair(generateKeyPairSync('ec', { namedCurve: 'prime256v1' })),
    EdDSA: pair(generateKeyPairSync('ed25519')),
  };
  return cached;
}

export function signingKeyFor(algorithm: 'RS256' | 'ES256' | 'EdDSA', kid?: string): JwtKeyInput {
  return {
    algorithm,
    privateKeyPem: keyPairs()[algorithm].privateKeyPem,
    ...(kid === undefined ? {} : { kid }),
  };
}

/** A hand-made HS* token: header and payload given as objects (compact JSON) or as exact JSON text. */
export function hsToken(
  header: object | string,
  payload: object | string,
  secret: string | Buffer = SECRET,
  hash: 'sha256' | 'sha384' | 'sha512' = 'sha256',
): string {
  const text = (part: object | string): string => (typeof part === 'string' ? part : JSON.stringify(part));
  const input =
    Buffer.from(text(header), 'utf8').toString('base64url') +
    '.' +
    Buffer.from(text(payload), 'utf8').toString('base64url');
  return input + '.' + createHmac(hash, secret).update(input).digest('base64url');
}

/** Re-signs an arbitrary signing input (possibly non-canonical) with the test secret. */
export function signInput(input: string, secret: string | Buffer = SECRET): string {
  return input + '.' + createHmac('sha256', secret).update(input).digest('base64url');
}

export const HS256_HEADER = { alg: 'HS256', typ: 'JWT' };
