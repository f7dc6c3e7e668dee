/**
 * Public types of the JWT codec. The token endpoints and the authentication stage are written against these,
 * so they change only together with their callers.
 */

export type JwtAlgorithm = 'HS256' | 'HS384' | 'HS512' | 'RS256' | 'ES256' | 'EdDSA';

/** One key as it comes from configuration. */
export interface JwtKeyInput {
  /** Key id (the JWS `kid` header); required when several configured keys share an algorithm family. */
  kid?: string;
  algorithm: JwtAlgorithm;
  /** HS*: the secret text (Django SECRET_KEY style), used as its UTF-8 bytes like PyJWT does. */
  secret?: string;
  /** Asymmetric: PEM private key (PKCS#8); only the signing key needs it. */
  privateKeyPem?: string;
  /** Asymmetric: PEM public key (SPKI); derived from the private key when absent. */
  publicKeyPem?: string;
}

export interface JwtSettings {
  /** The one key new tokens are signed with; it is always accepted for verification too. */
  signingKey: JwtKeyInput;
  /** Extra keys still accepted (key rotation). */
  verifyingKeys: JwtKeyInput[];
  /** Clock leeway in seconds applied to exp, nbf and iat. */
  leewaySec: number;
  /** When null an `aud` claim is ignored (simplejwt passes verify_aud=False); otherwise one must match. */
  audience: string | string[] | null;
  /** When set, `iss` must equal it; when null it is not checked. */
  issuer: string | null;
  tokenTypeClaim: string;
  jtiClaim: string;
  /** Longer input is refused before any work. */
  maxTokenLength: number;
  /** Verified-token cache entries per verifier; 0 disables the cache. */
  cacheSize: number;
  /** Clock in seconds (fractions allowed); default Date.now() / 1000. */
  now?: () => number;
}

/**
 * A verified claims set. Frozen (shallowly): with the cache on, the same object is handed to every request
 * that presents the same token, so it must not be changed by any of them. It never has an `ok` member (such
 * tokens are refused), so `result.ok === false` or isJwtFailure(result) tells a failure from claims; note that
 * `'ok' in result` is right at run time but does not narrow the type, because of the index signature.
 */
export type JwtClaims = Record<string, unknown> & {
  readonly exp: number;
  readonly iat?: number;
  /** Under the default claim name; a string or a finite number (simplejwt asks only that it be there). */
  readonly jti: string | number;
  readonly ok?: never;
};
