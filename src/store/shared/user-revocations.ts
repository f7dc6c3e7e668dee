/**
 * User revocations in shared memory: user id → "not before" (epoch seconds), so that `POST
 * /api/token/revoke-all/` handled by one worker makes every worker refuse that user's older tokens on the very
 * next request, with no database read per request. The database stays the source of truth: the supervisor
 * loads the recent revocations into the map at start-up, and the map only has to remember what is newer
 * than the longest token lifetime.
 *
 * Layout (8-byte words; Int32 cells at 2·word and 2·word+1):
 *   word 0: i32 magic 'GHRV', i32 version
 *   word 1: i32 writer lock (0 or holder pid), i32 sequence (odd while a write is being published)
 *   word 2: i32 generation (+1 per change), i32 capacity (slots per table, a power of two)
 *   word 3: i32 active table (0 or 1), i32 entries in the active table
 *   word 4: f64 floor: a "not before" for every user (raised only when the map overflows, see below)
 *   word 5: f64 retention seconds
 *   words 6-7: reserved
 *   two tables of `capacity` slots: f64 user id, f64 not-before (0 = empty slot)
 *
 * Reads are lock-free (a seqlock): read the sequence, probe, read the sequence again, retry if it changed or
 * was odd. Writes are serialised by the writer lock and are rare. Entries are never deleted in place (linear
 * probing without tombstones); when the active table reaches 3/4 full, the writer builds a compacted copy in
 * the other table without blocking readers, then publishes it by flipping the active index:
 *  - entries older than now - retention are dropped: every token issued before them has expired anyway
 *    (retention must be at least the longest token lifetime);
 *  - if that is not enough (more than capacity/2 users revoked within one retention period), the oldest
 *    entries are dropped too and the floor is raised to the newest dropped time, so that no revocation is ever
 *    lost: the map fails closed (some other users' tokens older than the floor are refused too) rather than
 *    open. Size it generously: 16 bytes · 2 tables per slot, 4 MiB for the default 131,072 slots.
 * Crash safety: a writer killed at any point leaves the published table intact (an insert writes the id before
 * the not-before that makes the slot visible; a compaction is written to the inactive table and published by
 * one store, after the floor). The next writer or a waiting reader takes the lock over and evens the sequence.
 */
import { attachSegment, createOwnedSegment, isValidSegmentName, releaseSegment } from './shm-segment.js';
import { acquireContended, DEFAULT_LOCK_POLICY, type LockPolicy } from './spin-lock.js';

const MAGIC = 0x47485256; // 'GHRV'
const VERSION = 1;
const HEADER_WORDS = 8;
const CELL = Object.freeze({
  magic: 0,
  version: 1,
  lock: 2,
  sequence: 3,
  generation: 4,
  capacity: 5,
  active: 6,
  entries: 7,
});
const FLOOR_WORD = 4;
const RETENTION_WORD = 5;
/** Reads spin this many times on an odd sequence before suspecting a dead writer. */
const READER_PATIENCE = 10_000;

export const DEFAULT_REVOCATION_CAPACITY = 131_072;
const MIN_CAPACITY = 16;
const MAX_CAPACITY = 1 << 24;

export interface UserRevocationOptions {
  /** Slots per table (rounded up to a power of two). At most 3/4 of them hold entries. */
  readonly capacity?: number;
  /** Entries older than this many seconds are dropped at compaction: at least the longest token lifetime. */
  readonly retentionSec: number;
}

export interface UserRevocationRegionOptions extends UserRevocationOptions {
  readonly namePrefix?: string;
}

export interface AttachOptions {
  /** The clock, in epoch seconds (injectable for tests). */
  readonly nowSec?: () => number;
  readonly lockPolicy?: LockPolicy;
}

export interface UserRevocationDescriptor {
  readonly kind: 'gatehouse-revocations';
  readonly version: number;
  readonly name: string;
  readonly byteLength: number;
}

export interface UserRevocationRegion {
  readonly descriptor: UserRevocationDescriptor;
  readonly sweptStale: readonly string[];
  destroy(): void;
}

/** Creates the map's object (in the supervisor). Load the database's recent revocations with attach + setNotBefore. */
export function createUserRevocationRegion(options: UserRevocationRegionOptions): UserRevocationRegion {
  const capacity = checkedCapacity(options.capacity ?? DEFAULT_REVOCATION_CAPACITY);
  const retentionSec = checkedRetention(options.retentionSec);
  const byteLength = bytesFor(capacity);
  const segment = createOwnedSegment('revocations', byteLength, options.namePrefix, (buffer) =>
    initialise(buffer, capacity, retentionSec),
  );
  const descriptor: UserRevocationDescriptor = Object.freeze({
    kind: 'gatehouse-revocations',
    version: VERSION,
    name: segment.name,
    byteLength,
  });
  return { descriptor, sweptStale: segment.sweptStale, destroy: segment.destroy };
}

