/**
 * Two Gatehouse nodes (two supervisors on two ports, two worker processes each) sharing one real PostgreSQL
 * (users and tokens) and one real Redis (throttle counters, revocations), as behind an Nginx upstream:
 * limits hold over both nodes, rotation has one winner across nodes, a revocation on one node is refused on
 * the other, and when Redis goes away each scope follows its failure policy until Redis is back.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { issueApiKey } from '../../src/auth/api-keys/api-key.js';
import { openPostgresStores } from '../../src/store/postgres/open-postgres.js';
import {
  addUsers,
  cleanEnv,
  GATEHOUSE_BIN,
  startGatehouse,
  tempDataDir,
  TEST_SIGNING_KEY,
  type GatehouseProcess,
  type TestUser,
} from '../support/gatehouse-process.js';
import { bearer, request, requestOnNewConnection, type JsonResponse } from '../support/http.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis-server.js';

const skip = !redisAvailable()
  ? 'redis-server is not installed'
  : !postgresAvailable()
    ? 'PostgreSQL is not installed'
    : false;

const BLACKLISTED = '{"detail":"Token is blacklisted","code":"token_not_valid"}';
const UNAVAILABLE =
  '{"detail":"Service temporarily unavailable, try again later.","code":"service_unavailable"}';
/** docs/scaling.md: a revocation reaches every node within milliseconds; this bound only keeps a broken build from hanging. */
const REVOCATION_BOUND_MS = 5_000;

async function createPgUsers(url: string, names: readonly string[]): Promise<TestUser[]> {
  const { stores } = await openPostgresStores({ url, poolSize: 2, createLogger: null });
  try {
    return await addUsers(
      stores.users,
      names.map((username) => ({ username })),
    );
  } finally {
    await stores.close();
  }
}

/** Runs `gatehouse serve` and waits for it to exit by itself (it must: a backend is unreachable). */
function serveUntilExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const dataDir = tempDataDir();
  const child = spawn(
    process.execPath,
    [GATEHOUSE_BIN, 'serve', '--port', '0', '--workers', '1', '--data-dir', dataDir],
    {
      env: { ...cleanEnv(), GATEHOUSE_SIGNING_KEY: TEST_SIGNING_KEY, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => chunks.push(c));
  child.stderr!.on('data', (c: Buffer) => chunks.push(c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      rmSync(dataDir, { recursive: true, force: true });
      resolve({ code, output: Buffer.concat(chunks).toString('utf8') });
    }),
  );
}

