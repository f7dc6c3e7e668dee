/**
 * The PostgreSQL store must behave exactly like the embedded SQLite store: one table of cases, run against
 * both (a real PostgreSQL started for the test), plus what only a networked store has to prove: atomic
 * rotation between independent connection pools (as on two nodes), migrations started by several processes at
 * once, and change notifications.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { openPostgresStores } from '../../src/store/postgres/open-postgres.js';
import { migratePostgres, latestPgVersion } from '../../src/store/postgres/pg-migrations.js';
import { createPgPool } from '../../src/store/postgres/pg-pool.js';
import { PgStores } from '../../src/store/postgres/pg-stores.js';
import { migrate } from '../../src/store/sqlite/migrations.js';
import { databasePath, openDatabase } from '../../src/store/sqlite/open-database.js';
import { SqliteStores } from '../../src/store/sqlite/sqlite-stores.js';
import type { StoreChange, Stores } from '../../src/store/types.js';
import { tempDataDir } from '../support/gatehouse-process.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../support/postgres-server.js';

const skipPg = postgresAvailable() ? false : 'PostgreSQL is not installed';
const NOW = 1_700_000_000;

interface OpenedForTest {
  readonly stores: Stores;
  close(): Promise<void>;
}

let databases = 0;

function conformance(name: string, open: () => Promise<OpenedForTest>, skip: string | false): void {
  describe(`store conformance: ${name}`, { skip }, () => {
    let opened: OpenedForTest;
    let s: Stores;
    before(async () => {
      opened = await open();
      s = opened.stores;
    });
    after(async () => {
      await opened?.close();
    });

    const user = async (username: string, extra: { id?: number; isActive?: boolean } = {}) =>
      s.users.create({
        username,
        passwordHash: 'hash',
        isActive: extra.isActive ?? true,
        isStaff: false,
        isSuperuser: false,
        dateJoined: '2024-01-02T03:04:05.678901+00:00',
        ...(extra.id === undefined ? {} : { id: extra.id }),
      });

    it('creates, finds and lists users; text timestamps round-trip exactly', async () => {
      const alice = await user('alice');
      assert.equal(alice.username, 'alice');
      assert.equal(alice.isActive, true);
      assert.equal(alice.isStaff, false);
      assert.equal(alice.tokensNotBefore, 0);
      assert.equal(alice.lastLogin, null);
      assert.equal(alice.dateJoined, '2024-01-02T03:04:05.678901+00:00');
      assert.deepEqual(await s.users.findById(alice.id), alice);
      assert.deepEqual(await s.users.findByUsername('alice'), alice);
      assert.equal(await s.users.findByUsername('Alice'), null, 'usernames are case-sensitive');
      assert.equal(await s.users.findById(999_999), null);
      await assert.rejects(async () => user('alice'), 'usernames are unique');
      const imported = await user('imported', { id: 500 });
      assert.equal(imported.id, 500);
      const next = await user('after-import');
      assert.ok(next.id > 500, `an id after an imported one (${next.id})`);
      assert.deepEqual(
        (await s.users.list()).map((u) => u.username),
        ['alice', 'imported', 'after-import'],
      );
    });

    it('changes passwords, flags, activity and last login', async () => {
      const bob = await user('bob');
      await s.users.setPasswordHash(bob.id, 'new-hash');
      await s.users.setFlags(bob.id, { isStaff: true });
      await s.users.setActive(bob.id, false);
      await s.users.touchLastLogin(bob.id, '2024-05-06T07:08:09Z');
      let found = (await s.users.findById(bob.id))!;
      assert.equal(found.passwordHash, 'new-hash');
      assert.equal(found.isStaff, true);
      assert.equal(found.isSuperuser, false, 'a flag not given is left alone');
      assert.equal(found.isActive, false);
      assert.equal(found.lastLogin, '2024-05-06T07:08:09Z');
      await s.users.setFlags(bob.id, { isSuperuser: true });
      found = (await s.users.findById(bob.id))!;
      assert.equal(found.isStaff, true);
      assert.equal(found.isSuperuser, true);
    });

    it('tracks and blacklists refresh tokens, idempotently, including tokens issued elsewhere', async () => {
      await s.tokens.addOutstanding({
        jti: 'o1',
        userId: 1,
        family: 'o1',
        parent: null,
        createdAt: NOW,
        expiresAt: NOW + 100,
      });
      assert.equal(await s.tokens.isBlacklisted('o1'), false);
      await s.tokens.blacklist('o1', 1, NOW + 100, NOW);
      await s.tokens.blacklist('o1', 1, NOW + 100, NOW);
      assert.equal(await s.tokens.isBlacklisted('o1'), true);
      await s.tokens.blacklist('foreign', null, NOW + 100, NOW);
      assert.equal(await s.tokens.isBlacklisted('foreign'), true);
      // The foreign token was recorded as outstanding with its own family: presenting it is not a reuse.
      const outcome = await s.tokens.rotate({ jti: 'foreign', userId: null, expiresAt: NOW + 100 }, null, {
        blacklistPresented: true,
        revokeFamilyOnReuse: true,
        now: NOW,
      });
      assert.deepEqual(outcome, { kind: 'blacklisted', reused: false });
    });

    it('rotates once; a replay of the consumed token revokes its whole family', async () => {
      const options = { blacklistPresented: true, revokeFamilyOnReuse: true, now: NOW };
      await s.tokens.addOutstanding({
        jti: 'r1',
        userId: 7,
        family: 'r1',
        parent: null,
        createdAt: NOW,
        expiresAt: NOW + 100,
      });
      const first = await s.tokens.rotate(
        { jti: 'r1', userId: 7, expiresAt: NOW + 100 },
        { jti: 'r2', userId: 7, family: 'r1', parent: 'r1', createdAt: NOW, expiresAt: NOW + 100 },
        options,
      );
      assert.deepEqual(first, { kind: 'rotated' });
      assert.equal(await s.tokens.isBlacklisted('r1'), true);
      assert.equal(await s.tokens.isBlacklisted('r2'), false);
      const second = await s.tokens.rotate(
        { jti: 'r2', userId: 7, expiresAt: NOW + 100 },
        { jti: 'r3', userId: 7, family: 'r2', parent: 'r2', createdAt: NOW, expiresAt: NOW + 100 },
        options,
      );
      assert.deepEqual(second, { kind: 'rotated' });
      const replay = await s.tokens.rotate(
        { jti: 'r1', userId: 7, expiresAt: NOW + 100 },
        { jti: 'rX', userId: 7, family: 'r1', parent: 'r1', createdAt: NOW, expiresAt: NOW + 100 },
        options,
      );
      assert.deepEqual(replay, { kind: 'blacklisted', reused: true });
      assert.equal(await s.tokens.isBlacklisted('r3'), true, 'the newest token of the family is revoked');
      assert.equal(await s.tokens.isBlacklisted('rX'), false, 'nothing was issued by the replay');
    });

    it('keeps the family when revokeFamilyOnReuse is off, and rotates tokens it never saw', async () => {
      const keep = { blacklistPresented: true, revokeFamilyOnReuse: false, now: NOW };
      const fresh = await s.tokens.rotate(
        { jti: 'k1', userId: 8, expiresAt: NOW + 100 },
        { jti: 'k2', userId: 8, family: 'k1', parent: 'k1', createdAt: NOW, expiresAt: NOW + 100 },
        keep,
      );
      assert.deepEqual(fresh, { kind: 'rotated' });
      const replay = await s.tokens.rotate({ jti: 'k1', userId: 8, expiresAt: NOW + 100 }, null, keep);
      assert.deepEqual(replay, { kind: 'blacklisted', reused: true });
      assert.equal(await s.tokens.isBlacklisted('k2'), false);
      const noBlacklist = await s.tokens.rotate({ jti: 'k2', userId: 8, expiresAt: NOW + 100 }, null, {
        ...keep,
        blacklistPresented: false,
      });
      assert.deepEqual(noBlacklist, { kind: 'rotated' });
      assert.equal(await s.tokens.isBlacklisted('k2'), false);
    });

    it('revokes all of a user’s tokens: not-before only rises, every outstanding token is blacklisted', async () => {
      const carol = await user('carol');
      await s.tokens.addOutstanding({
        jti: 'c1',
        userId: carol.id,
        family: 'c1',
        parent: null,
        createdAt: NOW,
        expiresAt: NOW + 100,
      });
      await s.tokens.addOutstanding({
        jti: 'c2',
        userId: carol.id,
        family: 'c2',
        parent: null,
        createdAt: NOW,
        expiresAt: NOW + 100,
      });
      await s.users.revokeAllTokens(carol.id, NOW + 5);
      await s.users.revokeAllTokens(carol.id, NOW + 1);
      assert.equal((await s.users.findById(carol.id))!.tokensNotBefore, NOW + 5);
      assert.equal(await s.tokens.isBlacklisted('c1'), true);
      assert.equal(await s.tokens.isBlacklisted('c2'), true);
    });

    it('prunes expired rows and says how many went', async () => {
      await s.tokens.addOutstanding({
        jti: 'p1',
        userId: 1,
        family: 'p1',
        parent: null,
        createdAt: 0,
        expiresAt: 10,
      });
      await s.tokens.blacklist('p1', 1, 10, 0);
      await s.tokens.addOutstanding({
        jti: 'p2',
        userId: 1,
        family: 'p2',
        parent: null,
        createdAt: 0,
        expiresAt: 10,
      });
      assert.equal(await s.tokens.pruneExpired(11), 3);
      assert.equal(await s.tokens.isBlacklisted('p1'), false);
      assert.equal(await s.tokens.pruneExpired(11), 0);
    });

    it('stores notes with their owner’s name', async () => {
      const dave = await user('dave');
      const note = await s.notes.create(dave.id, 'hello', '2024-01-01T00:00:00Z');
      assert.deepEqual(note, { id: note.id, text: 'hello', owner: 'dave' });
      await s.notes.create(dave.id, 'again', '2024-01-01T00:00:01Z');
      assert.deepEqual(
        (await s.notes.list()).map((n) => [n.text, n.owner]),
        [
          ['hello', 'dave'],
          ['again', 'dave'],
        ],
      );
    });

    it('creates, finds, lists and revokes API keys', async () => {
      const erin = await user('erin');
      const hash = Buffer.alloc(32, 7);
      const key = await s.apiKeys.create(erin.id, hash, 'gh_abc', 'ci', '2024-01-01T00:00:00Z');
      assert.deepEqual(key, {
        id: key.id,
        prefix: 'gh_abc',
        userId: erin.id,
        name: 'ci',
        createdAt: '2024-01-01T00:00:00Z',
        revokedAt: null,
      });
      assert.deepEqual(await s.apiKeys.findByHash(Buffer.alloc(32, 7)), key);
      assert.equal(await s.apiKeys.findByHash(Buffer.alloc(32, 8)), null);
      assert.deepEqual(await s.apiKeys.list(erin.id), [key]);
      assert.ok((await s.apiKeys.list(null)).some((k) => k.id === key.id));
      assert.equal(await s.apiKeys.revoke(key.id, '2024-02-01T00:00:00Z'), true);
      assert.equal(await s.apiKeys.revoke(key.id, '2024-03-01T00:00:00Z'), false);
      assert.equal(await s.apiKeys.findByHash(hash), null);
      assert.equal((await s.apiKeys.list(erin.id))[0]!.revokedAt, '2024-02-01T00:00:00Z');
    });

    it('answers its readiness probe', async () => {
      assert.equal(await s.ping(), true);
    });
  });
}

conformance(
  'SQLite',
  async () => {
    const dir = tempDataDir();
    const db = openDatabase(databasePath(dir));
    migrate(db);
    const stores = new SqliteStores(db);
    return {
      stores,
      async close() {
        stores.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  false,
);

let server: PostgresServer | null = null;
async function postgres(): Promise<PostgresServer> {
  server ??= await startPostgres();
  return server;
}
after(async () => {
  await server?.stop();
});

conformance(
  'PostgreSQL',
  async () => {
    const url = await (await postgres()).createDatabase(`conformance${++databases}`);
    const { stores } = await openPostgresStores({ url, poolSize: 4, createLogger: null });
    return { stores, close: () => stores.close() };
  },
  skipPg,
);

describe('PostgreSQL store across nodes', { skip: skipPg }, () => {
  let url: string;
  let nodes: PgStores[] = [];

  before(async () => {
    url = await (await postgres()).createDatabase(`nodes${++databases}`);
    // Migrations started by four processes at once: one applies, the others wait on the lock and find nothing.
    const pools = Array.from({ length: 4 }, () => createPgPool({ url, size: 2 }));
    const reports = await Promise.all(pools.map((pool) => migratePostgres(pool)));
    await Promise.all(pools.map((pool) => pool.end()));
    assert.equal(reports.filter((r) => r.applied.length > 0).length, 1);
    assert.ok(reports.every((r) => r.to === latestPgVersion()));
    nodes = await Promise.all(
      [0, 1].map(async () => (await openPostgresStores({ url, poolSize: 10, createLogger: null })).stores),
    );
  });

  after(async () => {
    for (const node of nodes) await node.close();
  });

  it('rotates a token exactly once among 50 concurrent refreshes on two nodes', async () => {
    const [a, b] = nodes as [PgStores, PgStores];
    await a.tokens.addOutstanding({
      jti: 'hot',
      userId: 1,
      family: 'hot',
      parent: null,
      createdAt: NOW,
      expiresAt: NOW + 100,
    });
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? a : b).tokens.rotate(
          { jti: 'hot', userId: 1, expiresAt: NOW + 100 },
          { jti: `next${i}`, userId: 1, family: 'hot', parent: 'hot', createdAt: NOW, expiresAt: NOW + 100 },
          { blacklistPresented: true, revokeFamilyOnReuse: false, now: NOW },
        ),
      ),
    );
    assert.equal(outcomes.filter((o) => o.kind === 'rotated').length, 1);
    const { rows } = await a.pool.query<{ n: number }>(
      "SELECT count(*) AS n FROM gatehouse_outstanding_tokens WHERE parent = 'hot'",
    );
    assert.equal(rows[0]!.n, 1, 'exactly one successor was recorded');
  });

  it('tells every node about changed users and API keys, and to start clean after reconnecting', async () => {
    const [a, b] = nodes as [PgStores, PgStores];
    const heard: StoreChange[] = [];
    const stop = b.watchChanges((change) => heard.push(change));
    const waitFor = async (test: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!test()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(heard)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    try {
      await waitFor(() => heard.some((c) => c.kind === 'all'), 'the listener to start');
      const frank = await a.users.create({
        username: 'frank',
        passwordHash: 'h',
        isActive: true,
        isStaff: false,
        isSuperuser: false,
      });
      await a.users.setActive(frank.id, false);
      await a.users.touchLastLogin(frank.id, '2024-01-01T00:00:00Z');
      const key = await a.apiKeys.create(frank.id, Buffer.alloc(32, 1), 'gh_x', null, '2024-01-01T00:00:00Z');
      await a.apiKeys.revoke(key.id, '2024-01-02T00:00:00Z');
      await waitFor(() => heard.filter((c) => c.kind === 'apiKey').length === 2, 'the API key notices');
      assert.deepEqual(
        heard.filter((c) => c.kind !== 'all'),
        [
          { kind: 'user', id: frank.id },
          { kind: 'user', id: frank.id },
          { kind: 'apiKey', id: key.id },
          { kind: 'apiKey', id: key.id },
        ],
        'creation and deactivation are announced; a last-login update is not',
      );
      // Cut every LISTEN session: the listener reconnects and announces that it may have missed something.
      const before = heard.filter((c) => c.kind === 'all').length;
      await a.pool.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'gatehouse-listen'",
      );
      await waitFor(
        () => heard.filter((c) => c.kind === 'all').length > before,
        'the resync after reconnecting',
      );
    } finally {
      stop();
    }
  });

  it('refuses to open an unreachable database with a message that names it without its password', async () => {
    const secret = 'sup3r-secret';
    await assert.rejects(
      openPostgresStores({
        url: `postgres://gatehouse:${secret}@127.0.0.1:1/gatehouse`,
        poolSize: 1,
        createLogger: null,
      }),
      (error: Error) => {
        assert.match(
          error.message,
          /PostgreSQL at postgres:\/\/127\.0\.0\.1:1\/gatehouse \(GATEHOUSE_DATABASE_URL\) is unreachable/,
        );
        assert.doesNotMatch(error.message, new RegExp(secret));
        return true;
      },
    );
  });
});
