/**
 * simplejwt's JWTAuthentication: `Authorization: Bearer <access token>`.
 *
 * Recognition follows simplejwt exactly, because clients rely on which message they get:
 *  - no header, an empty header, another scheme word, or the right word in another case ("bearer") → not
 *    recognised (null), so the request is anonymous and permissions decide (401 "credentials were not provided");
 *  - the scheme word with no token, or with more than one → 401 bad_authorization_header;
 *  - Python's bytes.split() separates on runs of ASCII whitespace, so extra spaces are accepted.
 * Then the token is verified (signature, claims, type), the user is looked up through the per-worker cache,
 * and tokens issued at or before the user's "not before" time (revoke-all) are refused.
 */
import { ERRORS, type ErrorSpec } from '../../errors.js';
import type { Credentials, RequestContext } from '../../http/request-context.js';
import type { AuthenticationScheme, MaybePromise } from '../../pipeline/types.js';
import { isJwtFailure, type JwtClaims, type JwtFailureReason, type Verifier } from '../jwt/index.js';
import type { CachedUser, UserCache } from '../user-cache.js';
import { NO_SUCH_USER, userIdFromClaim } from '../user-id.js';

const ACCESS_ERRORS: Readonly<Record<JwtFailureReason, ErrorSpec>> = {
  invalid: ERRORS.access_token_invalid,
  wrong_type: ERRORS.access_token_wrong_type,
  no_jti: ERRORS.access_token_no_id,
  no_type: ERRORS.access_token_no_type,
  no_exp: ERRORS.access_token_no_exp,
};

export interface JwtAuthenticationOptions {
  readonly verifier: Verifier;
  readonly users: UserCache;
  readonly headerTypes: readonly string[];
  readonly userIdClaim: string;
}

/** ASCII whitespace as Python's bytes.split() sees it (space, \t, \n, \r, \v, \f). */
// eslint-disable-next-line no-control-regex -- vertical tab and form feed are whitespace to Python
const WHITESPACE = /[ \t\n\r\x0b\x0c]+/;

export function createJwtAuthentication(options: JwtAuthenticationOptions): AuthenticationScheme {
  const { verifier, users, userIdClaim } = options;
  const headerTypes = new Set(options.headerTypes);
  // "Bearer " prefixes checked with startsWith before falling back to a split: the common header costs one
  // comparison, two character scans and one substring, no regular expression.
  const prefixes = options.headerTypes.map((t) => t + ' ');

  const fromCached = (claims: JwtClaims, cached: CachedUser | null): Credentials | ErrorSpec => {
    if (cached === null) return ERRORS.user_not_found;
    if (!cached.user.isActive) return ERRORS.user_inactive;
    const iat = claims.iat;
    // Revoke-all: every token issued at or before that second is refused (iat has one-second resolution).
    if (cached.notBefore > 0 && (typeof iat !== 'number' || iat <= cached.notBefore))
      return ERRORS.access_token_invalid;
    return { user: cached.user, scheme: 'jwt', token: claims };
  };

  return {
    name: 'jwt',
    challenge: `${options.headerTypes[0] ?? 'Bearer'} realm="api"`,
    authenticate(ctx: RequestContext): MaybePromise<Credentials | ErrorSpec | null> {
      const header = ctx.authorization;
      if (header === '') return null;
      let token: string | null = null;
      let split = false;
      for (let i = 0; i < prefixes.length; i++) {
        const prefix = prefixes[i]!;
        // The common header: "Bearer <token>" with no space or tab after the prefix, taken without a split.
        // Any other whitespace (\v, \f) makes the token fail verification, and the failure path below then
        // splits like Python to give simplejwt's answer.
        if (
          header.startsWith(prefix) &&
          header.indexOf(' ', prefix.length) < 0 &&
          header.indexOf('\t', prefix.length) < 0
        ) {
          token = header.slice(prefix.length);
          break;
        }
      }
      if (token === null) {
        split = true;
        const parts = header.trim().split(WHITESPACE);
        if (parts.length === 0 || parts[0] === '' || !headerTypes.has(parts[0]!)) return null;
        if (parts.length !== 2) return ERRORS.bad_authorization_header;
        token = parts[1]!;
      }
      const claims = verifier.verify(token);
      if (isJwtFailure(claims)) {
        if (!split && header.trim().split(WHITESPACE).length !== 2) return ERRORS.bad_authorization_header;
        return ACCESS_ERRORS[claims.reason];
      }
      const userId = userIdFromClaim(claims[userIdClaim]);
      if (userId === null) return ERRORS.token_no_user_id;
      if (userId === NO_SUCH_USER) return ERRORS.user_not_found;
      const cached = users.lookup(userId);
      if (cached instanceof Promise) return cached.then((c) => fromCached(claims, c));
      return fromCached(claims, cached);
    },
  };
}
