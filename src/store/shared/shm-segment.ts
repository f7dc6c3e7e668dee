/**
 * POSIX shared-memory objects (shm_open + mmap through the `shm-typed-array` addon) that the supervisor creates
 * and every worker maps: the throttle store and the user revocation map live in them.
 *
 * Naming and clean-up. An object is named `/<prefix>-<supervisor pid>-<kind>-<random>` and appears as a file in
 * /dev/shm on Linux. The supervisor unlinks its objects when it exits (destroy, plus an 'exit' hook); one killed
 * with SIGKILL cannot, so every supervisor sweeps at start-up the objects with its prefix whose pid is no longer
 * running. Workers that still have an unlinked object mapped keep using it (unlink semantics), which is what
 * lets a supervisor restart without stopping old workers first. POSIX names were chosen over System V keys:
 * SysV segments outlive everything too, their IPC_RMID-then-attach trick needs a shmid that the addon does not
 * expose, and `ipcs` is less familiar than `ls /dev/shm`.
 *
 * Size. tmpfs pages are allocated when first written; a write that finds /dev/shm full raises SIGBUS and kills
 * the process. So the creator checks the free space first (a clear start-up error instead) and writes every page
 * once, committing the memory up front.
 *
 * Mappings are shared per process and reference-counted: the addon tracks mappings by name and unmaps the first
 * one on detach, so two stores of one process (tests) must not map the same object twice.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statfsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isProcessAlive } from './process-liveness.js';

interface ShmAddon {
  create(count: number, typeKey: 'Float64Array', key: string, perm: string): Float64Array | null;
  get(key: string, typeKey: 'Float64Array'): Float64Array | null;
  detach(key: string, forceDestroy?: boolean): number;
  destroy(key: string): boolean;
}

const shm = createRequire(import.meta.url)('shm-typed-array') as ShmAddon;

const SHM_DIR = '/dev/shm';
const PAGE_BYTES = 4096;
const NAME = /^\/[A-Za-z0-9._-]{1,200}$/;
const PREFIX = /^[A-Za-z0-9_]{1,40}$/;
export const DEFAULT_SEGMENT_PREFIX = 'gatehouse';

interface Mapping {
  readonly buffer: ArrayBuffer;
  references: number;
}

const mappings = new Map<string, Mapping>();

export function isValidSegmentName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name);
}

/**
 * Creates a zero-filled object of `byteLength` bytes (a multiple of 8), readable and writable by this user only,
 * and maps it. The creator holds one reference; release it with releaseSegment or destroy with destroySegment.
 */
export function createSegment(
  kind: string,
  byteLength: number,
  prefix: string = DEFAULT_SEGMENT_PREFIX,
): { name: string; buffer: ArrayBuffer } {
  if (!PREFIX.test(prefix))
    throw new Error(`shared memory prefix "${prefix}" must be 1-40 letters, digits or _`);
  if (!Number.isSafeInteger(byteLength) || byteLength <= 0 || byteLength % 8 !== 0)
    throw new RangeError(`bad segment size ${byteLength}`);
  ensureSpace(byteLength);
  const name = `/${prefix}-${process.pid}-${kind}-${randomBytes(4).toString('hex')}`;
  const view = shm.create(byteLength / 8, 'Float64Array', name, '600');
  if (view === null) throw new Error(`shared memory object ${name} already exists`);
  const cells = new Int32Array(view.buffer);
  for (let i = 0; i < cells.length; i += PAGE_BYTES / 4) cells[i] = 0; // commit every page now, not at SIGBUS time
  mappings.set(name, { buffer: view.buffer as ArrayBuffer, references: 1 });
  return { name, buffer: view.buffer as ArrayBuffer };
}

/** Maps an existing object (made by createSegment, possibly in another process). */
export function attachSegment(name: string): ArrayBuffer {
  if (!isValidSegmentName(name)) throw new Error('bad shared memory object name');
  const existing = mappings.get(name);
  if (existing !== undefined) {
    existing.references++;
    return existing.buffer;
  }
  const view = shm.get(name, 'Float64Array');
  if (view === null)
    throw new Error(`shared memory object ${name} does not exist (was the supervisor restarted?)`);
  mappings.set(name, { buffer: view.buffer as ArrayBuffer, references: 1 });
  return view.buffer as ArrayBuffer;
}

/** Drops one reference; the last one unmaps. Views over the buffer must not be touched afterwards. */
export function releaseSegment(name: string): void {
  const mapping = mappings.get(name);
  if (mapping === undefined) return;
  if (--mapping.references > 0) return;
  mappings.delete(name);
  shm.detach(name);
}

/** Unlinks the object (processes that have it mapped keep their mapping) and drops this process's mapping. */
export function destroySegment(name: string): void {
  const mapping = mappings.get(name);
  if (mapping !== undefined) {
    mappings.delete(name);
    shm.detach(name);
  }
  shm.destroy(name);
}

export interface OwnedSegment {
  readonly name: string;
  /** Objects of dead supervisors removed before this one was created (for the start-up log). */
  readonly sweptStale: readonly string[];
  /** Unlinks the object (also run when the process exits). Workers keep their mappings. Idempotent. */
  destroy(): void;
}

/**
 * The supervisor's side of a region: sweeps the objects dead supervisors left, creates the object, lets
 * `initialise` write its header, then drops the creator's mapping (the supervisor makes no decisions; workers
 * map the object themselves). The object is unlinked by destroy() or, failing that, when the process exits.
 */
export function createOwnedSegment(
  kind: string,
  byteLength: number,
  prefix: string | undefined,
  initialise: (buffer: ArrayBuffer) => void,
): OwnedSegment {
  const sweptStale = sweepStaleSegments(prefix);
  const { name, buffer } = createSegment(kind, byteLength, prefix);
  try {
    initialise(buffer);
  } catch (error) {
    destroySegment(name);
    throw error;
  }
  releaseSegment(name);
  let destroyed = false;
  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    process.removeListener('exit', destroy);
    destroySegment(name);
  };
  process.once('exit', destroy);
  return { name, sweptStale, destroy };
}

/**
 * Unlinks the objects left by supervisors of this prefix that are no longer running (killed with SIGKILL, or a
 * crashed host process). Returns their names for the start-up log. Caveat: the pid is read in this process's
 * pid namespace; containers that share /dev/shm but not pids must use distinct prefixes.
 */
export function sweepStaleSegments(prefix: string = DEFAULT_SEGMENT_PREFIX): string[] {
  if (!existsSync(SHM_DIR)) return [];
  const pattern = new RegExp(`^${prefix}-(\\d+)-[a-z]+-[0-9a-f]+$`);
  const removed: string[] = [];
  for (const file of readdirSync(SHM_DIR)) {
    const match = pattern.exec(file);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    try {
      if (shm.destroy(`/${file}`)) removed.push(`/${file}`);
    } catch {
      // Another user's object, or already gone: not ours to clean.
    }
  }
  return removed;
}

function ensureSpace(byteLength: number): void {
  if (!existsSync(SHM_DIR)) return;
  const stats = statfsSync(SHM_DIR);
  const available = stats.bavail * stats.bsize;
  if (available < byteLength + PAGE_BYTES) {
    const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`;
    throw new Error(
      `not enough shared memory: need ${mib(byteLength)} in ${SHM_DIR}, ${mib(available)} free ` +
        '(enlarge it, e.g. docker run --shm-size=256m, or lower the throttle store capacity)',
    );
  }
}
