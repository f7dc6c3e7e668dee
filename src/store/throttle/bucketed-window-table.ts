/**
 * Bucketed sliding log, for limits above EXACT_LOG_MAX_LIMIT (a log of 1,000 or 100,000 timestamps per key would
 * not fit). Time is cut into sub-buckets of w = ceil(period / 64) ms; bucket j covers [j·w, (j+1)·w). A key keeps
 * the buckets that can still hold entries younger than a period (B = ceil(period / w) + 1 of them, in a ring
 * indexed j mod B), each with its count and its newest timestamp.
 *
 * Counting is conservative: a bucket counts in full until its newest entry leaves the window, so an admitted
 * request is counted for at least a period and for less than period + w. Every window of one period therefore
 * holds at most `limit` admissions (never over-admits); the only error is refusing early, when requests admitted
 * during the oldest bucket are still counted although up to w ms too old. Retry-After is the time until the
 * oldest non-empty bucket's newest entry leaves the window, which is exactly when the next request is admitted.
 *
 * Slot words:
 *   word 0: i32 hash a, i32 hash b
 *   word 1: i32 total (sum of the bucket counts), i32 unused
 *   word 2: f64 newest
 *   word 3: f64 current bucket index j (buckets after it are empty)
 *   words 4 ..: i32 count[B], then i32 offset[B] (newest timestamp of the bucket minus j·w, < w)
 */
import type { TableLayout } from './region-layout.js';
import { WindowTable } from './window-table.js';
import type { ThrottleOutcome } from './throttle-store.js';

export class BucketedWindowTable extends WindowTable {
  private readonly bucketMs: number;
  private readonly buckets: number;

  constructor(layout: TableLayout, i32: Int32Array, f64: Float64Array) {
    super(layout, i32, f64);
    this.bucketMs = layout.bucketMs;
    this.buckets = layout.bucketCount;
  }

  protected resetWindow(slot: number, now: number): void {
    const counts = 2 * (slot + 4);
    this.i32.fill(0, counts, counts + this.buckets);
    this.i32[2 * slot + 2] = 0;
    this.f64[slot + 3] = Math.floor(now / this.bucketMs);
  }

  protected windowIsConsistent(slot: number): boolean {
    const counts = 2 * (slot + 4);
    let total = 0;
    for (let p = 0; p < this.buckets; p++) {
      const count = this.i32[counts + p]!;
      if (count < 0) return false;
      total += count;
    }
    // A crash between a bucket update and the total update leaves them apart by one: fix rather than forget.
    this.i32[2 * slot + 2] = total;
    return total <= this.limit;
  }

  check(slot: number, now: number, out: ThrottleOutcome): boolean {
    const i32 = this.i32;
    const w = this.bucketMs;
    const buckets = this.buckets;
    const counts = 2 * (slot + 4);
    const offsets = counts + buckets;
    const current = Math.floor(now / w);
    let total = i32[2 * slot + 2]!;

    // Empty the buckets that the ring reuses for the indexes between the last recorded one and now.
    const last = this.f64[slot + 3]!;
    if (current > last) {
      if (current - last >= buckets) {
        i32.fill(0, counts, counts + buckets);
        total = 0;
      } else {
        for (let j = last + 1; j <= current; j++) {
          const p = counts + (j % buckets);
          total -= i32[p]!;
          i32[p] = 0;
        }
      }
      this.f64[slot + 3] = current;
    }

    // Only the two oldest buckets can have started more than a period ago (B·w > period + w is impossible).
    const horizon = now - this.periodMs;
    for (let j = current - buckets + 1; j <= current - buckets + 2; j++) {
      if (j < 0) continue;
      const p = j % buckets;
      const count = i32[counts + p]!;
      if (count === 0) continue;
      if (j * w + i32[offsets + p]! > horizon) break;
      total -= count;
      i32[counts + p] = 0;
    }
    i32[2 * slot + 2] = total;

    out.limit = this.limit;
    out.resetMs = total === 0 ? 0 : this.f64[slot + 2]! + this.periodMs - now;
    if (total >= this.limit) {
      out.admitted = false;
      out.waitMs = this.oldestLiveNewest(slot, current) + this.periodMs - now;
      out.remaining = 0;
      return false;
    }
    out.admitted = true;
    out.waitMs = 0;
    out.remaining = this.limit - total;
    return true;
  }

  record(slot: number, now: number): void {
    const w = this.bucketMs;
    const current = Math.floor(now / w);
    const p = current % this.buckets;
    const counts = 2 * (slot + 4);
    this.i32[counts + p]!++;
    this.i32[counts + this.buckets + p] = now - current * w;
    this.i32[2 * slot + 2]!++;
    this.f64[slot + 2] = now;
  }

  /** The newest timestamp of the oldest bucket that still counts (there is one: total > 0). */
  private oldestLiveNewest(slot: number, current: number): number {
    const counts = 2 * (slot + 4);
    const offsets = counts + this.buckets;
    for (let j = Math.max(0, current - this.buckets + 1); j <= current; j++) {
      const p = j % this.buckets;
      if (this.i32[counts + p]! > 0) return j * this.bucketMs + this.i32[offsets + p]!;
    }
    return this.f64[slot + 2]!;
  }
}
