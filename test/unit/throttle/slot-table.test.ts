import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createInProcessThrottleStore } from '../../../src/store/throttle/in-process-throttle-store.js';
import {
  computeRegionLayout,
  EXACT_LOG_MAX_LIMIT,
  GROUP_SLOTS,
} from '../../../src/store/throttle/region-layout.js';
import { newThrottleOutcome, type ThrottleRule } from '../../../src/store/throttle/throttle-store.js';

const T0 = 1_700_000_000_000;
const fiveAMinute: ThrottleRule = { scope: 'limited', limit: 5, periodMs: 60_000, id: 0 };
const thousandAMinute: ThrottleRule = { scope: 'anon', limit: 1000, periodMs: 60_000, id: 1 };

describe('table slots', () => {
  it('reuses the slots of keys whose entries all expired, without evicting live keys', () => {
    const store = createInProcessThrottleStore([fiveAMinute], { capacity: GROUP_SLOTS });
    const out = newThrottleOutcome();
    for (let k = 0; k < GROUP_SLOTS; k++)
      for (let i = 0; i < 5; i++) store.hit(fiveAMinute, `old${k}`, T0, out);
    // A period later every old key has expired: new keys take their slots without any eviction.
    for (let k = 0; k < GROUP_SLOTS; k++)
      for (let i = 0; i < 6; i++) store.hit(fiveAMinute, `new${k}`, T0 + 60_000, out);
    assert.equal(out.admitted, false, 'new keys are throttled on their own');
    assert.equal(store.stats().evictions, 0);
  });

  it('evicts the key whose newest entry is oldest when the group is full of live keys, and counts it', () => {
    const store = createInProcessThrottleStore([fiveAMinute], { capacity: GROUP_SLOTS });
    const out = newThrottleOutcome();
    for (let k = 0; k < GROUP_SLOTS; k++)
      for (let i = 0; i < 5; i++) store.hit(fiveAMinute, `key${k}`, T0 + k, out);
    store.hit(fiveAMinute, 'intruder', T0 + 100, out);
    assert.equal(out.admitted, true);
    assert.equal(store.stats().evictions, 1);
    // key0 (newest entry T0) was forgotten: it gets a fresh quota; key1 was not.
    store.hit(fiveAMinute, 'key1', T0 + 200, out);
    assert.equal(out.admitted, false);
    store.hit(fiveAMinute, 'key0', T0 + 200, out);
    assert.equal(out.admitted, true);
  });

  it('never confuses keys: 20,000 keys in a 32,768-key table each get exactly their limit', () => {
    const store = createInProcessThrottleStore([fiveAMinute, thousandAMinute], { capacity: 32_768 });
    const out = newThrottleOutcome();
    let admitted = 0;
    for (let round = 0; round < 7; round++) {
      for (let k = 0; k < 20_000; k++) {
        store.hit(fiveAMinute, `ip:${k}`, T0 + round, out);
        if (out.admitted) admitted++;
      }
    }
    const evictions = store.stats().evictions;
    assert.equal(evictions, 0, 'at 61% load two choices of 8 slots should not both be full');
    assert.equal(admitted, 100_000);
  });

  it('keeps ordering when a process decides with a slightly older clock', () => {
    const store = createInProcessThrottleStore([fiveAMinute]);
    const out = newThrottleOutcome();
    for (let i = 0; i < 5; i++) store.hit(fiveAMinute, 'k', T0 + 1_000, out);
    store.hit(fiveAMinute, 'k', T0 + 900, out); // an older reading of the clock: decided at T0+1,000
    assert.equal(out.admitted, false);
    assert.equal(out.waitMs, 60_000);
  });

  it('forgets a window when the clock steps back by more than a period', () => {
    const store = createInProcessThrottleStore([fiveAMinute, thousandAMinute]);
    const out = newThrottleOutcome();
    for (let i = 0; i < 5; i++) store.hit(fiveAMinute, 'k', T0, out);
    for (let i = 0; i < 1000; i++) store.hit(thousandAMinute, 'k', T0, out);
    store.hit(fiveAMinute, 'k', T0 - 3_600_000, out);
    assert.equal(out.admitted, true);
    store.hit(thousandAMinute, 'k', T0 - 3_600_000, out);
    assert.equal(out.admitted, true);
  });

  it('repairs a group whose lock was taken over, and takes over from a wedged live holder', () => {
    const store = createInProcessThrottleStore([fiveAMinute], {
      lockPolicy: { spins: 8, sleepMs: 0.01, stealFromLiveOwnerAfterMs: 20 },
    });
    const out = newThrottleOutcome();
    for (let i = 0; i < 3; i++) store.hit(fiveAMinute, 'k', T0, out);
    store.holdLockForTest(fiveAMinute, 'k'); // held "forever" by this (live) process
    store.hit(fiveAMinute, 'k', T0, out);
    assert.equal(store.stats().lockTakeovers, 1);
    assert.equal(out.admitted, true);
    assert.equal(out.remaining, 1, 'the three earlier hits survived the repair');
  });

  it('sizes tables as documented', () => {
    const layout = computeRegionLayout([
      { id: 0, scope: 'limited', limit: 5, periodMs: 60_000, capacity: 65_536 },
      { id: 1, scope: 'anon', limit: 1000, periodMs: 60_000, capacity: 65_536 },
      { id: 2, scope: 'edge', limit: EXACT_LOG_MAX_LIMIT, periodMs: 1_000, capacity: 1 },
    ]);
    const [exact, bucketed, edge] = layout.tables;
    assert.equal(exact!.exact, true);
    assert.equal(exact!.slotWords, 8);
    assert.equal(bucketed!.exact, false);
    assert.equal(bucketed!.bucketMs, 938);
    assert.equal(bucketed!.bucketCount, 65);
    assert.equal(bucketed!.slotWords, 69);
    assert.equal(edge!.exact, true);
    assert.equal(edge!.capacity, GROUP_SLOTS);
    assert.equal(layout.byteLength % 8, 0);
    // 65,536 keys: 4.2 MB for 5/min, 36.2 MB for 1000/min.
    assert.equal(exact!.words * 8, 8_192 * (8 + 8 * 8 * 8));
    assert.equal(bucketed!.words * 8, 8_192 * (8 + 8 * 69 * 8));
  });
});
