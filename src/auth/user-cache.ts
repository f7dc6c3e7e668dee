/**
 * Per-worker cache of the users that authentication looks up on every request. simplejwt reads the user row
 * for every request (User.objects.get); here a cached row answers instead, and staleness is bounded:
 *  - changes made by this process (deactivate, revoke-all) invalidate the entry at once;
 *  - changes committed by any other process (another worker, the `gatehouse` CLI) bump SQLite's data_version,
 *    which a timer polls every `pollMs` (default 100 ms) to drop the whole cache;
 *  - revoke-all also writes the user's "not before" time into shared memory, which every worker reads on every
 *    request, so a revocation takes effect on the very next request in every worker (see docs/pipeline.md).
 * A networked store (PostgreSQL) has no data_version to poll. It pushes changes instead (`watch`: LISTEN/NOTIFY,
 * see src/store/postgres/change-listener.ts), other nodes' revocations arrive through Redis (setNotBefore in
 * shared memory plus invalidate), and as a safety net against lost notifications no entry is trusted longer
 * than `maxAgeMs`: entries live in two generations swapped every maxAgeMs / 2, so expiry reads no clock per
 * request. A lookup that was already reading the store when an invalidation arrived answers its row but does
 * not cache it (it may predate the change). docs/scaling.md.
 */
import type { AuthenticatedUser } from '../http/request-context.js';
import type { MaybePromise } from '../pipeline/types.js';
import type { StoreChange, UserRecord, UserStore } from '../store/types.js';

export interface CachedUser {
  readonly user: AuthenticatedUser;
  /** Epoch seconds: tokens with iat at or before it are refused. */
  readonly notBefore: number;
}

/** Where "not before" times published by other workers are read (shared memory in the cluster). */
export interface NotBeforeSource {
  notBefore(userId: number): number;
}

export interface UserCacheOptions {
  readonly maxEntries?: number;
  readonly pollMs?: number;
  /** Without a change counter: the longest an entry is trusted (default 30 s). */
  readonly maxAgeMs?: number;
  /** A store that pushes changes (Stores.watchChanges). */
  readonly watch?: (listener: (change: StoreChange) => void) => () => void;
}

const MISSING: CachedUser = Object.freeze({
  user: Object.freeze({ id: 0, username: '', isActive: false, isStaff: false, isSuperuser: false }),
  notBefore: 0,
});

export class UserCache {
  private entries = new Map<number, CachedUser>();
  /** The previous generation (stores without a change counter): still answers, until the next swap. */
  private previous = new Map<number, CachedUser>();
  private readonly maxEntries: number;
  private lastChange: number | null;
  private timer: NodeJS.Timeout | null = null;
  private unwatch: (() => void) | null = null;
  /** Bumped by every invalidation: a load that started before one must not be cached. */
  private epoch = 0;

  constructor(
    private readonly users: UserStore,
    private readonly changeCounter: () => number | null,
    private readonly sharedNotBefore: NotBeforeSource | null,
    private readonly options: UserCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.lastChange = changeCounter();
  }

  start(): void {
    if (this.timer !== null) return;
    if (this.lastChange !== null) {
      this.timer = setInterval(() => this.poll(), this.options.pollMs ?? 100);
    } else {
      this.timer = setInterval(() => this.swapGenerations(), (this.options.maxAgeMs ?? 30_000) / 2);
      const watch = this.options.watch;
      if (watch !== undefined)
        this.unwatch = watch((change) =>
          change.kind === 'user'
            ? this.invalidate(change.id)
            : change.kind === 'all'
              ? this.clear()
              : undefined,
        );
    }
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.unwatch?.();
    this.unwatch = null;
  }

  /** Drops every entry if another connection changed the database since the last poll. */
  poll(): void {
    const current = this.changeCounter();
    if (current !== this.lastChange) {
      this.lastChange = current;
      this.entries.clear();
    }
  }

  invalidate(id: number): void {
    this.entries.delete(id);
    this.previous.delete(id);
    this.epoch++;
  }

  clear(): void {
    this.entries.clear();
    this.previous.clear();
    this.epoch++;
  }

  /** The user and its "not before" time, or null when no such user exists. */
  lookup(id: number): MaybePromise<CachedUser | null> {
    const hit = this.entries.get(id) ?? this.previous.get(id);
    if (hit !== undefined) return this.withShared(id, hit);
    const epoch = this.epoch;
    const found = this.users.findById(id);
    if (found instanceof Promise)
      return found.then((record) => this.withShared(id, this.remember(id, record, epoch)));
    return this.withShared(id, this.remember(id, found, epoch));
  }

  /** Entries loaded more than maxAgeMs / 2 ago move to the previous generation; the older ones go. */
  private swapGenerations(): void {
    this.previous = this.entries;
    this.entries = new Map();
  }

  private remember(id: number, record: UserRecord | null, epoch: number): CachedUser {
    const entry: CachedUser =
      record === null
        ? MISSING
        : {
            user: Object.freeze({
              id: record.id,
              username: record.username,
              isActive: record.isActive,
              isStaff: record.isStaff,
              isSuperuser: record.isSuperuser,
            }),
            notBefore: record.tokensNotBefore,
          };
    if (epoch !== this.epoch) return entry;
    // Bounded: clearing is cheaper than LRU bookkeeping and rebuilding costs one indexed read per user.
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(id, entry);
    return entry;
  }

  private withShared(id: number, entry: CachedUser): CachedUser | null {
    if (entry === MISSING) return null;
    if (this.sharedNotBefore === null) return entry;
    const shared = this.sharedNotBefore.notBefore(id);
    return shared > entry.notBefore ? { user: entry.user, notBefore: shared } : entry;
  }
}
