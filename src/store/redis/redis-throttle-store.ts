/**
 * The throttle store for several nodes: decisions are taken by the throttle script (throttle-script.ts) in
 * Redis, atomically and exactly across every worker of every node, with the embedded store's semantics (DRF's
 * sliding window; only admitted requests count; hitAll admits only when every rule admits; Retry-After is
 * DRF's wait).
 *
 * Batching: the decisions asked for during one turn of the event loop (every request uWS read in that turn)
 * leave together as one EVALSHA, which decides them one after the other, atomically, and answers them all.
 * A request therefore waits for one round trip, as with one command per decision, but a worker pays the
 * client's per-command cost (promise, encoding, parsing: about 15 µs with node-redis) and Redis its per-script
 * cost once per batch instead of once per request (docs/scaling.md has the figures). At most MAX_BATCH
 * decisions per command keep each script run short (Redis runs nothing else meanwhile).
 *
 * When Redis cannot answer, the decision follows the scope's failure policy (failure-policy.ts) at once,
 * synchronously, and the store recovers by itself when Redis is back (redis-link.ts). A refusal by policy is
 * a 429 in the pipeline; the login throttle asks `refusedByPolicy(out)` and answers 503 instead.
 *
 * Keys: `<prefix><scope>:<limit>/<period ms>:<throttle key>`. The rate is part of the key, so a changed rate
 * starts from empty windows (like the embedded store's new region) instead of reading a history in another
 * shape. Every key expires one period (plus a sub-bucket and `expirySlackMs`) after its last admission.
 * Memory per live key (MEMORY USAGE, Redis 7.0, 40-byte keys): exact logs 232 B at 5/min up to 936 B when
 * full at 64/min; bucketed logs (≤ 69 hash fields, listpack-encoded) at most about 540 B.
 */
import { SUB_BUCKETS_PER_PERIOD, EXACT_LOG_MAX_LIMIT } from '../throttle/region-layout.js';
import type { ThrottleOutcome, ThrottleRule, ThrottleStore } from '../throttle/throttle-store.js';
import { OUTAGE_RETRY_AFTER_MS, type FailurePolicy } from './failure-policy.js';
import type { RedisLink } from './redis-link.js';
import { THROTTLE_SCRIPT, THROTTLE_SCRIPT_SHA } from './throttle-script.js';

export interface RedisThrottleStoreOptions {
  readonly failurePolicy: FailurePolicy;
  /**
   * Whose clock decides: 'server' (default) reads Redis's clock inside the script, one clock for every node;
   * 'caller' uses the `nowMs` given to hit/hitAll (tests replaying timestamps).
   */
  readonly clock?: 'server' | 'caller';
  /** Key prefix (default "gatehouse:throttle:"), to share one Redis between deployments. */
  readonly keyPrefix?: string;
  /** Added to every key's expiry (default 1 s). Tests replaying old timestamps with the caller's clock raise it. */
  readonly expirySlackMs?: number;
}

/** A rule compiled for the script: its key prefix, its four script arguments, its failure policy. */
interface RuleSpec {
  readonly rule: ThrottleRule;
  readonly keyPrefix: string;
  readonly limit: string;
  readonly period: string;
  readonly bucketMs: string;
  readonly buckets: string;
  readonly failsClosed: boolean;
}

/** Decisions per EVALSHA: each costs Redis a few µs, so a batch holds Redis for well under a millisecond. */
export const MAX_BATCH = 128;

/** A decision waiting for the next batch. */
interface PendingDecision {
  readonly specs: readonly RuleSpec[];
  /** Full Redis keys, one per rule. */
  readonly keys: readonly string[];
  /** The decision's time for the script ('' for the server's clock). */
  readonly now: string;
  readonly out: ThrottleOutcome;
  readonly done: () => void;
}

export const DEFAULT_KEY_PREFIX = 'gatehouse:throttle:';

export class RedisThrottleStore implements ThrottleStore {
  private readonly specs: (RuleSpec | undefined)[] = [];
  private readonly serverClock: boolean;
  private readonly slack: string;
  private readonly policyRefusals = new WeakSet<ThrottleOutcome>();
  private queue: PendingDecision[] = [];
  private flushScheduled = false;
  private readonly flushQueue = (): void => this.flush();
  private closed = false;

  constructor(
    private readonly link: RedisLink,
    rules: readonly ThrottleRule[],
    options: RedisThrottleStoreOptions,
  ) {
    const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    for (const rule of rules) {
      const exact = rule.limit <= EXACT_LOG_MAX_LIMIT;
      // The same sub-buckets as the embedded store (region-layout.ts), so both decide alike.
      const bucketMs = exact ? 0 : Math.ceil(rule.periodMs / SUB_BUCKETS_PER_PERIOD);
      const buckets = exact ? 0 : Math.ceil(rule.periodMs / bucketMs) + 1;
      // A bucket is stored as count · w + offset in a Lua number (a double): it must stay an exact integer.
      if (!exact && (rule.limit + 1) * bucketMs >= 2 ** 53)
        throw new RangeError(`throttle rule ${rule.scope} is too large for the Redis store`);
      this.specs[rule.id] = Object.freeze({
        rule,
        keyPrefix: `${prefix}${rule.scope}:${rule.limit}/${rule.periodMs}:`,
        limit: String(rule.limit),
        period: String(rule.periodMs),
        bucketMs: String(bucketMs),
        buckets: String(buckets),
        failsClosed: options.failurePolicy(rule.scope) === 'closed',
      });
    }
    this.serverClock = (options.clock ?? 'server') === 'server';
    this.slack = String(options.expirySlackMs ?? 1000);
  }

