/**
 * Per-worker cache of live API keys: SHA-256 of the key → the key's id and owner. DRF reads the token row (and
 * its user) on every request; here a cached entry answers instead, with the user cache's staleness bound:
 *  - a change committed by any other process (`gatehouse apikey revoke`, another worker) bumps SQLite's
 *    data_version, which a timer polls every `pollMs` (default 100 ms) to drop the whole cache, so a revoked
 *    key stops working within about 100 ms;
 *  - stores without a change counter (PostgreSQL) announce key changes, which call clear() (builtin-schemes.ts);
 *  - changes made by this process call clear().
 * Unknown keys are not cached: a flood of random keys would only evict good entries, and the miss is one
 * indexed read of the hash.
 */
import type { MaybePromise } from '../../pipeline/types.js';
import type { ApiKeyRecord, ApiKeyStore } from '../../store/types.js';
import { apiKeyHash } from './api-key.js';

/** What authentication needs of a live key. `token` is what handlers see as `ctx.credentials.token`. */
export interface CachedApiKey {
  readonly id: number;
  readonly userId: number;
  readonly token: Readonly<{ id: number; prefix: string; name: string | null }>;
}

export interface ApiKeyCacheOptions {
  readonly maxEntries?: number;
  readonly pollMs?: number;
}

export class ApiKeyCache {
  private readonly entries = new Map<string, CachedApiKey>();
  private readonly maxEntries: number;
  private lastChange: number | null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly keys: ApiKeyStore,
    private readonly changeCounter: () => number | null,
    private readonly options: ApiKeyCacheOptions = {},
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

  clear(): void {
    this.entries.clear();
  }

  /** The live key whose SHA-256 is `hashText` (base64), or null. `key` is read only on a miss. */
  lookup(hashText: string, key: string): MaybePromise<CachedApiKey | null> {
    const hit = this.entries.get(hashText);
    if (hit !== undefined) return hit;
    const found = this.keys.findByHash(apiKeyHash(key));
    if (found instanceof Promise) return found.then((record) => this.remember(hashText, record));
    return this.remember(hashText, found);
  }

  private remember(hashText: string, record: ApiKeyRecord | null): CachedApiKey | null {
    if (record === null) return null;
    const entry: CachedApiKey = Object.freeze({
      id: record.id,
      userId: record.userId,
      token: Object.freeze({ id: record.id, prefix: record.prefix, name: record.name }),
    });
    // Bounded: clearing is cheaper than LRU bookkeeping and rebuilding costs one indexed read per key.
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(hashText, entry);
    return entry;
  }
}
