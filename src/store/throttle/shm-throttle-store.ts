/**
 * The cluster-exact throttle store: one table per rule in a shared-memory region that every worker process
 * maps, updated under per-group spin locks with Atomics, so that with W workers and a limit of L per period
 * exactly L requests are admitted however connections spread over the workers, and a worker that crashes or
 * restarts resets nothing. Every decision is synchronous (no event-loop turn, no syscall on the fast path).
 *
 * Lifecycle:
 *   supervisor  createShmThrottleRegion(rules) → { descriptor, destroy }; pass JSON.stringify(descriptor) to the
 *               workers (environment variable or IPC); destroy (also run on 'exit') unlinks the object.
 *   worker      attachShmThrottleStore(descriptor) → ShmThrottleStore; close() unmaps.
 * createInProcessThrottleStore (in-process-throttle-store.ts) runs the same code over process memory.
 *
 * Algorithms, bounds, crash behaviour and sizing: docs/throttling.md.
 */
import { randomBytes } from 'node:crypto';
import { BucketedWindowTable } from './bucketed-window-table.js';
import { ExactWindowTable } from './exact-window-table.js';
import { KeyHasher } from './key-hash.js';
import {
  DEFAULT_KEYS_PER_RULE,
  DIRECTORY_WORDS_PER_TABLE,
  HEADER,
  HEADER_WORDS,
  REGION_MAGIC,
  REGION_VERSION,
  computeRegionLayout,
  tableSpecsFor,
  type RegionLayout,
  type TableSpec,
} from './region-layout.js';
import type { ThrottleOutcome, ThrottleRule, ThrottleStore } from './throttle-store.js';
import type { WindowTable } from './window-table.js';
import { acquireContended, DEFAULT_LOCK_POLICY, type LockPolicy } from '../shared/spin-lock.js';
import {
  attachSegment,
  createOwnedSegment,
  isValidSegmentName,
  releaseSegment,
} from '../shared/shm-segment.js';

export interface ThrottleRegionOptions {
  /** Keys per rule (default 65,536); rounded up to a power-of-two number of 8-key groups. */
  readonly capacity?: number;
  /** Per-scope capacity overrides, e.g. { anon: 262144 }. */
  readonly capacityByScope?: Readonly<Record<string, number>>;
}

export interface ShmThrottleRegionOptions extends ThrottleRegionOptions {
  /** Object name prefix in /dev/shm (default 'gatehouse'); instances sharing /dev/shm across pid namespaces need distinct ones. */
  readonly namePrefix?: string;
}

export interface StoreOptions {
  readonly lockPolicy?: LockPolicy;
}

/** What a worker needs to attach: plain JSON. */
export interface ShmThrottleDescriptor {
  readonly kind: 'gatehouse-throttle';
  readonly version: number;
  readonly name: string;
  readonly byteLength: number;
  readonly tables: readonly TableSpec[];
}

export interface ShmThrottleRegion {
  readonly descriptor: ShmThrottleDescriptor;
  /** Objects of dead supervisors removed before this one was created (for the start-up log). */
  readonly sweptStale: readonly string[];
  /** Unlinks the object. Workers keep their mappings until they close or exit. Idempotent. */
  destroy(): void;
}

export interface ThrottleStoreStats {
  /** Live keys dropped because their group was full: a sign the capacity is too small. */
  readonly evictions: number;
  /** Locks taken over from dead or wedged holders. */
  readonly lockTakeovers: number;
}

/** Creates and initialises the region for `rules` (in the supervisor, before forking workers). */
export function createShmThrottleRegion(
  rules: readonly ThrottleRule[],
  options: ShmThrottleRegionOptions = {},
): ShmThrottleRegion {
  const specs = tableSpecsFor(rules, capacityChooser(options));
  const layout = computeRegionLayout(specs);
  const segment = createOwnedSegment('throttle', layout.byteLength, options.namePrefix, (buffer) =>
    writeHeader(buffer, layout),
  );
  const descriptor: ShmThrottleDescriptor = Object.freeze({
    kind: 'gatehouse-throttle',
    version: REGION_VERSION,
    name: segment.name,
    byteLength: layout.byteLength,
    tables: specs,
  });
  return { descriptor, sweptStale: segment.sweptStale, destroy: segment.destroy };
}

