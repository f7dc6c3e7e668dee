/**
 * Per-worker cache of the users that authentication looks up on every request. simplejwt reads the user row
 * for every request (User.objects.get); here a cached row answers instead, and staleness is bounded:
 *  - changes made by this process (deactivate, revoke-all) invalidate the entry at once;
 *  - changes committed by any other process (another worker, the `gatehouse` CLI) bump SQLite's data_version,
 *    which a timer polls every `pollMs` (default 100 ms) to drop the whole cache;
 *  - revoke-all also writes the user's "not before" time into shared memory, which every worker reads on every
 *    request, so a revocation takes effect on the very next request in every worker (see docs/pipeline.md).
 */
import type { AuthenticatedUser } from '../http/request-context.js';
import type { MaybePromise } from '../pipeline/types.js';
import type { UserRecord, UserStore } from '../store/types.js';

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
}

const MISSING: CachedUser = Object.freeze({ user: Object.freeze({ id: 0, username: '', isActive: false, isStaff: false, isSuperuser: false }), notBefore: 0 });

export class UserCache {
  private readonly entries = new Map<number, CachedUser>();
  private readonly maxEntries: number;
  private lastChange: number | null;
  private timer: NodeJS.Timeout | null = null;

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
    if (this.timer !== null || this.lastChange === null) return;
    this.timer = setInterval(() => this.poll(), this.options.pollMs ?? 100);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
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
  }

  clear(): void {
    this.entries.clear();
  }

  /** The user and its "not before" time, or null when no such user exists. */
  lookup(id: number): MaybePromise<CachedUser | null> {
    const hit = this.entries.get(id);
    if (hit !== undefined) return this.withShared(id, hit);
    const found = this.users.findById(id);
    if (found instanceof Promise) return found.then((record) => this.withShared(id, this.remember(id, record)));
    return this.withShared(id, this.remember(id, found));
  }

  private remember(id: number, record: UserRecord | null): CachedUser {
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
