import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERRORS, dynamicError, type ErrorSpec } from '../../../src/errors.js';
import {
  AUTH_FAILURE_REASONS,
  authFailureReason,
  hasExpired,
} from '../../../src/metrics/auth-failure-reasons.js';

const NOW = 1_700_000_000;

function tokenWith(payload: unknown): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}.c2lnbmF0dXJl`;
}

function reasonOf(error: ErrorSpec, authorization = ''): string | null {
  const index = authFailureReason(error, authorization, NOW, 0);
  return index < 0 ? null : AUTH_FAILURE_REASONS[index]!;
}

describe('authentication failure reasons', () => {
  it('names the reason of every authentication error of the table', () => {
    assert.equal(reasonOf(ERRORS.not_authenticated), 'missing_credentials');
    assert.equal(reasonOf(ERRORS.bad_authorization_header), 'bad_header');
    assert.equal(reasonOf(ERRORS.access_token_wrong_type), 'wrong_type');
    assert.equal(reasonOf(ERRORS.access_token_no_type), 'no_type');
    assert.equal(reasonOf(ERRORS.access_token_no_id), 'no_id');
    assert.equal(reasonOf(ERRORS.access_token_no_exp), 'no_exp');
    assert.equal(reasonOf(ERRORS.token_no_user_id), 'no_user_id');
    assert.equal(reasonOf(ERRORS.user_not_found), 'user_not_found');
    assert.equal(reasonOf(ERRORS.user_inactive), 'user_inactive');
    assert.equal(reasonOf(ERRORS.invalid_basic_credentials), 'bad_credentials');
  });

  it('recognises the 403 variant DRF answers when the first scheme has no challenge (same body)', () => {
    assert.equal(
      reasonOf({ status: 403, body: ERRORS.user_inactive.body, challenge: false }),
      'user_inactive',
    );
  });

  it('tells an expired token from an otherwise refused one', () => {
    const expired = `Bearer ${tokenWith({ token_type: 'access', exp: NOW - 1 })}`;
    const current = `Bearer ${tokenWith({ token_type: 'access', exp: NOW + 60 })}`;
    assert.equal(reasonOf(ERRORS.access_token_invalid, expired), 'expired');
    assert.equal(
      reasonOf(ERRORS.access_token_invalid, current),
      'invalid',
      'a valid exp with a bad signature is invalid',
    );
    assert.equal(reasonOf(ERRORS.access_token_invalid, 'Bearer garbage'), 'invalid');
    assert.equal(reasonOf(ERRORS.access_token_invalid, `Bearer ${tokenWith({ exp: 'soon' })}`), 'invalid');
    assert.equal(reasonOf(ERRORS.access_token_invalid, 'Bearer a.!!!.b'), 'invalid');
  });

  it('applies the leeway like the verifier (PyJWT: expired when exp <= now - leeway)', () => {
    const header = `Bearer ${tokenWith({ exp: NOW - 10 })}`;
    assert.equal(hasExpired(header, NOW, 10), true);
    assert.equal(hasExpired(header, NOW, 11), false);
  });

  it('ignores errors that are not authentication failures', () => {
    assert.equal(reasonOf(ERRORS.permission_denied), null);
    assert.equal(reasonOf(ERRORS.token_invalid), null, "the token endpoints' own errors");
    assert.equal(reasonOf(ERRORS.no_active_account), null);
    assert.equal(reasonOf(dynamicError(403, { detail: 'Custom message.' })), null);
  });
});