export function attachUserRevocations(descriptor: unknown, options: AttachOptions = {}): UserRevocationMap {
  const d = descriptor as Partial<UserRevocationDescriptor> | null;
  if (
    typeof d !== 'object' ||
    d === null ||
    d.kind !== 'gatehouse-revocations' ||
    d.version !== VERSION ||
    !isValidSegmentName(d.name) ||
    !Number.isSafeInteger(d.byteLength)
  ) {
    throw new Error('not a user revocation descriptor of this version');
  }
  const name = d.name;
  const buffer = attachSegment(name);
  try {
    return new UserRevocationMap(buffer, options, () => releaseSegment(name));
  } catch (error) {
    releaseSegment(name);
    throw error;
  }
}

/** The same map over process memory, for a single-process server and tests. */
export function createInProcessUserRevocations(
  options: UserRevocationOptions & AttachOptions,
): UserRevocationMap {
  const capacity = checkedCapacity(options.capacity ?? DEFAULT_REVOCATION_CAPACITY);
  const buffer = new ArrayBuffer(bytesFor(capacity));
  initialise(buffer, capacity, checkedRetention(options.retentionSec));
  return new UserRevocationMap(buffer, options, () => undefined);
}

export class UserRevocationMap {
  private i32: Int32Array;
  private f64: Float64Array;
  private readonly mask: number;
  private readonly capacity: number;
  private readonly maxEntries: number;
  private readonly retentionSec: number;
  private readonly nowSec: () => number;
  private readonly lockPolicy: LockPolicy;
  private readonly pid = process.pid;
  private closed = false;