async function eventually(test: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<number> {
  const started = Date.now();
  while (!(await test())) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

describe('two nodes sharing PostgreSQL and Redis', { skip }, () => {
  let redis: RedisServer;
  let postgres: PostgresServer;
  let databaseUrl: string;
  let nodeA: GatehouseProcess;
  let nodeB: GatehouseProcess;
  let users: Map<string, TestUser>;

  before(async () => {
    [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    databaseUrl = await postgres.createDatabase('gatehouse');
    const env = {
      GATEHOUSE_DATABASE_URL: databaseUrl,
      GATEHOUSE_REDIS_URL: redis.url,
      GATEHOUSE_THROTTLE_RATES: 'anon=1000/min,user=100000/min,limited=5/min',
      GATEHOUSE_LOGIN_RATE_BY_USERNAME: '1000/min',
      GATEHOUSE_LOGIN_RATE_BY_IP: '1000/min',
      GATEHOUSE_REDIS_TIMEOUT: '500ms',
      GATEHOUSE_AUTHENTICATION_SCHEMES: 'jwt,apikey',
    };
    // Started one after the other: the second also finds the schema already migrated.
    nodeA = await startGatehouse({ workers: 2, env });
    nodeB = await startGatehouse({ workers: 2, env });
    const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace'];
    users = new Map((await createPgUsers(databaseUrl, names)).map((u) => [u.username, u]));
  });

  after(async () => {
    await Promise.all([nodeA?.stop(), nodeB?.stop()]);
    await Promise.all([redis?.stop(), postgres?.stop()]);
  });

  const obtain = async (
    node: GatehouseProcess,
    username: string,
  ): Promise<{ access: string; refresh: string }> => {
    const user = users.get(username)!;
    const r = await request(`${node.url}/api/token/`, { body: { username, password: user.password } });
    assert.equal(r.status, 200, r.text);
    return r.body as { access: string; refresh: string };
  };
  const post = (node: GatehouseProcess, path: string, body: unknown): Promise<JsonResponse> =>
    request(`${node.url}${path}`, { body });

  it('serves the token flows on each node, and a token from one node works on the other', async () => {
    for (const [issuer, other] of [
      [nodeA, nodeB],
      [nodeB, nodeA],
    ] as const) {
      const pair = await obtain(issuer, 'alice');
      const me = await request(`${other.url}/api/me/`, { headers: bearer(pair.access) });
      assert.equal(me.status, 200, me.text);
      assert.equal(me.text, `{"id":${users.get('alice')!.id},"username":"alice","is_staff":false}`);
      assert.equal((await post(other, '/api/token/verify/', { token: pair.refresh })).text, '{}');
      const refreshed = await post(other, '/api/token/refresh/', { refresh: pair.refresh });
      assert.equal(refreshed.status, 200, refreshed.text);
      assert.deepEqual(Object.keys(refreshed.body as object), ['access', 'refresh']);
      // The consumed token is blacklisted for every node.
      const again = await post(issuer, '/api/token/refresh/', { refresh: pair.refresh });
      assert.equal(again.status, 401);
      assert.equal(again.text, BLACKLISTED);
      const verified = await post(issuer, '/api/token/verify/', { token: pair.refresh });
      assert.equal(verified.status, 400);
      assert.equal(verified.text, '{"non_field_errors":["Token is blacklisted"]}');
      // That replay revoked the family: the successor issued on the other node is refused too.
      const next = (refreshed.body as { refresh: string }).refresh;
      assert.equal((await post(other, '/api/token/refresh/', { refresh: next })).text, BLACKLISTED);
      const fresh = await obtain(other, 'alice');
      assert.equal((await post(issuer, '/api/token/blacklist/', { refresh: fresh.refresh })).text, '{}');
      const afterBlacklist = await post(other, '/api/token/refresh/', { refresh: fresh.refresh });
      assert.equal(afterBlacklist.text, BLACKLISTED);
      assert.equal(
        (await post(other, '/api/token/blacklist/', { refresh: fresh.refresh })).text,
        BLACKLISTED,
      );
      const wrong = await request(`${other.url}/api/token/`, {
        body: { username: 'alice', password: 'wrong' },
      });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.text, '{"detail":"No active account found with the given credentials"}');
    }
    const note = await request(`${nodeA.url}/api/notes/`, {
      headers: bearer((await obtain(nodeA, 'bob')).access),
      body: { text: 'shared' },
    });
    assert.equal(note.status, 201, note.text);
    const listed = await request(`${nodeB.url}/api/notes/`);
    assert.ok(
      (listed.body as { text: string; owner: string }[]).some(
        (n) => n.text === 'shared' && n.owner === 'bob',
      ),
    );
  });

  it('admits exactly L requests over both nodes and all their workers (limited: 5/min)', async () => {
    const { access } = await obtain(nodeA, 'carol');
    const responses = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        requestOnNewConnection(`${(i % 2 === 0 ? nodeA : nodeB).url}/api/limited/`, {
          headers: bearer(access),
        }),
      ),
    );
    assert.equal(responses.filter((r) => r.status === 200).length, 5);
    const refused = responses.filter((r) => r.status === 429);
    assert.equal(refused.length, 19);
    assert.equal(refused[0]!.text, '{"detail":"Request was throttled. Expected available in 60 seconds."}');
    assert.equal(refused[0]!.headers['retry-after'], '60');
  });

  it('gives exactly one success to 50 concurrent refreshes of one token split over both nodes', async () => {
    const { refresh } = await obtain(nodeB, 'dave');
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        requestOnNewConnection(`${(i % 2 === 0 ? nodeA : nodeB).url}/api/token/refresh/`, {
          body: { refresh },
        }),
      ),
    );
    assert.equal(
      responses.filter((r) => r.status === 200).length,
      1,
      responses.map((r) => r.status).join(','),
    );
    assert.ok(
      responses.filter((r) => r.status !== 200).every((r) => r.status === 401 && r.text === BLACKLISTED),
    );
  });

  it('refuses on node B the tokens revoked on node A (revoke-all)', async () => {
    const { access } = await obtain(nodeA, 'erin');
    // Both of B's workers have the user cached before the revocation.
    for (let i = 0; i < 8; i++)
      assert.equal(
        (await requestOnNewConnection(`${nodeB.url}/api/me/`, { headers: bearer(access) })).status,
        200,
      );
    const revoked = await request(`${nodeA.url}/api/token/revoke-all/`, {
      headers: bearer(access),
      method: 'POST',
    });
    assert.equal(revoked.status, 200, revoked.text);
    await eventually(
      async () =>
        (await requestOnNewConnection(`${nodeB.url}/api/me/`, { headers: bearer(access) })).status === 401,
      'node B to refuse the revoked token',
      REVOCATION_BOUND_MS,
    );
    // Every worker of B refuses it from now on.
    for (let i = 0; i < 8; i++)
      assert.equal(
        (await requestOnNewConnection(`${nodeB.url}/api/me/`, { headers: bearer(access) })).status,
        401,
      );
  });

  it('drops a user changed by another process (as `gatehouse user deactivate` would) on every node', async () => {
    const { access } = await obtain(nodeA, 'bob');
    for (const node of [nodeA, nodeB])
      assert.equal((await request(`${node.url}/api/me/`, { headers: bearer(access) })).status, 200);
    const { stores } = await openPostgresStores({ url: databaseUrl, poolSize: 1, createLogger: null });
    try {
      await stores.users.setActive(users.get('bob')!.id, false);
    } finally {
      await stores.close();
    }
    for (const node of [nodeA, nodeB]) {
      await eventually(
        async () => {
          const r = await requestOnNewConnection(`${node.url}/api/me/`, { headers: bearer(access) });
          return r.status === 401 && r.text === '{"detail":"User is inactive","code":"user_inactive"}';
        },
        'the deactivation to reach the node',
        REVOCATION_BOUND_MS,
      );
    }
  });

  it('refuses on every node an API key revoked by another process', async () => {
    const { stores } = await openPostgresStores({ url: databaseUrl, poolSize: 1, createLogger: null });
    try {
      const { key, record } = await issueApiKey(stores.apiKeys, users.get('grace')!.id, 'ci');
      const auth = { authorization: `Token ${key}` };
      // Many connections per node, so the key is cached in every worker before it is revoked.
      for (const node of [nodeA, nodeB]) {
        for (let i = 0; i < 12; i++) {
          const r = await requestOnNewConnection(`${node.url}/api/me/`, { headers: auth });
          assert.equal(r.status, 200, r.text);
        }
      }
      await stores.apiKeys.revoke(record.id, new Date().toISOString());
      for (const node of [nodeA, nodeB]) {
        await eventually(
          async () => {
            const answers = await Promise.all(
              Array.from({ length: 12 }, () =>
                requestOnNewConnection(`${node.url}/api/me/`, { headers: auth }),
              ),
            );
            return answers.every((r) => r.status === 401 && r.text === '{"detail":"Invalid token."}');
          },
          'the key revocation to reach every worker of the node',
          REVOCATION_BOUND_MS,
        );
      }
    } finally {
      await stores.close();
    }
  });

  it('keeps serving by policy while Redis is down (login closed with 503, the rest open) and recovers by itself', async () => {
    const { access } = await obtain(nodeA, 'frank');
    await redis.stop();
    try {
      for (const node of [nodeA, nodeB]) {
        const login = await eventually(async () => {
          const r = await request(`${node.url}/api/token/`, {
            body: { username: 'frank', password: users.get('frank')!.password },
          });
          return r.status === 503;
        }, 'login to fail closed');
        assert.ok(login >= 0);
        const r = await request(`${node.url}/api/token/`, {
          body: { username: 'frank', password: users.get('frank')!.password },
        });
        assert.equal(r.status, 503);
        assert.equal(r.text, UNAVAILABLE);
        assert.equal(r.headers.get('retry-after'), '5');
        // Anonymous and user throttles fail open: the API keeps answering.
        for (let i = 0; i < 4; i++) {
          assert.equal((await requestOnNewConnection(`${node.url}/api/public/`)).status, 200);
          assert.equal(
            (await requestOnNewConnection(`${node.url}/api/hello/`, { headers: bearer(access) })).status,
            200,
          );
        }
      }
    } finally {
      await redis.restart();
    }
    for (const node of [nodeA, nodeB]) {
      // Several connections, so that every worker is seen to have recovered.
      await eventually(async () => {
        const tries = await Promise.all(
          Array.from({ length: 6 }, () =>
            requestOnNewConnection(`${node.url}/api/token/`, {
              body: { username: 'frank', password: users.get('frank')!.password },
            }),
          ),
        );
        return tries.every((r) => r.status === 200);
      }, 'login to work again after Redis restarted');
    }
    // Counting again, in the new (empty) Redis.
    const limited = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        requestOnNewConnection(`${(i % 2 === 0 ? nodeA : nodeB).url}/api/limited/`, {
          headers: bearer(access),
        }),
      ),
    );
    assert.equal(limited.filter((r) => r.status === 200).length, 5);
    // One warning and one recovery line per worker and connection, not one per request.
    const warnings = [...nodeA.logs, ...nodeB.logs].filter(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('Redis unreachable'),
    );
    assert.ok(warnings.length > 0 && warnings.length <= 8, `${warnings.length} outage warnings`);
  });
});

