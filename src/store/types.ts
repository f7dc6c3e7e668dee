/**
 * The storage interfaces. The embedded SQLite store answers synchronously (better-sqlite3); a networked store
 * (PostgreSQL) answers with promises. Callers off the hot path simply `await`; the hot path (the user lookup of
 * JWT authentication) goes through the per-worker user cache and only awaits on a miss.
 */
import type { MaybePromise } from '../pipeline/types.js';

export interface UserRecord {
  readonly id: number;
  readonly username: string;
  readonly passwordHash: string;
  readonly isActive: boolean;
  readonly isStaff: boolean;
  readonly isSuperuser: boolean;
  readonly dateJoined: string;
  readonly lastLogin: string | null;
  /** Epoch seconds: tokens issued at or before this second are refused (revoke-all). 0 when never revoked. */
  readonly tokensNotBefore: number;
}

export interface NewUser {
  readonly id?: number | null;
  readonly username: string;
  readonly passwordHash: string;
  readonly isActive: boolean;
  readonly isStaff: boolean;
  readonly isSuperuser: boolean;
  readonly dateJoined?: string | null;
  readonly lastLogin?: string | null;
}

export interface UserStore {
  findById(id: number): MaybePromise<UserRecord | null>;
  findByUsername(username: string): MaybePromise<UserRecord | null>;
  create(user: NewUser): MaybePromise<UserRecord>;
  list(): MaybePromise<UserRecord[]>;
  setPasswordHash(id: number, hash: string): MaybePromise<void>;
  setActive(id: number, active: boolean): MaybePromise<void>;
  setFlags(id: number, flags: { isStaff?: boolean; isSuperuser?: boolean }): MaybePromise<void>;
  touchLastLogin(id: number, when: string): MaybePromise<void>;
  /** Sets tokens_not_before to max(current, epochSec) and blacklists every outstanding refresh token of the user. */
  revokeAllTokens(id: number, epochSec: number): MaybePromise<void>;
}

export interface OutstandingToken {
  readonly jti: string;
  readonly userId: number | null;
  readonly family: string;
  readonly parent: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** Outcome of presenting a refresh token for rotation. */
export type RotationOutcome =
  | { readonly kind: 'rotated' }
  /** The token was already used or blacklisted; `reused` is true when it had been rotated (a replay). */
  | { readonly kind: 'blacklisted'; readonly reused: boolean };

export interface TokenStore {
  /** Records a newly issued refresh token. */
  addOutstanding(token: OutstandingToken): MaybePromise<void>;
  isBlacklisted(jti: string): MaybePromise<boolean>;
  /** Blacklists a refresh token (recording it as outstanding first when it was issued elsewhere). Idempotent. */
  blacklist(jti: string, userId: number | null, expiresAt: number, now: number): MaybePromise<void>;
  /**
   * Atomically (across every worker process) checks that `presented` is neither blacklisted nor in a revoked
   * family, blacklists it when `blacklistPresented`, and records `issued` (the new refresh token) when given.
   * Exactly one of several concurrent calls with the same jti succeeds. On reuse of an already-rotated token,
   * revokes its whole family when `revokeFamilyOnReuse`.
   */
  rotate(
    presented: { jti: string; userId: number | null; expiresAt: number },
    issued: OutstandingToken | null,
    options: { blacklistPresented: boolean; revokeFamilyOnReuse: boolean; now: number },
  ): MaybePromise<RotationOutcome>;
  /** Deletes rows whose tokens have expired. Returns how many rows went. */
  pruneExpired(now: number): MaybePromise<number>;
}

export interface Note {
  readonly id: number;
  readonly text: string;
  readonly owner: string;
}

export interface NoteStore {
  list(): MaybePromise<Note[]>;
  create(ownerId: number, text: string, now: string): MaybePromise<Note>;
}

export interface ApiKeyRecord {
  readonly id: number;
  readonly prefix: string;
  readonly userId: number;
  readonly name: string | null;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

export interface ApiKeyStore {
  create(
    userId: number,
    keyHash: Buffer,
    prefix: string,
    name: string | null,
    now: string,
  ): MaybePromise<ApiKeyRecord>;
  /** The live (not revoked) key with this hash, or null. */
  findByHash(keyHash: Buffer): MaybePromise<ApiKeyRecord | null>;
  list(userId: number | null): MaybePromise<ApiKeyRecord[]>;
  revoke(id: number, now: string): MaybePromise<boolean>;
}

/** A change announced by a networked store (Stores.watchChanges). */
export type StoreChange =
  | { readonly kind: 'user'; readonly id: number }
  | { readonly kind: 'apiKey'; readonly id: number }
  | { readonly kind: 'all' };

/** Everything a worker needs from storage, opened once per process. */
export interface Stores {
  readonly users: UserStore;
  readonly tokens: TokenStore;
  readonly notes: NoteStore;
  readonly apiKeys: ApiKeyStore;
  /** True when the database answers (readiness probe). */
  ping(): MaybePromise<boolean>;
  /**
   * A number that changes whenever another connection committed a change (SQLite's data_version), used by the
   * per-worker caches to drop stale entries. Null for stores that publish changes another way.
   */
  changeCounter(): number | null;
  /**
   * Stores without a change counter (PostgreSQL) push changes instead: `listener` hears every committed change
   * of a user or an API key, by any process of any node, and `{ kind: 'all' }` whenever changes may have been
   * missed (the notification connection was lost and is back). Returns a function that stops listening.
   */
  watchChanges?(listener: (change: StoreChange) => void): () => void;
  /** Periodic maintenance owned by one process (WAL checkpoint). */
  checkpoint(): MaybePromise<void>;
  close(): MaybePromise<void>;
}