  constructor(
    buffer: ArrayBuffer,
    options: AttachOptions,
    private readonly onClose: () => void,
  ) {
    this.i32 = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer);
    if (Atomics.load(this.i32, CELL.magic) !== MAGIC || this.i32[CELL.version] !== VERSION) {
      throw new Error('shared memory object is not an initialised user revocation map of this version');
    }
    this.capacity = this.i32[CELL.capacity]!;
    if (buffer.byteLength < bytesFor(this.capacity))
      throw new Error('user revocation map is smaller than its header says');
    this.mask = this.capacity - 1;
    this.maxEntries = (this.capacity * 3) >>> 2;
    this.retentionSec = this.f64[RETENTION_WORD]!;
    this.nowSec = options.nowSec ?? (() => Date.now() / 1000);
    this.lockPolicy = options.lockPolicy ?? DEFAULT_LOCK_POLICY;
  }

  /** The user's "not before" in epoch seconds (tokens issued at or before it are refused); 0 when none. */
  notBefore(userId: number): number {
    if (this.closed) throw new Error('user revocation map is closed');
    const i32 = this.i32;
    for (let spins = 0; ; spins++) {
      const sequence = Atomics.load(i32, CELL.sequence);
      if ((sequence & 1) === 0) {
        const value = this.read(userId);
        if (Atomics.load(i32, CELL.sequence) === sequence) return value;
      } else if (spins >= READER_PATIENCE) {
        this.lockAndRepair(); // the writer may have died while publishing
        this.unlock();
        spins = 0;
      }
    }
  }

  /**
   * Raises the user's "not before" to `epochSec` (keeps the larger of the old and new). Returns whether the map
   * changed. A revocation at second T should store T: tokens with iat <= T are refused.
   */
  setNotBefore(userId: number, epochSec: number): boolean {
    if (this.closed) throw new Error('user revocation map is closed');
    if (!Number.isSafeInteger(userId) || userId < 0)
      throw new RangeError('user id must be a non-negative safe integer');
    if (!Number.isFinite(epochSec) || epochSec <= 0)
      throw new RangeError('not-before must be a positive number of epoch seconds');
    this.lockAndRepair();
    try {
      if (epochSec <= this.f64[FLOOR_WORD]!) return false;
      const found = this.find(this.activeBase(), userId);
      if (found >= 0) {
        if (this.f64[found + 1]! >= epochSec) return false;
        this.publish(() => (this.f64[found + 1] = epochSec));
        return true;
      }
      if (this.i32[CELL.entries]! + 1 > this.maxEntries) this.compact();
      const base = this.activeBase();
      const slot = this.emptySlot(base, userId);
      this.publish(() => {
        this.f64[slot] = userId;
        this.f64[slot + 1] = epochSec; // last: a non-zero not-before makes the slot visible
        this.i32[CELL.entries]!++;
      });
      return true;
    } finally {
      this.unlock();
    }
  }

  /** Increases on every change: a per-worker cache of notBefore answers is valid while this is unchanged. */
  generation(): number {
    return Atomics.load(this.i32, CELL.generation);
  }

  stats(): { entries: number; capacity: number; floor: number } {
    return { entries: this.i32[CELL.entries]!, capacity: this.capacity, floor: this.f64[FLOOR_WORD]! };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Drop the views of the mapping before it is unmapped: touching unmapped memory would crash the process.
    this.i32 = new Int32Array(0);
    this.f64 = new Float64Array(0);
    this.onClose();
  }

  private read(userId: number): number {
    const f64 = this.f64;
    const base = this.activeBase();
    let slot = hashUserId(userId) & this.mask;
    let value = 0;
    // Bounded by capacity: a torn read (the sequence check will reject it) must not loop forever.
    for (let probes = 0; probes < this.capacity; probes++) {
      const at = base + 2 * slot;
      const notBefore = f64[at + 1]!;
      if (notBefore === 0) break;
      if (f64[at] === userId) {
        value = notBefore;
        break;
      }
      slot = (slot + 1) & this.mask;
    }
    const floor = f64[FLOOR_WORD]!;
    return value > floor ? value : floor;
  }

  private activeBase(): number {
    return HEADER_WORDS + 2 * this.capacity * this.i32[CELL.active]!;
  }

  /** The word of the user's slot in the table at `base`, or -1. */
  private find(base: number, userId: number): number {
    let slot = hashUserId(userId) & this.mask;
    for (let probes = 0; probes < this.capacity; probes++) {
      const at = base + 2 * slot;
      if (this.f64[at + 1] === 0) return -1;
      if (this.f64[at] === userId) return at;
      slot = (slot + 1) & this.mask;
    }
    return -1;
  }

  private emptySlot(base: number, userId: number): number {
    let slot = hashUserId(userId) & this.mask;
    while (this.f64[base + 2 * slot + 1] !== 0) slot = (slot + 1) & this.mask;
    return base + 2 * slot;
  }

  /** Writes `change` inside an odd sequence so that readers retry rather than see half of it. */
  private publish(change: () => void): void {
    Atomics.add(this.i32, CELL.sequence, 1);
    try {
      change();
    } finally {
      Atomics.add(this.i32, CELL.sequence, 1);
      Atomics.add(this.i32, CELL.generation, 1);
    }
  }

  /** Rebuilds the active table into the other one without moot entries (see the file comment), then flips. */
  private compact(): void {
    const f64 = this.f64;
    const from = this.activeBase();
    const activeIndex = this.i32[CELL.active]!;
    const to = HEADER_WORDS + 2 * this.capacity * (1 - activeIndex);
    let floor = f64[FLOOR_WORD]!;
    const moot = Math.max(floor, this.nowSec() - this.retentionSec);
    const live: { id: number; notBefore: number }[] = [];
    for (let slot = 0; slot < this.capacity; slot++) {
      const notBefore = f64[from + 2 * slot + 1]!;
      if (notBefore > moot) live.push({ id: f64[from + 2 * slot]!, notBefore });
    }
    const keep = this.capacity >>> 1;
    if (live.length + 1 > keep) {
      live.sort((x, y) => x.notBefore - y.notBefore);
      const dropped = live.splice(0, live.length + 1 - keep);
      floor = Math.max(floor, dropped[dropped.length - 1]!.notBefore);
    }
    f64.fill(0, to, to + 2 * this.capacity);
    for (const entry of live) {
      const slot = this.emptySlot(to, entry.id);
      f64[slot] = entry.id;
      f64[slot + 1] = entry.notBefore;
    }
    this.publish(() => {
      f64[FLOOR_WORD] = floor; // before the flip: a crash in between fails closed
      this.i32[CELL.active] = 1 - activeIndex;
      this.i32[CELL.entries] = live.length;
    });
  }

  private lockAndRepair(): void {
    const i32 = this.i32;
    if (Atomics.compareExchange(i32, CELL.lock, 0, this.pid) === 0) return;
    if (acquireContended(i32, CELL.lock, this.pid, this.lockPolicy, () => undefined)) {
      // The previous writer died. If it died while publishing, even the sequence so readers proceed.
      if ((Atomics.load(i32, CELL.sequence) & 1) === 1) {
        Atomics.add(i32, CELL.sequence, 1);
        Atomics.add(i32, CELL.generation, 1);
      }
    }
  }

  private unlock(): void {
    Atomics.compareExchange(this.i32, CELL.lock, this.pid, 0);
  }
}

/** A 32-bit mix of a 53-bit id (murmur3's finaliser over both halves); ids are not attacker-chosen. */
function hashUserId(userId: number): number {
  const low = userId >>> 0;
  const high = (userId / 4294967296) >>> 0;
  let h = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

function initialise(buffer: ArrayBuffer, capacity: number, retentionSec: number): void {
  const i32 = new Int32Array(buffer);
  const f64 = new Float64Array(buffer);
  i32[CELL.version] = VERSION;
  i32[CELL.capacity] = capacity;
  f64[RETENTION_WORD] = retentionSec;
  Atomics.store(i32, CELL.magic, MAGIC);
}

function bytesFor(capacity: number): number {
  return 8 * (HEADER_WORDS + 2 * 2 * capacity);
}

function checkedCapacity(requested: number): number {
  if (!Number.isInteger(requested) || requested < 1 || requested > MAX_CAPACITY)
    throw new RangeError(`revocation capacity must be 1..${MAX_CAPACITY}`);
  let capacity = MIN_CAPACITY;
  while (capacity < requested) capacity *= 2;
  return capacity;
}

function checkedRetention(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new RangeError('retentionSec must be a positive number of seconds');
  return seconds;
}