describe('operating against PostgreSQL and Redis', { skip }, () => {
  it('migrates with `gatehouse migrate`, once', async () => {
    const postgres = await startPostgres();
    try {
      const url = await postgres.createDatabase('migrate');
      const env = { ...cleanEnv(), GATEHOUSE_DATABASE_URL: url };
      const first = spawnSync(process.execPath, [GATEHOUSE_BIN, 'migrate'], { env, encoding: 'utf8' });
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stdout, /^postgres:\/\/127\.0\.0\.1:\d+\/migrate: migrated from version 0 to 1\n/);
      const second = spawnSync(process.execPath, [GATEHOUSE_BIN, 'migrate'], { env, encoding: 'utf8' });
      assert.match(second.stdout, /schema is up to date \(version 1\)/);
    } finally {
      await postgres.stop();
    }
  });

  it('refuses to start, naming the backend without its password', async () => {
    const environments: Record<string, string>[] = [
      { GATEHOUSE_REDIS_URL: 'redis://:hunter2-secret@127.0.0.1:1' },
      { GATEHOUSE_DATABASE_URL: 'postgres://gatehouse:hunter2-secret@127.0.0.1:1/gatehouse' },
    ];
    for (const env of environments) {
      const { code, output } = await serveUntilExit(env);
      assert.notEqual(code, 0, 'the server must not start');
      assert.match(
        output,
        /(Redis at redis:\/\/127\.0\.0\.1:1 \(GATEHOUSE_REDIS_URL\)|PostgreSQL at postgres:\/\/127\.0\.0\.1:1\/gatehouse \(GATEHOUSE_DATABASE_URL\)) is unreachable/,
      );
      assert.doesNotMatch(output, /hunter2/);
    }
  });
});
