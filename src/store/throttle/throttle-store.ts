/**
 * What every throttle store implements: the shared-memory store (synchronous, exact across worker processes),
 * its in-process twin for single-process use and tests, and later a networked (Redis) store that answers
 * with promises.
 *
 * The semantics are DRF's `SimpleRateThrottle.allow_request`: a key's history holds the times of the requests
 * it admitted during the last period; a request is refused when the history already holds `limit` entries, and
 * refused requests are not recorded. See docs/throttling.md.
 */

/** A compiled throttle: a scope's rate. `id` is a small integer assigned at compile time (the store's table index). */
export interface ThrottleRule {
  readonly scope: string;
  readonly limit: number;
  readonly periodMs: number;
  readonly id: number;
}

/** The answer for one request. Callers reuse one object per worker: stores mutate it in place. */
export interface ThrottleOutcome {
  admitted: boolean;
  /**
   * 0 when admitted; otherwise how long until a request would be admitted (DRF's `wait()`: with a full history,
   * until its oldest entry leaves the window). The 429 answers `Retry-After: ceil(waitMs / 1000)`.
   */
  waitMs: number;
  /** Requests still admissible in the current window after this decision (0 when refused). */
  remaining: number;
  /** How long until every request counted now has left the window (the whole quota is back). */
  resetMs: number;
  /** The limit of the rule that the fields above describe. */
  limit: number;
}

export interface ThrottleStore {
  /**
   * Decides one request for `key` under `rule` at `nowMs` (epoch milliseconds). Admitted requests are recorded;
   * refused ones are not (DRF semantics). Fills `out`. Synchronous stores return undefined; networked stores may
   * return a Promise.
   */
  hit(rule: ThrottleRule, key: string, nowMs: number, out: ThrottleOutcome): void | Promise<void>;
  /**
   * Decides one request under several rules at once (`keys[i]` belongs to `rules[i]`): it is admitted only when
   * every rule admits it, and only then is it recorded, in every rule. A refusal reports the longest wait.
   *
   * DRF differs on purpose here: `APIView.check_throttles` calls each throttle's `allow_request` in turn and each
   * successful one records before the next is asked, so a request refused by the second throttle has still used
   * quota of the first. Gatehouse counts only admitted requests ("only admitted requests count"), which is what
   * DRF's documentation promises for a single throttle and what clients expect from Retry-After.
   */
  hitAll(
    rules: readonly ThrottleRule[],
    keys: readonly string[],
    nowMs: number,
    out: ThrottleOutcome,
  ): void | Promise<void>;
  /** Releases the store's resources (unmaps shared memory, closes connections). Later calls to hit throw. */
  close(): void;
}

/** A fresh outcome object, to be reused for every request of a worker with a synchronous store. */
export function newThrottleOutcome(): ThrottleOutcome {
  return { admitted: true, waitMs: 0, remaining: 0, resetMs: 0, limit: 0 };
}
