/**
 * createVerifier(settings, expectedTokenType): decides whether a token is one Gatehouse (or the simplejwt
 * deployment it replaces) issued, and which simplejwt message a refused one gets.
 *
 * Order of checks (it decides the message a client sees; every step up to the claims is "invalid"):
 *  1. length cap, exactly three segments;
 *  2. header -> the keys that may verify it, BEFORE any cryptography (RFC 8725 §3.1): `alg` must be exactly
 *     the algorithm of a configured key ("none", "hs256" or HS-with-an-RSA-key find none), `kid` picks that
 *     key, `crit` is refused. The headers Gatehouse and PyJWT write are recognised as precomputed strings;
 *     any other header (jose writes {"alg":"HS256"}) is decoded and parsed;
 *  3. payload segment in canonical base64url; signature valid for one of the keys (constant time);
 *  4. payload is a JSON object; PyJWT's registered claims (iat, nbf, exp, aud, iss);
 *  5. simplejwt's Token.verify: exp present ("no_exp"), jti ("no_jti"), token type ("no_type", "wrong_type").
 * Nothing is allocated on a refusal but the parts of the token being examined: failures are singletons.
 */
import { isUtf8 } from 'node:buffer';
import { isCanonicalBase64Url, decodeBase64Url, encodeAsciiBase64Url } from './base64url.js';
import type { JwsKey } from './algorithms.js';
import { INVALID, NO_EXP, NO_JTI, NO_TYPE, WRONG_TYPE, type JwtFailure } from './failures.js';
import { pythonCompactJson } from './python-json.js';
import { audienceAccepted, validFrom, validUntil } from './registered-claims.js';
import { resolveKeySet } from './settings.js';
import type { JwtClaims, JwtSettings } from './types.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

export interface Verifier {
  verify(token: string): JwtClaims | JwtFailure;
}

/** A header text Gatehouse knows in advance, and the keys a token with that exact header may be signed with. */
interface KnownHeader {
  readonly segment: string;
  readonly keys: readonly JwsKey[];
}

const systemClock = (): number => Date.now() / 1000;

export function createVerifier(
  settings: JwtSettings,
  expectedTokenType: 'access' | 'refresh' | null,
): Verifier {
  return new JwtVerifier(settings, expectedTokenType);
}

class JwtVerifier implements Verifier {
  /** Bound once, so `const { verify } = verifier` works too. */
  readonly verify: (token: string) => JwtClaims | JwtFailure;

  private readonly maxTokenLength: number;
  private readonly clock: () => number;
  private readonly leewaySec: number;
  private readonly audiences: ReadonlySet<string> | null;
  private readonly issuer: string | null;
  private readonly tokenTypeClaim: string;
  private readonly jtiClaim: string;
  private readonly cache: VerifiedTokenCache | null;
  /** Accepted keys by algorithm name, signing key first; the allow-list of step 2. */
  private readonly keysByAlgorithm: ReadonlyMap<string, readonly JwsKey[]>;
  private readonly keysByKid: ReadonlyMap<string, readonly JwsKey[]>;
  private readonly knownHeaders: readonly KnownHeader[];
  private readonly payloadBytes: Buffer;

  constructor(
    settings: JwtSettings,
    private readonly expectedTokenType: 'access' | 'refresh' | null,
  ) {
    const keys = resolveKeySet(settings);
    this.maxTokenLength = settings.maxTokenLength;
    this.clock = settings.now ?? systemClock;
    this.leewaySec = settings.leewaySec;
    const { audience } = settings;
    this.audiences = audience === null ? null : new Set(typeof audience === 'string' ? [audience] : audience);
    this.issuer = settings.issuer;
    this.tokenTypeClaim = settings.tokenTypeClaim;
    this.jtiClaim = settings.jtiClaim;
    this.cache = settings.cacheSize > 0 ? new VerifiedTokenCache(settings.cacheSize) : null;
    this.payloadBytes = Buffer.alloc(Math.ceil((settings.maxTokenLength * 3) / 4));

    const byAlgorithm = new Map<string, JwsKey[]>();
    const byKid = new Map<string, JwsKey[]>();
    for (const key of keys.verifying) {
      byAlgorithm.set(key.algorithm, [...(byAlgorithm.get(key.algorithm) ?? []), key]);
      if (key.kid !== null) byKid.set(key.kid, [key]);
    }
    this.keysByAlgorithm = byAlgorithm;
    this.keysByKid = byKid;
    // The headers PyJWT writes (sorted keys, compact): {"alg":…,"typ":"JWT"} and {"alg":…,"kid":…,"typ":"JWT"}.
    // They are the same decisions the general path would take, made once.
    const known: KnownHeader[] = [];
    for (const [algorithm, algorithmKeys] of byAlgorithm) {
      known.push({ segment: headerSegment({ alg: algorithm, typ: 'JWT' }), keys: algorithmKeys });
    }
    for (const key of keys.verifying) {
      if (key.kid !== null) {
        known.push({ segment: headerSegment({ alg: key.algorithm, kid: key.kid, typ: 'JWT' }), keys: [key] });
      }
    }
    this.knownHeaders = known;
    this.verify = (token) => this.verifyToken(token);
  }

