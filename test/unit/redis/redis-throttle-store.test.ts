import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { failurePolicyOf } from '../../../src/store/redis/failure-policy.js';
import type { RedisLink } from '../../../src/store/redis/redis-link.js';
import { RedisThrottleStore } from '../../../src/store/redis/redis-throttle-store.js';
import { createInProcessThrottleStore } from '../../../src/store/throttle/in-process-throttle-store.js';
import {
  newThrottleOutcome,
  type ThrottleOutcome,
  type ThrottleRule,
} from '../../../src/store/throttle/throttle-store.js';
import { redisAvailable, startRedis, type RedisServer } from '../../support/redis-server.js';
import { openLink, recordingLogger, uniquePrefix, until } from './redis-fixtures.js';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const skip = redisAvailable() ? false : 'redis-server is not installed';

const rule = (id: number, scope: string, limit: number, periodMs: number): ThrottleRule =>
  Object.freeze({ id, scope, limit, periodMs });
const policy = failurePolicyOf(['login_username', 'login_ip']);

function outcome(out: ThrottleOutcome): ThrottleOutcome {
  return { ...out };
}

describe('Redis throttle store', { skip }, () => {
  let redis: RedisServer;
  let link: RedisLink;

  before(async () => {
    redis = await startRedis();
    link = await openLink(redis.url);
  });

  after(async () => {
    await link?.close();
    await redis?.stop();
  });

  /** A store replaying the caller's timestamps (keys kept for an hour of real time, so none expires mid-test). */
  const callerClockStore = (rules: readonly ThrottleRule[]): RedisThrottleStore =>
    new RedisThrottleStore(link, rules, {
      failurePolicy: policy,
      clock: 'caller',
      keyPrefix: uniquePrefix(),
      expirySlackMs: HOUR,
    });

  it('decides exactly like the embedded store on random traffic, exact and bucketed (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 65, max: 200 })),
        fc.integer({ min: 1, max: 90 }),
        // Mostly short gaps (bursts, refusals), sometimes pauses of up to 2.5 periods (expiry, ring reuse).
        fc.array(
          fc.oneof(
            { weight: 12, arbitrary: fc.integer({ min: 0, max: 3_000 }) },
            { weight: 1, arbitrary: fc.integer({ min: 0, max: 25_000 }) },
          ),
          {
            minLength: 1,
            maxLength: 250,
            size: 'max',
          },
        ),
        async (limit, seconds, gaps) => {
          const r = rule(0, 'prop', limit, seconds * 1000);
          const embedded = createInProcessThrottleStore([r], { capacity: 8 });
          const store = callerClockStore([r]);
          const want = newThrottleOutcome();
          const got = newThrottleOutcome();
          let at = T0;
          for (const gap of gaps) {
            at += Math.floor((gap * seconds) / 10);
            embedded.hit(r, 'k', at, want);
            await store.hit(r, 'k', at, got);
            assert.deepEqual(outcome(got), outcome(want), `at +${at - T0} ms`);
          }
          embedded.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('decides exactly like the embedded store when a bucketed limit is hit continuously (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 65, max: 130 }),
        fc.integer({ min: 1, max: 60 }),
        // Gaps of up to two sub-buckets: nearly every bucket holds entries and the limit is reached again and again.
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 100, maxLength: 400, size: 'max' }),
        async (limit, seconds, gaps) => {
          const r = rule(0, 'steady', limit, seconds * 1000);
          const bucketMs = Math.ceil((seconds * 1000) / 64);
          const embedded = createInProcessThrottleStore([r], { capacity: 8 });
          const store = callerClockStore([r]);
          const want = newThrottleOutcome();
          const got = newThrottleOutcome();
          let at = T0;
          for (const gap of gaps) {
            at += Math.floor((gap * bucketMs) / 100);
            embedded.hit(r, 'k', at, want);
            await store.hit(r, 'k', at, got);
            assert.deepEqual(outcome(got), outcome(want), `at +${at - T0} ms`);
          }
          embedded.close();
        },
      ),
      { numRuns: 25 },
    );
  });

  it('decides hitAll exactly like the embedded store: all admit or nothing counts (property)', async () => {
    const rules = [rule(0, 'burst', 3, 1_000), rule(1, 'sustained', 20, 60_000), rule(2, 'big', 100, 10_000)];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 400 }),
            fc.subarray([0, 1, 2], { minLength: 1 }),
            fc.constantFrom('a', 'b'),
          ),
          {
            minLength: 1,
            maxLength: 200,
            size: 'max',
          },
        ),
        async (steps) => {
          const embedded = createInProcessThrottleStore(rules, { capacity: 8 });
          const store = callerClockStore(rules);
          const want = newThrottleOutcome();
          const got = newThrottleOutcome();
          let at = T0;
          for (const [gap, which, key] of steps) {
            at += gap;
            const chosen = which.map((i) => rules[i]!);
            const keys = chosen.map(() => key);
            embedded.hitAll(chosen, keys, at, want);
            await store.hitAll(chosen, keys, at, got);
            assert.deepEqual(outcome(got), outcome(want));
          }
          embedded.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('counts a repeated key once per occurrence in hitAll, like the embedded store', async () => {
    const big = rule(0, 'big', 100, 60_000);
    const store = callerClockStore([big]);
    const out = newThrottleOutcome();
    await store.hitAll([big, big], ['x', 'x'], T0, out);
    assert.equal(out.admitted, true);
    await store.hit(big, 'x', T0, out);
    assert.equal(out.remaining, 97);
  });

  it('admits exactly L of many concurrent decisions on one key, with the server clock, and answers DRF’s Retry-After', async () => {
    const limited = rule(0, 'limited', 50, 60_000);
    const store = new RedisThrottleStore(link, [limited], {
      failurePolicy: policy,
      keyPrefix: uniquePrefix(),
    });
    const outs = Array.from({ length: 300 }, () => newThrottleOutcome());
    await Promise.all(outs.map((out) => store.hit(limited, 'user:1', 0, out)));
    assert.equal(outs.filter((o) => o.admitted).length, 50);
    const refused = outs.find((o) => !o.admitted)!;
    assert.equal(Math.ceil(refused.waitMs / 1000), 60);
    assert.equal(refused.limit, 50);
    assert.equal(store.refusedByPolicy(refused), false, 'an exhausted quota is not a policy refusal');
  });

  it('checks its arguments like the embedded store', async () => {
    const burst = rule(0, 'burst', 3, 1_000);
    const store = callerClockStore([burst]);
    const out = newThrottleOutcome();
    out.admitted = false;
    await store.hitAll([], [], T0, out);
    assert.equal(out.admitted, true);
    assert.throws(() => store.hitAll([burst], [], T0, out), /one key per rule/);
    assert.throws(() => store.hit({ ...burst, id: 7 }, 'k', T0, out), /not in this store/);
    assert.throws(() => store.hit({ ...burst, limit: 4 }, 'k', T0, out), /not in this store/);
  });

  it('loads its script again after Redis forgot it (SCRIPT FLUSH, as after a restart)', async () => {
    const burst = rule(0, 'burst', 3, 1_000);
    const store = callerClockStore([burst]);
    const out = newThrottleOutcome();
    await link.client.sendCommand(['SCRIPT', 'FLUSH']);
    await store.hit(burst, 'k', T0, out);
    assert.equal(out.admitted, true);
    assert.equal(out.remaining, 2);
  });

  it('expires a key one period after its last admission (plus the slack)', async () => {
    const prefix = uniquePrefix();
    const r = rule(0, 'ttl', 5, 2_000);
    const store = new RedisThrottleStore(link, [r], {
      failurePolicy: policy,
      keyPrefix: prefix,
      expirySlackMs: 0,
    });
    await store.hit(r, 'k', 0, newThrottleOutcome());
    const ttl = Number(await link.client.sendCommand(['PTTL', `${prefix}ttl:5/2000:k`]));
    assert.ok(ttl > 0 && ttl <= 2_000, `PTTL ${ttl}`);
    const big = rule(0, 'bigttl', 100, 6_400);
    const bucketed = new RedisThrottleStore(link, [big], {
      failurePolicy: policy,
      keyPrefix: prefix,
      expirySlackMs: 0,
    });
    for (let i = 0; i < 3; i++) await bucketed.hit(big, 'k', 0, newThrottleOutcome());
    const bucketTtl = Number(await link.client.sendCommand(['PTTL', `${prefix}bigttl:100/6400:k`]));
    assert.ok(bucketTtl > 0 && bucketTtl <= 6_400 + 100, `PTTL ${bucketTtl}: a period and a sub-bucket`);
  });
});