/** Maps the region described by `descriptor` (parsed JSON from the supervisor) and returns a store over it. */
export function attachShmThrottleStore(descriptor: unknown, options: StoreOptions = {}): ShmThrottleStore {
  const checked = checkDescriptor(descriptor);
  const layout = computeRegionLayout(checked.tables);
  if (layout.byteLength !== checked.byteLength)
    throw new Error('throttle region descriptor does not match its tables');
  const buffer = attachSegment(checked.name);
  try {
    if (buffer.byteLength < layout.byteLength)
      throw new Error('throttle region is smaller than its descriptor says');
    checkHeader(buffer, layout);
    return new ShmThrottleStore(buffer, layout, options.lockPolicy ?? DEFAULT_LOCK_POLICY, () =>
      releaseSegment(checked.name),
    );
  } catch (error) {
    releaseSegment(checked.name);
    throw error;
  }
}

export function capacityChooser(options: ThrottleRegionOptions): (rule: ThrottleRule) => number {
  return (rule) => options.capacityByScope?.[rule.scope] ?? options.capacity ?? DEFAULT_KEYS_PER_RULE;
}

/** Writes the header and the table directory of a zero-filled region. */
export function writeHeader(buffer: ArrayBuffer, layout: RegionLayout): void {
  const i32 = new Int32Array(buffer);
  const f64 = new Float64Array(buffer);
  const seeds = new Int32Array(randomBytes(8).buffer.slice(0, 8));
  i32[HEADER.version] = REGION_VERSION;
  i32[HEADER.tableCount] = layout.tables.length;
  i32[HEADER.creatorPid] = process.pid;
  i32[HEADER.k0] = seeds[0]!;
  i32[HEADER.k1] = seeds[1]!;
  layout.tables.forEach((table, index) => {
    const word = HEADER_WORDS + DIRECTORY_WORDS_PER_TABLE * index;
    i32[2 * word] = table.id;
    i32[2 * word + 1] = table.limit;
    f64[word + 1] = table.periodMs;
  });
  Atomics.store(i32, HEADER.magic, REGION_MAGIC); // last: a region with a magic is complete
}

/**
 * The store over a mapped (or in-process) region. Not safe to share between threads of one process; one
 * instance per worker process, which is the cluster's unit.
 */
export class ShmThrottleStore implements ThrottleStore {
  private i32: Int32Array;
  private tables: (WindowTable | undefined)[];
  private readonly hasher: KeyHasher;
  private readonly pid = process.pid;
  private closed = false;
  // Scratch for hitAll, grown on demand: per-key locks (two each) and hashes, sorted locks, slots, times, results.
  private locks = new Int32Array(8);
  private sortedLocks = new Int32Array(8);
  private hashes = new Int32Array(8);
  private slots = new Float64Array(4);
  private times = new Float64Array(4);
  private results = new Float64Array(16);
  private readonly scratch: ThrottleOutcome = {
    admitted: true,
    waitMs: 0,
    remaining: 0,
    resetMs: 0,
    limit: 0,
  };

  constructor(
    buffer: ArrayBuffer,
    layout: RegionLayout,
    private readonly lockPolicy: LockPolicy,
    private readonly onClose: () => void,
  ) {
    this.i32 = new Int32Array(buffer, 0, layout.byteLength / 4);
    const f64 = new Float64Array(buffer, 0, layout.byteLength / 8);
    this.hasher = new KeyHasher(this.i32[HEADER.k0]!, this.i32[HEADER.k1]!);
    this.tables = [];
    for (const table of layout.tables) {
      this.tables[table.id] = table.exact
        ? new ExactWindowTable(table, this.i32, f64)
        : new BucketedWindowTable(table, this.i32, f64);
    }
  }

  hit(rule: ThrottleRule, key: string, nowMs: number, out: ThrottleOutcome): void {
    const table = this.tableFor(rule);
    const now = Math.floor(nowMs);
    const hasher = this.hasher;
    hasher.hash(key);
    const a = hasher.a;
    const b = hasher.b;
    const home = table.homeLock(a);
    let other = -1;
    this.lock(table, home);
    try {
      let slot = table.findIn(home, a, b);
      if (slot < 0) {
        // Not in its first-choice group: it may be in the second, or new. Both groups must be held to look and
        // to place it, taken in ascending order (every multi-lock path does) so that processes cannot deadlock.
        other = table.otherLock(a, b);
        if (other > home) {
          this.lock(table, other);
        } else if (other >= 0) {
          this.unlock(home);
          this.lock(table, other);
          this.lock(table, home);
          slot = table.findIn(home, a, b);
        }
        if (slot < 0 && other >= 0) slot = table.findIn(other, a, b);
        if (slot < 0) slot = table.claim(home, other, a, b, now);
      }
      const at = table.effectiveNow(slot, now);
      if (table.check(slot, at, out)) {
        table.record(slot, at);
        out.remaining -= 1;
        out.resetMs = table.periodMs;
      }
    } finally {
      this.unlock(home);
      if (other >= 0) this.unlock(other);
    }
  }

