/**
 * Issuing, refreshing, verifying and revoking tokens: simplejwt's token classes and serializers, with the
 * outstanding/blacklist bookkeeping of its token_blacklist app.
 *
 * Payloads are built in simplejwt's key order (token_type, exp, iat, jti, user_id, then aud/iss when
 * configured) so tokens are byte-compatible with a DRF deployment using the same key.
 */
import { randomUUID } from 'node:crypto';
import { ERRORS, type ErrorSpec } from '../../errors.js';
import type { TokenConfig } from '../../config/config-types.js';
import type { TokenStore } from '../../store/types.js';
import type { JwtClaims, JwtFailureReason, Signer, Verifier } from '../jwt/index.js';
import { isJwtFailure } from '../jwt/index.js';
import type { UserCache } from '../user-cache.js';
import { NO_SUCH_USER, userIdFromClaim } from '../user-id.js';

export interface TokenPair {
  readonly refresh: string;
  readonly access: string;
}

const TOKEN_ERRORS: Readonly<Record<JwtFailureReason, ErrorSpec>> = {
  invalid: ERRORS.token_invalid,
  wrong_type: ERRORS.token_wrong_type,
  no_jti: ERRORS.token_no_id,
  no_type: ERRORS.token_no_type,
  no_exp: ERRORS.token_no_exp,
};

/** uuid4 as 32 lowercase hex digits, like simplejwt's `uuid4().hex`. */
export function newJti(): string {
  const uuid = randomUUID();
  return uuid.slice(0, 8) + uuid.slice(9, 13) + uuid.slice(14, 18) + uuid.slice(19, 23) + uuid.slice(24);
}

export interface TokenServiceDeps {
  readonly config: TokenConfig;
  readonly signer: Signer;
  readonly refreshVerifier: Verifier;
  /** Accepts access and refresh tokens (the verify endpoint). */
  readonly anyTypeVerifier: Verifier;
  readonly tokens: TokenStore;
  readonly users: UserCache;
  /** Epoch seconds. */
  readonly now: () => number;
  /** Publishes a user's "not before" to every worker at once (shared memory); optional. */
  readonly publishNotBefore?: (userId: number, epochSec: number) => void;
}

export class TokenService {
  constructor(private readonly deps: TokenServiceDeps) {}

  private payload(
    type: 'access' | 'refresh',
    exp: number,
    iat: number,
    userId: number,
    extra: Record<string, unknown> | null,
  ): Record<string, unknown> {
    const c = this.deps.config;
    const payload: Record<string, unknown> = {};
    payload[c.tokenTypeClaim] = type;
    payload['exp'] = exp;
    payload['iat'] = iat;
    payload[c.jtiClaim] = newJti();
    payload[c.userIdClaim] = userId;
    if (extra !== null) for (const [k, v] of Object.entries(extra)) if (!(k in payload)) payload[k] = v;
    if (c.audience !== null) payload['aud'] = c.audience;
    if (c.issuer !== null) payload['iss'] = c.issuer;
    return payload;
  }

  /** TokenObtainPairSerializer: a refresh token (recorded as outstanding) and its access token, sharing iat. */
  async obtainPair(userId: number): Promise<TokenPair> {
    const c = this.deps.config;
    const now = Math.floor(this.deps.now());
    const refreshPayload = this.payload('refresh', now + c.refreshLifetimeSec, now, userId, null);
    const accessPayload = this.payload('access', now + c.accessLifetimeSec, now, userId, null);
    const jti = jtiText(refreshPayload[c.jtiClaim]);
    await this.deps.tokens.addOutstanding({
      jti,
      userId,
      family: jti,
      parent: null,
      createdAt: now,
      expiresAt: now + c.refreshLifetimeSec,
    });
    return { refresh: this.deps.signer.sign(refreshPayload), access: this.deps.signer.sign(accessPayload) };
  }