describe('Redis throttle store when Redis is unreachable', { skip }, () => {
  it('follows the failure policy per scope, logs once per outage, and recovers when Redis returns', async () => {
    const redis = await startRedis();
    const { logger, lines } = recordingLogger();
    const link = await openLink(redis.url, { logger });
    const login = rule(0, 'login_ip', 100, 60_000);
    const anon = rule(1, 'anon', 5, 60_000);
    const store = new RedisThrottleStore(link, [login, anon], {
      failurePolicy: policy,
      keyPrefix: uniquePrefix(),
    });
    try {
      const out = newThrottleOutcome();
      await store.hit(anon, 'ip:1', 0, out);
      assert.equal(out.remaining, 4);

      await redis.stop();
      await until(() => !link.usable, 'the link to notice the outage');
      // Decided at once, without a promise.
      const closed = newThrottleOutcome();
      assert.equal(store.hit(login, '127.0.0.1', 0, closed), undefined);
      assert.equal(closed.admitted, false);
      assert.equal(store.refusedByPolicy(closed), true);
      assert.equal(Math.ceil(closed.waitMs / 1000), 5);
      const open = newThrottleOutcome();
      for (let i = 0; i < 20; i++) {
        assert.equal(store.hit(anon, 'ip:1', 0, open), undefined);
        assert.equal(open.admitted, true, 'anon fails open: admitted uncounted');
      }
      const both = newThrottleOutcome();
      store.hitAll([anon, login], ['ip:1', '127.0.0.1'], 0, both);
      assert.equal(both.admitted, false, 'one closed rule closes the decision');
      assert.equal(lines.filter((l) => l.level === 'warn').length, 1, 'one warning for the whole outage');

      await redis.restart();
      await until(() => link.usable, 'the link to reconnect by itself');
      const back = newThrottleOutcome();
      await store.hit(anon, 'ip:2', 0, back);
      assert.equal(back.admitted, true);
      assert.equal(back.remaining, 4, 'a fresh Redis: counting again');
      const recovered = lines.filter((l) => l.level === 'info');
      assert.equal(recovered.length, 1);
      assert.ok((recovered[0]!.fields['decidedByPolicy'] as number) >= 22);
      for (const line of lines) assert.doesNotMatch(JSON.stringify(line), /password/);
    } finally {
      await link.close();
      await redis.stop();
    }
  });

  it('decides by policy when Redis stops answering (SIGSTOP), and recovers after SIGCONT', async () => {
    const redis = await startRedis();
    const link = await openLink(redis.url, { timeoutMs: 300 });
    const login = rule(0, 'login_username', 10, 60_000);
    const user = rule(1, 'user', 1000, 60_000);
    const store = new RedisThrottleStore(link, [login, user], {
      failurePolicy: policy,
      keyPrefix: uniquePrefix(),
    });
    try {
      redis.pause();
      const a = newThrottleOutcome();
      const b = newThrottleOutcome();
      // Both are sent to a server that never answers; the watchdog drops the connection and policy decides.
      await Promise.all([store.hit(login, 'x', 0, a), store.hit(user, 'user:1', 0, b)]);
      assert.equal(a.admitted, false);
      assert.equal(store.refusedByPolicy(a), true);
      assert.equal(b.admitted, true);
      assert.equal(
        link.usable,
        false,
        'the new connection cannot complete its handshake while Redis is frozen',
      );
      redis.resume();
      await until(() => link.usable, 'the link to recover after SIGCONT');
      const c = newThrottleOutcome();
      await store.hit(login, 'x', 0, c);
      assert.equal(c.admitted, true);
      assert.equal(store.refusedByPolicy(c), false);
      assert.equal(c.remaining, 9);
    } finally {
      redis.resume();
      await link.close();
      await redis.stop();
    }
  });
});
