/**
 * Where everything lives in a throttle region (one shared-memory object holding one table per rule).
 *
 * Units are 8-byte words; Int32 cells are addressed as 2·word and 2·word+1, Float64 cells as word. Every
 * structure starts on a word, so the Float64 and Int32 views over the same buffer never straddle.
 *
 *   region header (8 words)
 *     i32[0] magic 'GHTS'           i32[1] layout version
 *     i32[2] table count            i32[3] creator pid
 *     i32[4] hash key k0            i32[5] hash key k1           (random, drawn at creation)
 *     i32[6] evictions (Atomics)    i32[7] lock take-overs (Atomics)
 *     words 4-7 reserved
 *   table directory (2 words per table, in descriptor order)
 *     i32 rule id, i32 limit, f64 period ms                         (checked when a worker attaches)
 *   tables, each starting on an 8-word boundary: groupCount groups of
 *     word 0: i32 group lock (0 free, else holder pid), i32 unused
 *     GROUP_SLOTS slots of slotWords words (layouts in exact-window-table.ts and bucketed-window-table.ts)
 *
 * A key belongs to exactly one group (chosen by its hash) and may occupy any slot of it: the group is the
 * bounded probe sequence, and one lock per group makes "find the key or claim a slot" atomic, which per-slot
 * locks cannot (two processes could claim two different free slots for one new key and split its history).
 */
import type { ThrottleRule } from './throttle-store.js';

export const REGION_MAGIC = 0x47485453; // 'GHTS'
export const REGION_VERSION = 1;
export const HEADER_WORDS = 8;
export const DIRECTORY_WORDS_PER_TABLE = 2;
/** Int32 cell indexes in the header. */
export const HEADER = Object.freeze({
  magic: 0,
  version: 1,
  tableCount: 2,
  creatorPid: 3,
  k0: 4,
  k1: 5,
  evictions: 6,
  lockSteals: 7,
});

/** Slots per group: the probe length. 8 keeps a full-group scan within two or three cache lines of hashes. */
export const GROUP_SLOTS = 8;
/** Limits up to this many keep an exact log of timestamps; larger ones use this many sub-buckets (+1) per period. */
export const EXACT_LOG_MAX_LIMIT = 64;
export const SUB_BUCKETS_PER_PERIOD = 64;
/** Default keys per rule. Rounded up to a power-of-two number of groups. */
export const DEFAULT_KEYS_PER_RULE = 65_536;
export const MAX_KEYS_PER_RULE = 1 << 24;

export interface TableSpec {
  readonly id: number;
  readonly scope: string;
  readonly limit: number;
  readonly periodMs: number;
  /** Keys the table is sized for (a power-of-two multiple of GROUP_SLOTS after rounding). */
  readonly capacity: number;
}

export interface TableLayout extends TableSpec {
  readonly exact: boolean;
  /** Exact mode: ring length (= limit). */
  readonly ringSize: number;
  /** Bucketed mode: sub-bucket width (ceil(period / SUB_BUCKETS_PER_PERIOD) ms) and number of buckets kept. */
  readonly bucketMs: number;
  readonly bucketCount: number;
  readonly slotWords: number;
  readonly groupWords: number;
  readonly groupCount: number;
  /** First word of the table in the region. */
  readonly offsetWords: number;
  readonly words: number;
}

export interface RegionLayout {
  readonly tables: readonly TableLayout[];
  readonly byteLength: number;
}

export function tableSpecsFor(
  rules: readonly ThrottleRule[],
  capacity: (rule: ThrottleRule) => number,
): TableSpec[] {
  const seen = new Set<number>();
  return rules.map((rule) => {
    if (!Number.isInteger(rule.id) || rule.id < 0 || rule.id > 1023)
      throw new RangeError(`throttle rule id ${rule.id} must be 0..1023`);
    if (seen.has(rule.id)) throw new Error(`two throttle rules share id ${rule.id}`);
    seen.add(rule.id);
    return {
      id: rule.id,
      scope: rule.scope,
      limit: rule.limit,
      periodMs: rule.periodMs,
      capacity: capacity(rule),
    };
  });
}

export function computeRegionLayout(specs: readonly TableSpec[]): RegionLayout {
  let offset = alignTo8(HEADER_WORDS + DIRECTORY_WORDS_PER_TABLE * specs.length);
  const tables = specs.map((spec) => {
    checkSpec(spec);
    const exact = spec.limit <= EXACT_LOG_MAX_LIMIT;
    const bucketMs = exact ? 0 : Math.ceil(spec.periodMs / SUB_BUCKETS_PER_PERIOD);
    // Buckets that can hold live entries: the current one and every one that starts less than a period ago.
    const bucketCount = exact ? 0 : Math.ceil(spec.periodMs / bucketMs) + 1;
    const slotWords = exact ? 3 + spec.limit : 4 + bucketCount;
    const groupWords = 1 + GROUP_SLOTS * slotWords;
    const groupCount = nextPowerOfTwo(Math.ceil(spec.capacity / GROUP_SLOTS));
    const words = groupWords * groupCount;
    const table: TableLayout = Object.freeze({
      ...spec,
      capacity: groupCount * GROUP_SLOTS,
      exact,
      ringSize: exact ? spec.limit : 0,
      bucketMs,
      bucketCount,
      slotWords,
      groupWords,
      groupCount,
      offsetWords: offset,
      words,
    });
    offset = alignTo8(offset + words);
    return table;
  });
  return { tables, byteLength: offset * 8 };
}

function checkSpec(spec: TableSpec): void {
  if (!Number.isInteger(spec.limit) || spec.limit < 1 || spec.limit > 1_000_000_000)
    throw new RangeError(`throttle limit ${spec.limit} out of range`);
  if (!Number.isInteger(spec.periodMs) || spec.periodMs < 1000 || spec.periodMs > 366 * 86_400_000) {
    throw new RangeError(`throttle period ${spec.periodMs} ms out of range (1 s to 366 days)`);
  }
  if (!Number.isInteger(spec.capacity) || spec.capacity < 1 || spec.capacity > MAX_KEYS_PER_RULE) {
    throw new RangeError(`throttle capacity ${spec.capacity} out of range (1 to ${MAX_KEYS_PER_RULE} keys)`);
  }
}

function alignTo8(words: number): number {
  return Math.ceil(words / 8) * 8;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
