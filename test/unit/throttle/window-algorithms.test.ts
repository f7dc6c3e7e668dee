import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createInProcessThrottleStore } from '../../../src/store/throttle/in-process-throttle-store.js';
import { SUB_BUCKETS_PER_PERIOD } from '../../../src/store/throttle/region-layout.js';
import { newThrottleOutcome, type ThrottleRule } from '../../../src/store/throttle/throttle-store.js';
import { DrfSlidingLog } from './drf-model.js';

const T0 = 1_700_000_000_000;
const rule = (limit: number, periodMs: number, id = 0, scope = 'test'): ThrottleRule => ({
  scope,
  limit,
  periodMs,
  id,
});

function hits(
  limit: number,
  periodMs: number,
  times: readonly number[],
): { admitted: number[]; refused: { at: number; waitMs: number }[] } {
  const r = rule(limit, periodMs);
  const store = createInProcessThrottleStore([r], { capacity: 64 });
  const out = newThrottleOutcome();
  const admitted: number[] = [];
  const refused: { at: number; waitMs: number }[] = [];
  for (const at of times) {
    store.hit(r, 'k', at, out);
    if (out.admitted) admitted.push(at);
    else refused.push({ at, waitMs: out.waitMs });
  }
  store.close();
  return { admitted, refused };
}

describe('exact sliding log (limit <= 64)', () => {
  it('admits exactly L of L+20 hits, then again after the period', () => {
    const r = rule(50, 60_000);
    const store = createInProcessThrottleStore([r]);
    const out = newThrottleOutcome();
    let admitted = 0;
    for (let i = 0; i < 70; i++) {
      store.hit(r, 'user:1', T0 + i, out);
      if (out.admitted) admitted++;
    }
    assert.equal(admitted, 50);
    assert.equal(out.admitted, false);
    store.hit(r, 'user:1', T0 + 59_999, out);
    assert.equal(out.admitted, false);
    store.hit(r, 'user:1', T0 + 60_000, out); // the first entry (T0) leaves the window: DRF pops `<= now - duration`
    assert.equal(out.admitted, true);
    assert.equal(out.remaining, 0);
    store.hit(r, 'user:1', T0 + 60_000, out);
    assert.equal(out.admitted, false, 'T0+1 is still in the window');
    store.hit(r, 'user:1', T0 + 60_001, out);
    assert.equal(out.admitted, true, 'now T0+1 left too');
    store.hit(r, 'user:2', T0 + 60_001, out);
    assert.equal(out.admitted, true, 'keys are independent');
    assert.equal(out.remaining, 49);
  });

  it('answers the Retry-After of DRF for a burst: 5/min → 60', () => {
    const r = rule(5, 60_000);
    const store = createInProcessThrottleStore([r]);
    const out = newThrottleOutcome();
    for (let i = 0; i < 5; i++) store.hit(r, 'k', T0, out);
    assert.equal(out.admitted, true);
    assert.equal(out.remaining, 0);
    assert.equal(out.resetMs, 60_000);
    store.hit(r, 'k', T0, out);
    assert.equal(out.admitted, false);
    assert.equal(out.waitMs, 60_000);
    assert.equal(Math.ceil(out.waitMs / 1000), 60);
    assert.equal(out.limit, 5);
    store.hit(r, 'k', T0 + 15_500, out);
    assert.equal(Math.ceil(out.waitMs / 1000), 45);
  });

  it('decides exactly like DRF, with DRF’s wait, on random traffic (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 400 }),
        (limit, seconds, gaps) => {
          const periodMs = seconds * 1000;
          const model = new DrfSlidingLog(limit, periodMs);
          let at = T0;
          const times = gaps.map((gap) => (at += gap));
          const expected = times.map((t) => ({ t, wait: model.allow(t) }));
          const { refused } = hits(limit, periodMs, times);
          const expectedRefused = expected.filter((e) => e.wait !== null);
          assert.deepEqual(
            refused.map((r) => r.at),
            expectedRefused.map((e) => e.t),
          );
          // With a full history DRF's wait is the time until its oldest entry leaves the window.
          refused.forEach((r, i) => assert.equal(r.waitMs, expectedRefused[i]!.wait));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('bucketed sliding log (limit > 64)', () => {
  it('admits exactly L of L+20 hits in a burst, then resumes after the period', () => {
    const { admitted, refused } = hits(1234, 60_000, [
      ...Array.from({ length: 1254 }, () => T0),
      T0 + 60_000 + 60_000 / SUB_BUCKETS_PER_PERIOD + 1,
    ]);
    assert.equal(admitted.length, 1235);
    assert.equal(refused.length, 20);
    assert.equal(refused[0]!.waitMs, 60_000);
  });

  it('never admits more than L in any window, and refuses only when a window one sub-bucket longer is full (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 65, max: 300 }),
        fc.integer({ min: 1, max: 120 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 3_000 }),
        (limit, seconds, gaps) => {
          const periodMs = seconds * 1000;
          const bucketMs = Math.ceil(periodMs / SUB_BUCKETS_PER_PERIOD);
          let at = T0;
          const times = gaps.map((gap) => (at += Math.floor((gap * periodMs) / 40_000)));
          const { admitted, refused } = hits(limit, periodMs, times);
          // Upper bound: the window (t - period, t] ending at any admission holds at most `limit` admissions.
          let oldest = 0;
          for (let newest = 0; newest < admitted.length; newest++) {
            while (admitted[oldest]! <= admitted[newest]! - periodMs) oldest++;
            assert.ok(newest - oldest + 1 <= limit, `over-admitted at ${admitted[newest]! - T0}`);
          }
          // Error bound: a refusal at t means the slightly longer window (t - period - w, t] is full.
          for (const r of refused) {
            const inLongerWindow = admitted.filter((a) => a > r.at - periodMs - bucketMs && a <= r.at).length;
            assert.ok(inLongerWindow >= limit, `refused early at ${r.at - T0}`);
            // And Retry-After is right: the wait ends when an admission leaves even the longer window.
            assert.ok(r.waitMs > 0 && r.waitMs <= periodMs + bucketMs);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('admits exactly when its Retry-After says', () => {
    const r = rule(100, 10_000);
    const store = createInProcessThrottleStore([r]);
    const out = newThrottleOutcome();
    for (let i = 0; i < 100; i++) store.hit(r, 'k', T0 + i * 37, out);
    store.hit(r, 'k', T0 + 5_000, out);
    assert.equal(out.admitted, false);
    const wait = out.waitMs;
    store.hit(r, 'k', T0 + 5_000 + wait - 1, out);
    assert.equal(out.admitted, false);
    store.hit(r, 'k', T0 + 5_000 + wait, out);
    assert.equal(out.admitted, true);
  });
});