  private verifyToken(token: string): JwtClaims | JwtFailure {
    if (typeof token !== 'string' || token.length > this.maxTokenLength) return INVALID;
    const now = this.clock();
    if (this.cache !== null) {
      const cached = this.cache.find(token, now);
      if (cached !== undefined) return cached;
    }

    const firstDot = token.indexOf('.');
    if (firstDot === -1) return INVALID;
    const secondDot = token.indexOf('.', firstDot + 1);
    if (secondDot === -1 || token.indexOf('.', secondDot + 1) !== -1) return INVALID;

    const keys = this.keysForHeader(token, firstDot);
    if (keys === null) return INVALID;

    const payloadSegment = token.slice(firstDot + 1, secondDot);
    if (!isCanonicalBase64Url(payloadSegment)) return INVALID;
    // Header and payload are now ASCII, as the signers' fast paths require.
    const signingInput = token.slice(0, secondDot);
    const signature = token.slice(secondDot + 1);
    let verified = false;
    for (let i = 0; i < keys.length && !verified; i++) verified = keys[i]!.verify(signingInput, signature);
    if (!verified) return INVALID;

    // Decoded into a buffer made once rather than a new Buffer per call (the segment is canonical, so write()
    // decodes all of it; the buffer holds the largest payload a token under maxTokenLength can carry).
    // Invalid UTF-8 is refused, as PyJWT does (json.loads of undecodable bytes raises DecodeError); toString
    // alone would turn it into U+FFFD and accept it. isUtf8 is a native scan, cheap next to the HMAC.
    const payloadLength = this.payloadBytes.write(payloadSegment, 0, 'base64url');
    if (!isUtf8(this.payloadBytes.subarray(0, payloadLength))) return INVALID;
    const payload = parseJsonObject(this.payloadBytes.toString('utf8', 0, payloadLength));
    if (payload === null) return INVALID;
    return this.checkClaims(token, payload, now);
  }

  private keysForHeader(token: string, firstDot: number): readonly JwsKey[] | null {
    const known = this.knownHeaders;
    for (let i = 0; i < known.length; i++) {
      const header = known[i]!;
      if (header.segment.length === firstDot && token.startsWith(header.segment)) return header.keys;
    }
    return this.keysForUnknownHeader(token.slice(0, firstDot));
  }

  private keysForUnknownHeader(segment: string): readonly JwsKey[] | null {
    const bytes = decodeBase64Url(segment);
    if (bytes === null) return null;
    const header = parseJsonObject(bytes.toString('utf8'));
    if (header === null) return null;
    const { alg, kid } = header;
    // An exact match against configured algorithms, so "none", "hs256" and "HS256 " find nothing.
    const keys = typeof alg === 'string' ? this.keysByAlgorithm.get(alg) : undefined;
    if (keys === undefined) return null;
    // RFC 7515 §4.1.11: a recipient must refuse a JWS whose crit lists an extension it does not understand,
    // and Gatehouse understands none.
    if (header['crit'] !== undefined) return null;
    // RFC 7797 unencoded payloads: PyJWT refuses b64=false without a detached payload.
    if (header['b64'] === false) return null;
    if (kid === undefined) return keys;
    // PyJWT refuses a kid that is not a string; an unknown kid or one of another algorithm matches no key.
    const keyOfKid = typeof kid === 'string' ? this.keysByKid.get(kid) : undefined;
    return keyOfKid !== undefined && keyOfKid[0]!.algorithm === alg ? keyOfKid : null;
  }

  private checkClaims(token: string, payload: Record<string, unknown>, now: number): JwtClaims | JwtFailure {
    // failures.ts promises that `'ok' in result` tells a failure from claims; no issuer writes such a claim.
    if (payload['ok'] !== undefined) return INVALID;
    // PyJWT's registered claims: any failure is an InvalidTokenError, "Token is invalid or expired".
    const start = validFrom(payload['iat'], payload['nbf'], this.leewaySec);
    const end = validUntil(payload['exp'], this.leewaySec);
    // NaN (a malformed time claim) fails both comparisons.
    if (!(now >= start && now < end)) return INVALID;
    if (this.audiences !== null && !audienceAccepted(payload['aud'], this.audiences)) return INVALID;
    if (this.issuer !== null && payload['iss'] !== this.issuer) return INVALID;
    // simplejwt's Token.verify, in its order.
    if (payload['exp'] === undefined) return NO_EXP;
    // simplejwt only asks that the claim be there; its stores then use it as text. A string or a number is
    // kept (a number as its decimal text, see jtiText); null, true or an object is "no id" here, where the
    // reference accepts an access token with one and crashes on a refresh token with null.
    const jti = payload[this.jtiClaim];
    if (typeof jti !== 'string' && !(typeof jti === 'number' && Number.isFinite(jti))) return NO_JTI;
    const tokenType = payload[this.tokenTypeClaim];
    // Gatehouse requires a token type even where simplejwt's UntypedToken does not (the verify endpoint).
    if (tokenType === undefined) return NO_TYPE;
    if (this.expectedTokenType !== null && tokenType !== this.expectedTokenType) return WRONG_TYPE;

    const claims = Object.freeze(payload) as JwtClaims;
    if (this.cache !== null) this.cache.add(token, claims, start, end);
    return claims;
  }
}

function headerSegment(header: Record<string, string>): string {
  return encodeAsciiBase64Url(pythonCompactJson(header));
}

/** JSON.parse that answers null instead of throwing, and for anything but an object. */
function parseJsonObject(text: string): Record<string, unknown> | null {
  // Most garbage is turned away without the cost of a SyntaxError (JSON allows leading whitespace).
  if (text.charCodeAt(0) !== 0x7b /* { */ && text.trimStart().charCodeAt(0) !== 0x7b) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
