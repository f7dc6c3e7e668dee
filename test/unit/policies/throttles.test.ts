/**
 * DRF's throttle classes as the registry compiles them: which requests each one counts, under which bucket key,
 * and which rule; rule ids in a fixed order so that the supervisor and every worker agree without talking.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ThrottleConfig } from '../../../src/config/config-types.js';
import {
  LOGIN_IP_SCOPE,
  LOGIN_USERNAME_SCOPE,
  ThrottleRegistry,
  throttleRulesOf,
} from '../../../src/policies/throttles.js';
import { ALICE, fakeContext } from '../pipeline/fake-context.js';

const config = (
  rates: Record<string, string>,
  login: { user?: string | null; ip?: string | null } = {},
): ThrottleConfig => ({
  rates,
  rateLimitHeaders: false,
  capacity: 1024,
  loginRateByUsername: login.user ?? null,
  loginRateByIp: login.ip ?? null,
});

describe('throttle rules', () => {
  it('are sorted by scope with ids in that order, login scopes included', () => {
    const rules = throttleRulesOf(
      config({ user: '100/min', anon: '10/s', burst: '10/5m' }, { user: '10/min', ip: '100/min' }),
    );
    assert.deepEqual(
      rules.map((r) => [r.scope, r.id, r.limit, r.periodMs]),
      [
        ['anon', 0, 10, 1000],
        ['burst', 1, 10, 300_000],
        [LOGIN_IP_SCOPE, 2, 100, 60_000],
        [LOGIN_USERNAME_SCOPE, 3, 10, 60_000],
        ['user', 4, 100, 60_000],
      ],
    );
  });

  it('refuses a bad rate, naming the scope', () => {
    assert.throws(() => throttleRulesOf(config({ anon: 'lots' })), /throttle scope "anon"/);
  });
});

describe('throttle registry', () => {
  const registry = new ThrottleRegistry(config({ anon: '10/min', user: '100/min', limited: '5/min' }));
  const anonymous = fakeContext({ peer: '192.0.2.7' });
  const alice = fakeContext({ peer: '192.0.2.7', credentials: ALICE });

  it('anon (AnonRateThrottle): anonymous requests by client address; users are not throttled by it', () => {
    const throttle = registry.compile('anon');
    assert.equal(throttle.rule.scope, 'anon');
    assert.equal(throttle.key(anonymous), 'ip:192.0.2.7');
    assert.equal(throttle.key(alice), null);
  });

  it('user (UserRateThrottle): by user id, by client address when anonymous', () => {
    const throttle = registry.compile('user');
    assert.equal(throttle.rule.scope, 'user');
    assert.equal(throttle.key(alice), 'user:1');
    assert.equal(throttle.key(anonymous), 'ip:192.0.2.7');
  });

  it('scoped (ScopedRateThrottle): the scope’s rule, the same keys as user', () => {
    const throttle = registry.compile({ scope: 'limited' });
    assert.equal(throttle.rule.limit, 5);
    assert.equal(throttle.key(alice), 'user:1');
    assert.equal(throttle.key(anonymous), 'ip:192.0.2.7');
  });

  it('custom key: the application decides the bucket (null: not throttled)', () => {
    const throttle = registry.compile({
      scope: 'limited',
      key: (ctx) => (ctx.method === 'POST' ? 'writes' : null),
    });
    assert.equal(throttle.key(fakeContext({ method: 'POST' })), 'writes');
    assert.equal(throttle.key(fakeContext({ method: 'GET' })), null);
  });

  it('shares one rule object per scope between routes (one bucket per user, as DRF’s cache key)', () => {
    assert.equal(registry.compile('user').rule, registry.compile({ scope: 'user' }).rule);
  });

  it('refuses a scope without a rate at start-up, naming it', () => {
    assert.throws(() => registry.compile({ scope: 'nope' }), /no throttle rate configured for scope "nope"/);
    assert.equal(registry.find(LOGIN_USERNAME_SCOPE), null);
  });

  it('keys anonymous requests by the forwarded client only behind a trusted proxy', () => {
    const throttle = registry.compile('anon');
    const spoofed = fakeContext({ peer: '192.0.2.7', forwardedFor: '203.0.113.9' });
    assert.equal(throttle.key(spoofed), 'ip:192.0.2.7');
    const proxied = fakeContext({
      peer: '127.0.0.1',
      forwardedFor: '203.0.113.9',
      trustedProxies: ['127.0.0.1/32'],
    });
    assert.equal(throttle.key(proxied), 'ip:203.0.113.9');
  });
});
