/**
 * The JWS algorithms Gatehouse accepts (RFC 7518 §3) and one key of each kind, able to sign and to verify a
 * JWS signing input (`<header>.<payload>`, always ASCII here: the verifier checks the segments first).
 */
import { type KeyObject, sign as signWith, verify as verifyWith } from 'node:crypto';
import { decodeBase64Url } from './base64url.js';
import { constantTimeEqual } from './constant-time.js';
import { createHmacTagger, type HmacHash, type HmacTagger } from './hmac.js';
import type { JwtAlgorithm } from './types.js';

export const JWT_ALGORITHMS: readonly JwtAlgorithm[] = ['HS256', 'HS384', 'HS512', 'RS256', 'ES256', 'EdDSA'];

/** Keys of one family can be confused with each other by configuration, hence the `kid` rule in keys.ts. */
export type AlgorithmFamily = 'HS' | 'RS' | 'ES' | 'EdDSA';

export function familyOf(algorithm: JwtAlgorithm): AlgorithmFamily {
  return algorithm === 'EdDSA' ? 'EdDSA' : (algorithm.slice(0, 2) as AlgorithmFamily);
}

export function isHmacAlgorithm(algorithm: JwtAlgorithm): algorithm is 'HS256' | 'HS384' | 'HS512' {
  return algorithm === 'HS256' || algorithm === 'HS384' || algorithm === 'HS512';
}

const HMAC_HASH: Readonly<Record<'HS256' | 'HS384' | 'HS512', HmacHash>> = {
  HS256: 'sha256',
  HS384: 'sha384',
  HS512: 'sha512',
};

export interface JwsKey {
  readonly algorithm: JwtAlgorithm;
  readonly kid: string | null;
  /** Public half for JWKS export; null for HMAC keys. */
  readonly publicKey: KeyObject | null;
  /** True when the key can sign (HMAC, or an asymmetric key given with its private half). */
  readonly canSign: boolean;
  /** base64url signature of the signing input. */
  sign(signingInput: string): string;
  /** Whether `signatureSegment` (still base64url) is a valid signature of `signingInput`. Never throws. */
  verify(signingInput: string, signatureSegment: string): boolean;
}

export class HmacJwsKey implements JwsKey {
  readonly publicKey = null;
  readonly canSign = true;
  private readonly tagger: HmacTagger;

  constructor(
    readonly algorithm: 'HS256' | 'HS384' | 'HS512',
    readonly kid: string | null,
    secret: Buffer,
  ) {
    this.tagger = createHmacTagger(HMAC_HASH[algorithm], secret);
  }

  sign(signingInput: string): string {
    return this.tagger.tag(signingInput);
  }

  verify(signingInput: string, signatureSegment: string): boolean {
    // The signature is compared in its base64url form: the tag is encoded canonically, so any other spelling
    // of the same bytes (padding, non-zero spare bits) simply does not match, and nothing is decoded.
    if (signatureSegment.length !== this.tagger.tagLength) return false;
    return constantTimeEqual(this.tagger.tag(signingInput), signatureSegment);
  }
}

/**
 * RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3), ES256 (ECDSA P-256 with SHA-256, the signature as
 * the 64-byte R || S of RFC 7518 §3.4, which is Node's 'ieee-p1363' encoding, not DER), EdDSA (Ed25519,
 * RFC 8037 §3.1).
 */
export class AsymmetricJwsKey implements JwsKey {
  readonly canSign: boolean;
  /** Exact signature length in bytes (RSA: modulus length; ECDSA P-256 and Ed25519: 64). */
  private readonly signatureBytes: number;
  private readonly digest: 'sha256' | null;
  private readonly signKey: { key: KeyObject; dsaEncoding?: 'ieee-p1363' } | null;
  private readonly verifyKey: { key: KeyObject; dsaEncoding?: 'ieee-p1363' };

  constructor(
    readonly algorithm: 'RS256' | 'ES256' | 'EdDSA',
    readonly kid: string | null,
    readonly publicKey: KeyObject,
    privateKey: KeyObject | null,
  ) {
    this.canSign = privateKey !== null;
    this.digest = algorithm === 'EdDSA' ? null : 'sha256';
    const encoding = algorithm === 'ES256' ? ({ dsaEncoding: 'ieee-p1363' } as const) : {};
    this.signKey = privateKey === null ? null : { key: privateKey, ...encoding };
    this.verifyKey = { key: publicKey, ...encoding };
    this.signatureBytes =
      algorithm === 'RS256' ? Math.ceil((publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8) : 64;
  }

  sign(signingInput: string): string {
    if (this.signKey === null) throw new Error(`the ${this.algorithm} key has no private key to sign with`);
    return signWith(this.digest, Buffer.from(signingInput, 'latin1'), this.signKey).toString('base64url');
  }

  verify(signingInput: string, signatureSegment: string): boolean {
    const signature = decodeBase64Url(signatureSegment);
    if (signature === null || signature.length !== this.signatureBytes) return false;
    try {
      return verifyWith(this.digest, Buffer.from(signingInput, 'latin1'), this.verifyKey, signature);
    } catch {
      // OpenSSL refuses some malformed signatures by raising; for the caller that is just "not valid".
      return false;
    }
  }
}