  hitAll(rules: readonly ThrottleRule[], keys: readonly string[], nowMs: number, out: ThrottleOutcome): void {
    const n = rules.length;
    if (n !== keys.length) throw new Error('hitAll needs one key per rule');
    if (n === 0) return admitWithoutRules(out);
    if (n === 1) return this.hit(rules[0]!, keys[0]!, nowMs, out);
    const now = Math.floor(nowMs);
    this.ensureScratch(n);
    const { locks, hashes, slots, times, results, hasher } = this;
    // Both groups of every key are locked (2n locks), in ascending cell order - a total order over the region -
    // so that processes locking overlapping groups cannot deadlock. A group needed twice is locked once.
    for (let i = 0; i < n; i++) {
      const table = this.tableFor(rules[i]!);
      hasher.hash(keys[i]!);
      hashes[2 * i] = hasher.a;
      hashes[2 * i + 1] = hasher.b;
      locks[2 * i] = table.homeLock(hasher.a);
      locks[2 * i + 1] = table.otherLock(hasher.a, hasher.b);
    }
    const sorted = this.sortedLocks;
    sorted.set(locks.subarray(0, 2 * n));
    const distinct = sortUnique(sorted, 2 * n);
    let taken = 0;
    try {
      for (; taken < distinct; taken++) {
        const lock = sorted[taken]!;
        if (lock >= 0) this.lock(this.tableOwning(rules, locks, lock), lock);
      }
      let admitted = true;
      for (let i = 0; i < n; i++) {
        const table = this.tables[rules[i]!.id]!;
        const a = hashes[2 * i]!;
        const b = hashes[2 * i + 1]!;
        const home = locks[2 * i]!;
        const other = locks[2 * i + 1]!;
        let slot = table.findIn(home, a, b);
        if (slot < 0 && other >= 0) slot = table.findIn(other, a, b);
        if (slot < 0) slot = table.claim(home, other, a, b, now);
        const at = table.effectiveNow(slot, now);
        slots[i] = slot;
        times[i] = at;
        const ok = table.check(slot, at, this.scratch);
        admitted &&= ok;
        results[4 * i] = ok ? 1 : 0;
        results[4 * i + 1] = this.scratch.waitMs;
        results[4 * i + 2] = this.scratch.remaining;
        results[4 * i + 3] = this.scratch.resetMs;
      }
      if (admitted) {
        for (let i = 0; i < n; i++) {
          this.tables[rules[i]!.id]!.record(slots[i]!, times[i]!);
          results[4 * i + 2]! -= 1;
          results[4 * i + 3] = rules[i]!.periodMs;
        }
      }
      summarise(rules, results, n, admitted, out);
    } finally {
      for (let k = taken - 1; k >= 0; k--) if (sorted[k]! >= 0) this.unlock(sorted[k]!);
    }
  }

