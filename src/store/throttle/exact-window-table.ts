/**
 * Exact sliding log, for limits up to EXACT_LOG_MAX_LIMIT: the times of the admitted requests of the last
 * period, in a ring of `limit` entries. This is DRF's SimpleRateThrottle history exactly (an entry leaves the
 * window when `entry <= now - period`, a request is refused when `limit` entries remain, and the wait is
 * `oldest + period - now`).
 *
 * Slot words:
 *   word 0: i32 hash a, i32 hash b
 *   word 1: i32 count (entries in the ring), i32 head (ring index of the oldest entry)
 *   word 2: f64 newest
 *   words 3 .. 3+limit-1: f64 ring of admitted timestamps, oldest at head
 */
import { WindowTable } from './window-table.js';
import type { ThrottleOutcome } from './throttle-store.js';

export class ExactWindowTable extends WindowTable {
  protected resetWindow(slot: number, _now: number): void {
    this.i32[2 * slot + 2] = 0;
    this.i32[2 * slot + 3] = 0;
  }

  protected windowIsConsistent(slot: number): boolean {
    const count = this.i32[2 * slot + 2]!;
    const head = this.i32[2 * slot + 3]!;
    return count >= 0 && count <= this.limit && head >= 0 && head < this.limit;
  }

  check(slot: number, now: number, out: ThrottleOutcome): boolean {
    const i32 = this.i32;
    const f64 = this.f64;
    const size = this.limit;
    const ring = slot + 3;
    const horizon = now - this.periodMs;
    let count = i32[2 * slot + 2]!;
    let head = i32[2 * slot + 3]!;
    while (count > 0 && f64[ring + head]! <= horizon) {
      head = head + 1 === size ? 0 : head + 1;
      count--;
    }
    i32[2 * slot + 2] = count;
    i32[2 * slot + 3] = head;
    out.limit = size;
    out.resetMs = count === 0 ? 0 : f64[slot + 2]! + this.periodMs - now;
    if (count >= size) {
      out.admitted = false;
      out.waitMs = f64[ring + head]! + this.periodMs - now;
      out.remaining = 0;
      return false;
    }
    out.admitted = true;
    out.waitMs = 0;
    out.remaining = size - count;
    return true;
  }

  record(slot: number, now: number): void {
    const count = this.i32[2 * slot + 2]!;
    let tail = this.i32[2 * slot + 3]! + count;
    if (tail >= this.limit) tail -= this.limit;
    this.f64[slot + 3 + tail] = now;
    this.f64[slot + 2] = now;
    this.i32[2 * slot + 2] = count + 1;
  }
}
