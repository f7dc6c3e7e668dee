import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createInProcessThrottleStore } from '../../../src/store/throttle/in-process-throttle-store.js';
import { newThrottleOutcome, type ThrottleRule } from '../../../src/store/throttle/throttle-store.js';

const T0 = 1_700_000_000_000;
const burst: ThrottleRule = { scope: 'burst', limit: 3, periodMs: 1_000, id: 0 };
const sustained: ThrottleRule = { scope: 'sustained', limit: 5, periodMs: 60_000, id: 1 };
const big: ThrottleRule = { scope: 'big', limit: 100, periodMs: 60_000, id: 2 };

describe('hitAll', () => {
  it('admits only when every rule admits, and then counts in every rule', () => {
    const store = createInProcessThrottleStore([burst, sustained, big]);
    const out = newThrottleOutcome();
    store.hitAll([burst, sustained], ['u', 'u'], T0, out);
    assert.equal(out.admitted, true);
    assert.equal(out.remaining, 2, 'the most restrictive rule: burst has 2 left');
    assert.equal(out.limit, 3);
    store.hitAll([burst, sustained], ['u', 'u'], T0, out);
    store.hitAll([burst, sustained], ['u', 'u'], T0, out);
    assert.equal(out.admitted, true);
    assert.equal(out.remaining, 0);
    // Burst is full: refused, and sustained (2 of 5 left) is not charged for it.
    for (let i = 0; i < 10; i++) store.hitAll([burst, sustained], ['u', 'u'], T0 + 10, out);
    assert.equal(out.admitted, false);
    assert.equal(out.waitMs, 990);
    assert.equal(out.limit, 3);
    store.hit(sustained, 'u', T0 + 20, out);
    assert.equal(out.admitted, true);
    assert.equal(out.remaining, 1, 'only the three admitted requests counted in sustained');
  });

  it('reports the longest wait among the refusing rules (DRF: max of the waits)', () => {
    const store = createInProcessThrottleStore([burst, sustained]);
    const out = newThrottleOutcome();
    for (let i = 0; i < 5; i++) store.hitAll([sustained, burst], ['u', 'u'], T0 + i * 2_000, out);
    assert.equal(out.admitted, true);
    // Both full at T0+8,000+: burst holds T0+8000 only... fill it too.
    store.hit(burst, 'u', T0 + 8_100, out);
    store.hit(burst, 'u', T0 + 8_200, out);
    store.hitAll([burst, sustained], ['u', 'u'], T0 + 8_300, out);
    assert.equal(out.admitted, false);
    assert.equal(out.waitMs, 60_000 - 8_300, 'sustained frees at T0+60,000; burst already at T0+9,000');
    assert.equal(out.limit, 5);
  });

  it('does not record anything when a later rule refuses (unlike DRF, which has charged the earlier ones)', () => {
    const store = createInProcessThrottleStore([burst, big]);
    const out = newThrottleOutcome();
    for (let i = 0; i < 3; i++) store.hit(burst, 'b', T0, out);
    for (let i = 0; i < 50; i++) store.hitAll([big, burst], ['a', 'b'], T0, out);
    assert.equal(out.admitted, false);
    store.hit(big, 'a', T0, out);
    assert.equal(out.remaining, 99, 'big was never charged');
  });

  it('handles keys that share a group, and one rule twice, without deadlocking', () => {
    // 8 keys of capacity: one group, so every key below shares one lock.
    const store = createInProcessThrottleStore([burst, big], { capacity: 8 });
    const out = newThrottleOutcome();
    store.hitAll([big, big, burst], ['x', 'y', 'x'], T0, out);
    assert.equal(out.admitted, true);
    store.hitAll([big, big], ['x', 'x'], T0, out);
    assert.equal(out.admitted, true);
    store.hit(big, 'x', T0, out);
    assert.equal(out.remaining, 96, 'x was counted once per occurrence (three) plus this hit');
  });

  it('treats no rules as admitted and checks its arguments', () => {
    const store = createInProcessThrottleStore([burst]);
    const out = newThrottleOutcome();
    out.admitted = false;
    store.hitAll([], [], T0, out);
    assert.equal(out.admitted, true);
    assert.throws(() => store.hitAll([burst], [], T0, out), /one key per rule/);
    assert.throws(() => store.hit({ ...burst, id: 7 }, 'k', T0, out), /not in this region/);
    assert.throws(() => store.hit({ ...burst, limit: 4 }, 'k', T0, out), /not in this region/);
    store.close();
    assert.throws(() => store.hit(burst, 'k', T0, out), /closed/);
  });
});