  /**
   * TokenRefreshSerializer with rotation: validates the refresh token, checks the user still exists and is
   * active, then atomically blacklists the presented token and records its successor. Of several concurrent
   * refreshes of one token exactly one wins; the rest see "Token is blacklisted".
   */
  async refresh(token: string): Promise<{ access: string; refresh?: string } | ErrorSpec> {
    const c = this.deps.config;
    const claims = this.deps.refreshVerifier.verify(token);
    if (isJwtFailure(claims)) return TOKEN_ERRORS[claims.reason];
    const jti = jtiText(claims[c.jtiClaim]);
    if (await this.deps.tokens.isBlacklisted(jti)) {
      // Presenting a consumed token again may be a replay by a thief: the store revokes its family then.
      const now = Math.floor(this.deps.now());
      await this.deps.tokens.rotate({ jti, userId: null, expiresAt: claims.exp }, null, {
        blacklistPresented: false,
        revokeFamilyOnReuse: c.revokeFamilyOnReuse,
        now,
      });
      return ERRORS.token_blacklisted;
    }
    const userId = userIdFromClaim(claims[c.userIdClaim]);
    const user = userId === null || userId === NO_SUCH_USER ? null : await this.deps.users.lookup(userId);
    if (userId === null || user === null || !user.user.isActive) return ERRORS.no_active_account_for_token;
    if (user.notBefore > 0 && (typeof claims.iat !== 'number' || claims.iat <= user.notBefore))
      return ERRORS.token_invalid;

    const now = Math.floor(this.deps.now());
    const extra = copyableClaims(claims, c);
    const access = this.deps.signer.sign(
      this.payload('access', now + c.accessLifetimeSec, now, userId, extra),
    );
    if (!c.rotateRefreshTokens) return { access };

    const successor = this.payload('refresh', now + c.refreshLifetimeSec, now, userId, extra);
    const successorJti = jtiText(successor[c.jtiClaim]);
    const outcome = await this.deps.tokens.rotate(
      { jti, userId, expiresAt: claims.exp },
      {
        jti: successorJti,
        userId,
        family: jti,
        parent: jti,
        createdAt: now,
        expiresAt: now + c.refreshLifetimeSec,
      },
      { blacklistPresented: c.blacklistAfterRotation, revokeFamilyOnReuse: c.revokeFamilyOnReuse, now },
    );
    if (outcome.kind === 'blacklisted') return ERRORS.token_blacklisted;
    return { access, refresh: this.deps.signer.sign(successor) };
  }

  /** TokenVerifySerializer: any valid token (typed), 400 when a blacklisted refresh token is presented. */
  async verify(token: string): Promise<ErrorSpec | null> {
    const c = this.deps.config;
    const claims = this.deps.anyTypeVerifier.verify(token);
    if (isJwtFailure(claims)) return TOKEN_ERRORS[claims.reason];
    if (c.blacklistAfterRotation && (await this.deps.tokens.isBlacklisted(jtiText(claims[c.jtiClaim])))) {
      return ERRORS.token_blacklisted_on_verify;
    }
    // Beyond simplejwt: tokens of a user who revoked all their tokens no longer verify.
    const userId = userIdFromClaim(claims[c.userIdClaim]);
    if (userId !== null && userId !== NO_SUCH_USER) {
      const user = await this.deps.users.lookup(userId);
      if (
        user !== null &&
        user.notBefore > 0 &&
        (typeof claims.iat !== 'number' || claims.iat <= user.notBefore)
      )
        return ERRORS.token_invalid;
    }
    return null;
  }

  /** TokenBlacklistSerializer: validates the refresh token (already blacklisted → 401), then blacklists it. */
  async blacklist(token: string): Promise<ErrorSpec | null> {
    const c = this.deps.config;
    const claims = this.deps.refreshVerifier.verify(token);
    if (isJwtFailure(claims)) return TOKEN_ERRORS[claims.reason];
    const jti = jtiText(claims[c.jtiClaim]);
    if (await this.deps.tokens.isBlacklisted(jti)) return ERRORS.token_blacklisted;
    const userId = userIdFromClaim(claims[c.userIdClaim]);
    await this.deps.tokens.blacklist(
      jti,
      userId === NO_SUCH_USER ? null : userId,
      claims.exp,
      Math.floor(this.deps.now()),
    );
    return null;
  }

  /**
   * Invalidates every token the user holds: refresh tokens are blacklisted in the store, and the user's
   * "not before" time makes every worker refuse access tokens issued up to now on their next request.
   */
  async revokeAll(
    userId: number,
    users: { revokeAllTokens(id: number, epochSec: number): unknown },
  ): Promise<number> {
    const now = Math.floor(this.deps.now());
    await users.revokeAllTokens(userId, now);
    this.deps.publishNotBefore?.(userId, now);
    this.deps.users.invalidate(userId);
    return now;
  }
}

/** The jti as the stores keep it: the verifier let through only a string or a finite number. */
function jtiText(jti: unknown): string {
  return typeof jti === 'string' ? jti : String(jti);
}

/**
 * simplejwt's no_copy_claims: everything but token_type, exp, iat and jti is carried into derived tokens (the
 * user id is written as the integer it names). That includes aud and iss: TokenBackend.encode overwrites them
 * only when an audience or issuer is configured, and so does payload().
 */
function copyableClaims(claims: JwtClaims, c: TokenConfig): Record<string, unknown> | null {
  let extra: Record<string, unknown> | null = null;
  for (const key of Object.keys(claims)) {
    if (
      key === c.tokenTypeClaim ||
      key === 'exp' ||
      key === 'iat' ||
      key === c.jtiClaim ||
      key === c.userIdClaim
    )
      continue;
    (extra ??= {})[key] = claims[key];
  }
  return extra;
}
