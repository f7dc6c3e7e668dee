/**
 * Why a token was refused, in simplejwt's vocabulary. The messages are simplejwt 5.2's, because clients read
 * them in the 401 body. Each reason has one frozen object, so refusing a token allocates nothing.
 */

import type { JwtClaims } from './types.js';

export type JwtFailureReason = 'invalid' | 'no_exp' | 'no_jti' | 'no_type' | 'wrong_type';

export interface JwtFailure {
  readonly ok: false;
  readonly reason: JwtFailureReason;
}

export const MESSAGE_OF_REASON: Readonly<Record<JwtFailureReason, string>> = Object.freeze({
  invalid: 'Token is invalid or expired',
  no_exp: "Token has no 'exp' claim",
  no_jti: 'Token has no id',
  no_type: 'Token has no type',
  wrong_type: 'Token has wrong type',
});

function failure(reason: JwtFailureReason): JwtFailure {
  return Object.freeze({ ok: false, reason });
}

export const INVALID: JwtFailure = failure('invalid');
export const NO_EXP: JwtFailure = failure('no_exp');
export const NO_JTI: JwtFailure = failure('no_jti');
export const NO_TYPE: JwtFailure = failure('no_type');
export const WRONG_TYPE: JwtFailure = failure('wrong_type');

/**
 * Tells a failure from claims. `'ok' in result` works as well: the verifier refuses any claims set that has an
 * `ok` member, so a verified token can never look like a failure.
 */
export function isJwtFailure(result: JwtClaims | JwtFailure): result is JwtFailure {
  return 'ok' in result;
}
