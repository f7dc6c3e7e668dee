/**
 * One rule's table in a throttle region: groups of slots, one key per slot, one lock per group (layout in
 * region-layout.ts). This base class finds or claims a key's slot; the subclasses keep the key's window
 * (an exact log of timestamps, or time sub-buckets) and decide.
 *
 * A key may live in one of two groups: its first choice (from hash a) or its second (from hash b), whichever had
 * more room when it arrived. Two choices keep groups evenly filled, so a full pair of groups, and so an eviction,
 * stays rare up to high loads (with one choice, groups of 8 overflow for several % of keys at 60% load; see
 * docs/throttling.md, "Sizing"). A key is only ever placed with both of its groups locked, so it cannot end up
 * in both.
 *
 * Every method except homeLock/otherLock must be called with the locks of the groups it touches held. Timestamps are integer epoch
 * milliseconds stored in Float64 cells (exact up to 2^53), so there is no epoch to rebase and nothing wraps.
 *
 * Slot words common to both modes:
 *   word 0: i32 hash a, i32 hash b     (the key's 64-bit keyed hash; both halves are compared)
 *   word 1: mode-specific Int32 pair
 *   word 2: f64 newest admitted timestamp (0: never used); the slot is free for another key once
 *           newest <= now - period, because then every entry in it has left the window
 */
import { GROUP_SLOTS, HEADER, type TableLayout } from './region-layout.js';
import type { ThrottleOutcome } from './throttle-store.js';

export abstract class WindowTable {
  readonly id: number;
  readonly limit: number;
  readonly periodMs: number;
  protected readonly slotWords: number;
  private readonly firstWord: number;
  private readonly groupWords: number;
  private readonly groupMask: number;

  constructor(
    layout: TableLayout,
    protected readonly i32: Int32Array,
    protected readonly f64: Float64Array,
  ) {
    this.id = layout.id;
    this.limit = layout.limit;
    this.periodMs = layout.periodMs;
    this.slotWords = layout.slotWords;
    this.firstWord = layout.offsetWords;
    this.groupWords = layout.groupWords;
    this.groupMask = layout.groupCount - 1;
  }

  /** The Int32 index of the lock of the key's first-choice group (from hash a). */
  homeLock(a: number): number {
    return 2 * (this.firstWord + (a & this.groupMask) * this.groupWords);
  }

  /** The lock of the key's second-choice group (from hash b), or -1 when the table has a single group. */
  otherLock(a: number, b: number): number {
    if (this.groupMask === 0) return -1;
    let group = b & this.groupMask;
    if (group === (a & this.groupMask)) group ^= 1;
    return 2 * (this.firstWord + group * this.groupWords);
  }

  /** The slot (first word) holding the key with hashes a/b in the group locked at `lock`, or -1. */
  findIn(lock: number, a: number, b: number): number {
    const i32 = this.i32;
    const first = (lock >> 1) + 1;
    const end = first + GROUP_SLOTS * this.slotWords;
    for (let slot = first; slot < end; slot += this.slotWords) {
      if (i32[2 * slot] === a && i32[2 * slot + 1] === b) return slot;
    }
    return -1;
  }

  /**
   * Claims a slot for a key found in neither of its groups (both locked; `otherLock` may be -1): a slot whose
   * entries have all expired, in whichever group has more of them (the first choice on a tie: "power of two
   * choices" keeps groups evenly filled); else (both groups full of live keys) the slot whose newest entry is
   * oldest. Eviction forgets that key's history, so it may be admitted again
   * early; the header counts evictions so that operators can size the table (docs/throttling.md, "Sizing").
   * The claimed slot's newest is set to `now` so that it stays reserved until it records or a period passes
   * (hitAll claims several slots before recording any).
   */
  claim(homeLock: number, otherLock: number, a: number, b: number, now: number): number {
    const horizon = now - this.periodMs;
    let victim = this.firstExpired(homeLock, horizon);
    if (otherLock >= 0 && this.freeSlots(otherLock, horizon) > this.freeSlots(homeLock, horizon)) {
      victim = this.firstExpired(otherLock, horizon);
    }
    if (victim < 0) {
      victim = this.oldest(homeLock);
      if (otherLock >= 0) {
        const other = this.oldest(otherLock);
        if (this.f64[other + 2]! < this.f64[victim + 2]!) victim = other;
      }
      Atomics.add(this.i32, HEADER.evictions, 1);
    }
    this.i32[2 * victim] = a;
    this.i32[2 * victim + 1] = b;
    this.f64[victim + 2] = now;
    this.resetWindow(victim, now);
    return victim;
  }

  private firstExpired(lock: number, horizon: number): number {
    const first = (lock >> 1) + 1;
    const end = first + GROUP_SLOTS * this.slotWords;
    for (let slot = first; slot < end; slot += this.slotWords)
      if (this.f64[slot + 2]! <= horizon) return slot;
    return -1;
  }

  private freeSlots(lock: number, horizon: number): number {
    const first = (lock >> 1) + 1;
    const end = first + GROUP_SLOTS * this.slotWords;
    let free = 0;
    for (let slot = first; slot < end; slot += this.slotWords) if (this.f64[slot + 2]! <= horizon) free++;
    return free;
  }

  private oldest(lock: number): number {
    const first = (lock >> 1) + 1;
    const end = first + GROUP_SLOTS * this.slotWords;
    let oldest = first;
    for (let slot = first + this.slotWords; slot < end; slot += this.slotWords)
      if (this.f64[slot + 2]! < this.f64[oldest + 2]!) oldest = slot;
    return oldest;
  }

  /**
   * The time to decide with. Worker clocks are one clock, but a process can read it and then wait for the lock
   * while another records a later time; deciding at max(now, newest) keeps every log ordered and can only delay
   * expiry, never admit early. A step of the clock backwards by more than a period (an operator's correction)
   * would otherwise lock a key out until the clock caught up: the window is forgotten instead.
   */
  effectiveNow(slot: number, now: number): number {
    const newest = this.f64[slot + 2]!;
    if (newest <= now) return now;
    if (newest - now <= this.periodMs) return newest;
    this.f64[slot + 2] = 0;
    this.resetWindow(slot, now);
    return now;
  }

  /** Re-checks every slot of a group after its lock was taken from a dead or wedged holder. */
  repairGroup(lockIndex: number): void {
    const first = (lockIndex >> 1) + 1;
    for (let slot = first, i = 0; i < GROUP_SLOTS; i++, slot += this.slotWords) {
      const newest = this.f64[slot + 2]!;
      if (!(newest >= 0) || !this.windowIsConsistent(slot)) {
        this.f64[slot + 2] = 0;
        this.resetWindow(slot, 0);
      }
    }
  }

  /** Empties the slot's window (a newly claimed slot, a reset). */
  protected abstract resetWindow(slot: number, now: number): void;

  /** False when a crash inside a critical section left the window's bookkeeping impossible. */
  protected abstract windowIsConsistent(slot: number): boolean;

  /**
   * Drops expired entries and fills `out` as if the request were refused or admitted, without recording it.
   * Returns whether it would be admitted. For an admission, `remaining` and `resetMs` describe the state before
   * recording; `record` is then called with the same `now`.
   */
  abstract check(slot: number, now: number, out: ThrottleOutcome): boolean;

  /** Records an admission at `now` (after check returned true under the same lock hold). */
  abstract record(slot: number, now: number): void;
}
