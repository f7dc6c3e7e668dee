/**
 * The slow path of the spin locks that guard shared-memory structures across worker processes.
 *
 * A lock is one Int32 cell: 0 when free, otherwise the holder's process id. Callers inline the fast path
 * (`Atomics.compareExchange(cells, index, 0, pid) === 0`) and call `acquireContended` only when it fails.
 * Atomics.wait cannot be used on these cells (they are not a SharedArrayBuffer, and a futex would not be shared
 * across processes anyway), so waiting is spinning, then short sleeps so that a holder that was descheduled on
 * a busy core gets to run.
 *
 * Critical sections are a few hundred nanoseconds of straight-line code, so a lock that stays taken means the
 * holder is gone or wedged:
 *  - a holder that died (kill -9, crash inside the section) is detected with isProcessAlive and its lock is
 *    taken over at once;
 *  - a holder that is alive but has kept the lock for `stealFromLiveOwnerAfterMs` (stopped with SIGSTOP, paused
 *    in a debugger, or a pid reused by an unrelated process) also loses it, so one stuck process cannot freeze
 *    every worker.
 * Either way the data the lock guards may be half-updated; `acquireContended` returns true so that the caller
 * can repair it (docs/throttling.md, "Crash behaviour"). Release with compareExchange(pid → 0), never a plain
 * store: a holder that resumes after its lock was taken over must not release the new holder's lock.
 */
import { isProcessAlive } from './process-liveness.js';

export interface LockPolicy {
  /** Attempts in a tight loop before the first sleep. */
  readonly spins: number;
  /** Length of each sleep between bursts of attempts. */
  readonly sleepMs: number;
  /** Take the lock from a live holder that has kept it this long. */
  readonly stealFromLiveOwnerAfterMs: number;
}

export const DEFAULT_LOCK_POLICY: LockPolicy = Object.freeze({
  spins: 256,
  sleepMs: 0.05,
  stealFromLiveOwnerAfterMs: 2_000,
});

/** A private cell to sleep on: Atomics.wait with a timeout is a synchronous sleep that yields the core. */
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/**
 * Waits for the lock at `cells[index]` and takes it for `owner`. Returns true when it was taken over from a dead
 * or wedged holder (the guarded data needs repair), false when it was released normally. `onSteal` counts
 * take-overs (a cell in the region header).
 */
export function acquireContended(
  cells: Int32Array,
  index: number,
  owner: number,
  policy: LockPolicy,
  onSteal: () => void,
): boolean {
  let watched = 0;
  let watchedSince = 0;
  for (;;) {
    for (let attempt = 0; attempt < policy.spins; attempt++) {
      if (Atomics.load(cells, index) === 0 && Atomics.compareExchange(cells, index, 0, owner) === 0)
        return false;
    }
    Atomics.wait(SLEEPER, 0, 0, policy.sleepMs);
    const holder = Atomics.load(cells, index);
    if (holder === 0) continue;
    const now = Date.now();
    if (holder !== watched) {
      watched = holder;
      watchedSince = now;
    }
    if (!isProcessAlive(holder) || now - watchedSince >= policy.stealFromLiveOwnerAfterMs) {
      if (Atomics.compareExchange(cells, index, holder, owner) === holder) {
        onSteal();
        return true;
      }
    }
  }
}