  hit(rule: ThrottleRule, key: string, nowMs: number, out: ThrottleOutcome): void | Promise<void> {
    const spec = this.specFor(rule);
    if (!this.link.usable) return this.decideByPolicy([spec], out);
    return this.enqueue([spec], [spec.keyPrefix + key], nowMs, out);
  }

  hitAll(
    rules: readonly ThrottleRule[],
    keys: readonly string[],
    nowMs: number,
    out: ThrottleOutcome,
  ): void | Promise<void> {
    const n = rules.length;
    if (n !== keys.length) throw new Error('hitAll needs one key per rule');
    if (n === 0) {
      out.admitted = true;
      out.waitMs = 0;
      out.remaining = 0;
      out.resetMs = 0;
      out.limit = 0;
      return;
    }
    if (n === 1) return this.hit(rules[0]!, keys[0]!, nowMs, out);
    const specs = rules.map((rule) => this.specFor(rule));
    if (!this.link.usable) return this.decideByPolicy(specs, out);
    return this.enqueue(
      specs,
      specs.map((spec, i) => spec.keyPrefix + keys[i]!),
      nowMs,
      out,
    );
  }

  /** True when `out` is a refusal by the failure policy (Redis unreachable), not an exhausted quota. */
  refusedByPolicy(out: ThrottleOutcome): boolean {
    return this.policyRefusals.has(out);
  }

  close(): void {
    this.closed = true;
    void this.link.close();
  }

  private enqueue(
    specs: readonly RuleSpec[],
    keys: readonly string[],
    nowMs: number,
    out: ThrottleOutcome,
  ): Promise<void> {
    return new Promise((done) => {
      this.queue.push({ specs, keys, now: this.serverClock ? '' : String(Math.floor(nowMs)), out, done });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // After the poll phase: every request read in this turn of the loop is in the batch.
        setImmediate(this.flushQueue);
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const queue = this.queue;
    this.queue = [];
    for (let from = 0; from < queue.length; from += MAX_BATCH) {
      this.send(
        from === 0 && queue.length <= MAX_BATCH ? queue : queue.slice(from, from + MAX_BATCH),
        'EVALSHA',
      );
    }
  }

  /** One command for the batch: KEYS are every decision's keys in order; ARGV the slack, then per decision its time, rule count and rule arguments. */
  private send(batch: readonly PendingDecision[], how: 'EVALSHA' | 'EVAL'): void {
    if (!this.link.usable) return this.settleByPolicy(batch);
    let keyCount = 0;
    for (const decision of batch) keyCount += decision.keys.length;
    const args: string[] = [how, how === 'EVALSHA' ? THROTTLE_SCRIPT_SHA : THROTTLE_SCRIPT, String(keyCount)];
    for (const decision of batch) for (const key of decision.keys) args.push(key);
    args.push(this.slack);
    for (const decision of batch) {
      args.push(decision.now, String(decision.specs.length));
      for (const spec of decision.specs) args.push(spec.limit, spec.period, spec.bucketMs, spec.buckets);
    }
    this.link.track();
    this.link.client.sendCommand(args).then(
      (reply) => {
        this.link.settle();
        const numbers = reply as unknown as number[];
        for (let i = 0; i < batch.length; i++) {
          const decision = batch[i]!;
          // An outcome object reused after a refusal by policy must not keep that mark.
          this.policyRefusals.delete(decision.out);
          fill(decision.out, numbers, 5 * i);
          decision.done();
        }
      },
      (error: unknown) => {
        this.link.settle();
        // Redis forgets scripts when it restarts: send the script itself once; it is cached again for EVALSHA.
        if (how === 'EVALSHA' && error instanceof Error && error.message.startsWith('NOSCRIPT'))
          return this.send(batch, 'EVAL');
        this.link.failed(error);
        this.settleByPolicy(batch);
      },
    );
  }

  private settleByPolicy(batch: readonly PendingDecision[]): void {
    for (const decision of batch) {
      this.decideByPolicy(decision.specs, decision.out);
      decision.done();
    }
  }

  /** Redis cannot decide: refuse if any of the rules fails closed, else admit without counting. */
  private decideByPolicy(specs: readonly RuleSpec[], out: ThrottleOutcome): void {
    this.link.outage.decidedByPolicy();
    let closing: RuleSpec | null = null;
    let tightest = specs[0]!;
    for (const spec of specs) {
      if (spec.failsClosed && closing === null) closing = spec;
      if (spec.rule.limit < tightest.rule.limit) tightest = spec;
    }
    out.resetMs = 0;
    if (closing !== null) {
      out.admitted = false;
      out.waitMs = OUTAGE_RETRY_AFTER_MS;
      out.remaining = 0;
      out.limit = closing.rule.limit;
      this.policyRefusals.add(out);
      return;
    }
    out.admitted = true;
    out.waitMs = 0;
    out.remaining = tightest.rule.limit;
    out.limit = tightest.rule.limit;
  }

  private specFor(rule: ThrottleRule): RuleSpec {
    const spec = this.specs[rule.id];
    if (spec === undefined || spec.rule.limit !== rule.limit || spec.rule.periodMs !== rule.periodMs) {
      if (this.closed) throw new Error('throttle store is closed');
      throw new Error(
        `throttle rule ${rule.id} (${rule.scope} ${rule.limit}/${rule.periodMs}ms) is not in this store: was the configuration changed without a restart?`,
      );
    }
    if (this.closed) throw new Error('throttle store is closed');
    return spec;
  }
}

/** Copies the script's five numbers for one decision (from `at`) into the outcome. */
function fill(out: ThrottleOutcome, reply: readonly number[], at: number): void {
  out.admitted = reply[at] === 1;
  out.waitMs = reply[at + 1]!;
  out.remaining = reply[at + 2]!;
  out.resetMs = reply[at + 3]!;
  out.limit = reply[at + 4]!;
}
