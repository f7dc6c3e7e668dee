/**
 * Why a request failed authentication, told from the error it was answered with. Schemes stay free of metrics
 * code: every 401 of the contract has its own body in the error table, and DRF's 403 variant (a first scheme
 * without a challenge) keeps the body, so the body names the reason. Lookups happen only on failed requests.
 *
 * The contract answers an expired token and a forged one with the same body (simplejwt's "Token is invalid or
 * expired"); operators need to tell a client that forgot to refresh from an attack, so for that one body the
 * token's `exp` is read (without trusting it: the signature was already refused or not) to split the two.
 */
import { ERRORS, type ErrorSpec } from '../errors.js';

export const AUTH_FAILURE_REASONS = [
  /** No credentials on a route that needs them ("Authentication credentials were not provided."). */
  'missing_credentials',
  /** `Bearer` with no token or with several (several Authorization headers too), or a malformed Basic/Token header. */
  'bad_header',
  /** An access token whose `exp` has passed. */
  'expired',
  /** Any other refused token: bad signature, other key or algorithm, tampered, not yet valid, garbage, revoked. */
  'invalid',
  /** A refresh token presented as an access token. */
  'wrong_type',
  'no_type',
  'no_id',
  'no_exp',
  /** A valid token without a usable user id claim. */
  'no_user_id',
  /** A valid token of a user that no longer exists. */
  'user_not_found',
  'user_inactive',
  /** Wrong username/password (Basic) or an unknown API key. */
  'bad_credentials',
] as const;

export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

const REASON_OF_ERROR: ReadonlyArray<readonly [ErrorSpec, AuthFailureReason]> = [
  [ERRORS.not_authenticated, 'missing_credentials'],
  [ERRORS.bad_authorization_header, 'bad_header'],
  [ERRORS.invalid_basic_header, 'bad_header'],
  [ERRORS.invalid_basic_encoding, 'bad_header'],
  [ERRORS.basic_no_credentials, 'bad_header'],
  [ERRORS.api_key_no_credentials, 'bad_header'],
  [ERRORS.api_key_spaces, 'bad_header'],
  [ERRORS.access_token_invalid, 'invalid'],
  [ERRORS.access_token_wrong_type, 'wrong_type'],
  [ERRORS.access_token_no_type, 'no_type'],
  [ERRORS.access_token_no_id, 'no_id'],
  [ERRORS.access_token_no_exp, 'no_exp'],
  [ERRORS.token_no_user_id, 'no_user_id'],
  [ERRORS.user_not_found, 'user_not_found'],
  [ERRORS.user_inactive, 'user_inactive'],
  [ERRORS.api_key_user_inactive, 'user_inactive'],
  [ERRORS.invalid_basic_credentials, 'bad_credentials'],
  [ERRORS.invalid_api_key, 'bad_credentials'],
];

/** Body → index in AUTH_FAILURE_REASONS. Keyed by body because the 403 variant is a copy with the same body. */
const REASON_BY_BODY = new Map<string, number>(
  REASON_OF_ERROR.map(([spec, reason]) => [spec.body, AUTH_FAILURE_REASONS.indexOf(reason)]),
);
const INVALID = AUTH_FAILURE_REASONS.indexOf('invalid');
const EXPIRED = AUTH_FAILURE_REASONS.indexOf('expired');

/**
 * The reason index of an authentication failure, or -1 when the error is not one (403 permission denied,
 * 429, a handler's own errors). `authorization` and `nowSec` serve only to split expired from invalid tokens.
 */
export function authFailureReason(
  error: ErrorSpec,
  authorization: string,
  nowSec: number,
  leewaySec: number,
): number {
  const reason = REASON_BY_BODY.get(error.body);
  if (reason === undefined) return -1;
  if (reason === INVALID && hasExpired(authorization, nowSec, leewaySec)) return EXPIRED;
  return reason;
}

/** Whether the token in `Authorization: <type> <token>` carries an `exp` that has passed. */
export function hasExpired(authorization: string, nowSec: number, leewaySec: number): boolean {
  const space = authorization.lastIndexOf(' ');
  const token = space < 0 ? authorization : authorization.slice(space + 1);
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0) return false;
  try {
    const payload: unknown = JSON.parse(
      Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'),
    );
    if (typeof payload !== 'object' || payload === null) return false;
    const exp = (payload as { exp?: unknown }).exp;
    return typeof exp === 'number' && exp + leewaySec <= nowSec;
  } catch {
    return false;
  }
}
