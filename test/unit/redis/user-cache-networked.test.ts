/**
 * The user cache over a networked store (PostgreSQL): no change counter to poll, so it relies on pushed
 * changes (LISTEN/NOTIFY, the Redis revocation bus) and, as a safety net, a maximum age.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserCache } from '../../../src/auth/user-cache.js';
import type { StoreChange, UserRecord, UserStore } from '../../../src/store/types.js';

function record(id: number, isActive = true, tokensNotBefore = 0): UserRecord {
  return {
    id,
    username: `u${id}`,
    passwordHash: '',
    isActive,
    isStaff: false,
    isSuperuser: false,
    dateJoined: '',
    lastLogin: null,
    tokensNotBefore,
  };
}

/** A user store whose reads are counted and, when `hold` is set, answered only when released. */
class SlowUsers {
  readonly rows = new Map<number, UserRecord>();
  reads = 0;
  hold = false;
  private waiting: (() => void)[] = [];

  findById(id: number): Promise<UserRecord | null> {
    this.reads++;
    const row = this.rows.get(id) ?? null;
    if (!this.hold) return Promise.resolve(row);
    return new Promise((resolve) => this.waiting.push(() => resolve(row)));
  }

  release(): void {
    for (const resume of this.waiting.splice(0)) resume();
  }
}

function cacheOver(
  users: SlowUsers,
  maxAgeMs = 60_000,
): { cache: UserCache; push: (change: StoreChange) => void; watching: () => boolean } {
  let listener: ((change: StoreChange) => void) | null = null;
  const cache = new UserCache(users as unknown as UserStore, () => null, null, {
    maxAgeMs,
    watch: (l) => {
      listener = l;
      return () => (listener = null);
    },
  });
  cache.start();
  return { cache, push: (change) => listener?.(change), watching: () => listener !== null };
}

describe('user cache over a store that pushes changes', () => {
  it('serves from memory, and reloads a user when told it changed', async () => {
    const users = new SlowUsers();
    users.rows.set(1, record(1));
    const { cache, push, watching } = cacheOver(users);
    try {
      assert.equal((await cache.lookup(1))!.user.isActive, true);
      await cache.lookup(1);
      assert.equal(users.reads, 1);
      users.rows.set(1, record(1, false));
      push({ kind: 'apiKey', id: 1 });
      assert.equal((await cache.lookup(1))!.user.isActive, true, 'an API key change leaves users alone');
      push({ kind: 'user', id: 1 });
      assert.equal((await cache.lookup(1))!.user.isActive, false);
      users.rows.set(1, record(1, false, 1234));
      push({ kind: 'all' });
      assert.equal((await cache.lookup(1))!.notBefore, 1234);
      assert.equal(users.reads, 3);
    } finally {
      cache.stop();
    }
    assert.equal(watching(), false, 'stop() stops listening');
  });

  it('does not cache a row read before an invalidation arrived', async () => {
    const users = new SlowUsers();
    users.rows.set(2, record(2));
    const { cache, push } = cacheOver(users);
    try {
      users.hold = true;
      const pending = cache.lookup(2);
      push({ kind: 'user', id: 2 }); // the change committed while the read was on its way
      users.release();
      assert.equal((await pending)!.user.isActive, true, 'the request that asked gets what was read');
      users.hold = false;
      await cache.lookup(2);
      assert.equal(users.reads, 2, 'but the next lookup reads again');
    } finally {
      cache.stop();
    }
  });

  it('never trusts an entry longer than its maximum age', async () => {
    const users = new SlowUsers();
    users.rows.set(3, record(3));
    const { cache } = cacheOver(users, 40);
    try {
      await cache.lookup(3);
      await cache.lookup(3);
      assert.equal(users.reads, 1);
      // Expires after one to two swaps of 20 ms; a loaded machine only delays the timers, hence a deadline.
      const deadline = Date.now() + 5_000;
      while (users.reads === 1 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        await cache.lookup(3);
      }
      assert.equal(users.reads, 2, 'the entry expired and was read again');
    } finally {
      cache.stop();
    }
  });
});