  stats(): ThrottleStoreStats {
    return {
      evictions: Atomics.load(this.i32, HEADER.evictions),
      lockTakeovers: Atomics.load(this.i32, HEADER.lockSteals),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Drop every view of the mapping before it is unmapped: touching unmapped memory would crash the process.
    this.tables = [];
    this.i32 = new Int32Array(2 * HEADER_WORDS);
    this.onClose();
  }

  /**
   * Test hook: takes the lock of the group that `key` falls in under `rule` and never releases it, as a
   * process killed inside a critical section would. Never call it in a server.
   */
  holdLockForTest(rule: ThrottleRule, key: string): void {
    const table = this.tableFor(rule);
    this.hasher.hash(key);
    this.lock(table, table.homeLock(this.hasher.a));
  }

  private tableFor(rule: ThrottleRule): WindowTable {
    const table = this.tables[rule.id];
    if (table === undefined || table.limit !== rule.limit || table.periodMs !== rule.periodMs)
      throw this.unknownRule(rule);
    return table;
  }

  private unlock(lock: number): void {
    Atomics.compareExchange(this.i32, lock, this.pid, 0);
  }

  /** The table of a lock collected by hitAll (only needed to repair the right table after a take-over). */
  private tableOwning(rules: readonly ThrottleRule[], locks: Int32Array, lock: number): WindowTable {
    let i = 0;
    while (locks[i] !== lock) i++;
    return this.tables[rules[i >> 1]!.id]!;
  }

  private lock(table: WindowTable, lock: number): void {
    if (Atomics.compareExchange(this.i32, lock, 0, this.pid) === 0) return;
    if (
      acquireContended(this.i32, lock, this.pid, this.lockPolicy, () =>
        Atomics.add(this.i32, HEADER.lockSteals, 1),
      )
    ) {
      table.repairGroup(lock);
    }
  }

  private unknownRule(rule: ThrottleRule): Error {
    if (this.closed) return new Error('throttle store is closed');
    return new Error(
      `throttle rule ${rule.id} (${rule.scope} ${rule.limit}/${rule.periodMs}ms) is not in this region: was the configuration changed without a restart?`,
    );
  }

  private ensureScratch(n: number): void {
    if (this.slots.length >= n) return;
    this.locks = new Int32Array(2 * n);
    this.sortedLocks = new Int32Array(2 * n);
    this.hashes = new Int32Array(2 * n);
    this.slots = new Float64Array(n);
    this.times = new Float64Array(n);
    this.results = new Float64Array(4 * n);
  }
}

/** Sorts the first `length` cells in place (insertion sort: a handful of locks) and drops repeats; returns the count kept. */
function sortUnique(cells: Int32Array, length: number): number {
  for (let i = 1; i < length; i++) {
    const item = cells[i]!;
    let j = i - 1;
    while (j >= 0 && cells[j]! > item) {
      cells[j + 1] = cells[j]!;
      j--;
    }
    cells[j + 1] = item;
  }
  let kept = 0;
  for (let i = 0; i < length; i++) if (i === 0 || cells[i] !== cells[i - 1]) cells[kept++] = cells[i]!;
  return kept;
}

/** Folds per-rule results (admitted, wait, remaining, reset per rule, 4 numbers each) into `out`. */
function summarise(
  rules: readonly ThrottleRule[],
  results: Float64Array,
  n: number,
  admitted: boolean,
  out: ThrottleOutcome,
): void {
  let pick = -1;
  for (let i = 0; i < n; i++) {
    if (admitted) {
      // The most restrictive rule: fewest remaining, then the longest reset.
      if (
        pick < 0 ||
        results[4 * i + 2]! < results[4 * pick + 2]! ||
        (results[4 * i + 2] === results[4 * pick + 2] && results[4 * i + 3]! > results[4 * pick + 3]!)
      )
        pick = i;
    } else if (results[4 * i] === 0 && (pick < 0 || results[4 * i + 1]! > results[4 * pick + 1]!)) {
      pick = i; // the refusing rule with the longest wait (DRF's max over throttle waits)
    }
  }
  out.admitted = admitted;
  out.waitMs = admitted ? 0 : results[4 * pick + 1]!;
  out.remaining = admitted ? results[4 * pick + 2]! : 0;
  out.resetMs = results[4 * pick + 3]!;
  out.limit = rules[pick]!.limit;
}

function admitWithoutRules(out: ThrottleOutcome): void {
  out.admitted = true;
  out.waitMs = 0;
  out.remaining = 0;
  out.resetMs = 0;
  out.limit = 0;
}

function checkHeader(buffer: ArrayBuffer, layout: RegionLayout): void {
  const i32 = new Int32Array(buffer);
  const f64 = new Float64Array(buffer);
  if (Atomics.load(i32, HEADER.magic) !== REGION_MAGIC || i32[HEADER.version] !== REGION_VERSION) {
    throw new Error('shared memory object is not an initialised throttle region of this version');
  }
  if (i32[HEADER.tableCount] !== layout.tables.length)
    throw new Error('throttle region has a different number of tables');
  layout.tables.forEach((table, index) => {
    const word = HEADER_WORDS + DIRECTORY_WORDS_PER_TABLE * index;
    if (i32[2 * word] !== table.id || i32[2 * word + 1] !== table.limit || f64[word + 1] !== table.periodMs) {
      throw new Error(`throttle region table ${index} does not match the descriptor`);
    }
  });
}

function checkDescriptor(value: unknown): ShmThrottleDescriptor {
  const d = value as Partial<ShmThrottleDescriptor> | null;
  if (
    typeof d !== 'object' ||
    d === null ||
    d.kind !== 'gatehouse-throttle' ||
    d.version !== REGION_VERSION ||
    !isValidSegmentName(d.name) ||
    !Number.isSafeInteger(d.byteLength) ||
    !Array.isArray(d.tables) ||
    !d.tables.every(isTableSpec)
  ) {
    throw new Error('not a throttle region descriptor of this version');
  }
  return d as ShmThrottleDescriptor;
}

function isTableSpec(value: unknown): value is TableSpec {
  const t = value as Partial<TableSpec> | null;
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof t.scope === 'string' &&
    Number.isInteger(t.id) &&
    Number.isInteger(t.limit) &&
    Number.isInteger(t.periodMs) &&
    Number.isInteger(t.capacity)
  );
}
