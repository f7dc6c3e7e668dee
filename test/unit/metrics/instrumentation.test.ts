import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { PasswordHasher } from '../../../src/auth/passwords/index.js';
import { instrumentPasswords } from '../../../src/metrics/instrument-passwords.js';
import { instrumentStores } from '../../../src/metrics/instrument-stores.js';
import type { Stores } from '../../../src/store/types.js';
import { parsePrometheusText, valueOf } from './prometheus-text.js';

class FakeUserStore {
  private readonly rows = new Map([[1, { id: 1, username: 'alice' }]]);
  findById(id: number) {
    return this.rows.get(id) ?? null;
  }
  async findByUsername(name: string) {
    return [...this.rows.values()].find((r) => r.username === name) ?? null;
  }
  async setActive(): Promise<void> {
    throw new Error('read-only');
  }
}

function fakeStores(): Stores {
  let closed = false;
  return {
    users: new FakeUserStore(),
    tokens: { pruneExpired: () => 3 },
    notes: { list: () => [] },
    apiKeys: {},
    ping: () => !closed,
    changeCounter: () => 7,
    checkpoint: () => undefined,
    watchChanges: (listener: (change: { kind: 'all' }) => void) => {
      listener({ kind: 'all' });
      return () => undefined;
    },
    close: () => {
      closed = true;
    },
  } as unknown as Stores;
}

describe('database timings', () => {
  it('times every store call by store and operation, keeping results, errors and `this`', async () => {
    const registry = new Registry();
    const stores = instrumentStores(fakeStores(), registry);
    assert.deepEqual(stores.users.findById(1), { id: 1, username: 'alice' });
    assert.equal(stores.users.findById(2), null);
    assert.deepEqual(await stores.users.findByUsername('alice'), { id: 1, username: 'alice' });
    await assert.rejects(Promise.resolve(stores.users.setActive(1, false)), /read-only/);
    assert.equal(await stores.tokens.pruneExpired(0), 3);
    assert.equal(stores.changeCounter(), 7);
    const samples = parsePrometheusText(await registry.metrics());
    const count = (store: string, operation: string) =>
      valueOf(samples, 'gatehouse_db_query_seconds_count', { store, operation });
    assert.equal(count('users', 'findById'), 2);
    assert.equal(count('users', 'findByUsername'), 1);
    assert.equal(count('users', 'setActive'), 1, 'a failed call is timed too');
    assert.equal(count('tokens', 'pruneExpired'), 1);
    assert.equal(samples.filter((s) => s.labels['operation'] === 'changeCounter').length, 0);
    const changes: unknown[] = [];
    stores.watchChanges!((change) => changes.push(change));
    assert.deepEqual(changes, [{ kind: 'all' }]);
    await stores.close();
    assert.equal(stores.ping(), false, 'connection duties are passed through');
  });
});

describe('password hashing timings', () => {
  it('times hash, verify and the dummy verification', async () => {
    const registry = new Registry();
    const hasher: PasswordHasher = {
      hash: async (p) => `hashed:${p}`,
      verify: async (encoded, p) => encoded === `hashed:${p}`,
      needsRehash: () => false,
      verifyDummy: async () => false,
    };
    const timed = instrumentPasswords(hasher, registry);
    assert.equal(await timed.hash('pw'), 'hashed:pw');
    assert.equal(await timed.verify('hashed:pw', 'pw'), true);
    assert.equal(await timed.verify('hashed:pw', 'no'), false);
    assert.equal(await timed.verifyDummy('x'), false);
    assert.equal(timed.needsRehash('hashed:pw'), false);
    const samples = parsePrometheusText(await registry.metrics());
    const count = (operation: string) =>
      valueOf(samples, 'gatehouse_password_hash_seconds_count', { operation });
    assert.equal(count('hash'), 1);
    assert.equal(count('verify'), 2);
    assert.equal(count('verify_dummy'), 1);
  });
});
