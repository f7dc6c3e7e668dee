/**
 * How long after a revoke-all on node A node B refuses the revoked token: two nodes (two supervisors, two
 * workers each) sharing a local PostgreSQL, with and without Redis.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/http/revocation-latency.js [--trials 20]
 *
 * For each trial, a fresh user obtains a token on A; B serves it (so B's workers have the user cached); then
 * A is asked to revoke all the user's tokens, and B is polled (a new connection per request, so the kernel
 * spreads them over B's workers) until it answers 401. Reported: from A's 200 to B's first 401, and to the
 * third 401 in a row (more than one worker refusing). The polling costs about a millisecond per request,
 * which bounds the resolution. Prints a Markdown table with its conditions. Not a pass/fail test.
 */
import { performance } from 'node:perf_hooks';
import { openPostgresStores } from '../../src/store/postgres/open-postgres.js';
import {
  addUsers,
  startGatehouse,
  type GatehouseProcess,
  type TestUser,
} from '../../test/support/gatehouse-process.js';
import { requestOnNewConnection } from '../../test/support/http.js';
import { startPostgres } from '../../test/support/postgres-server.js';
import { startRedis } from '../../test/support/redis-server.js';
import { RedisLink } from '../../src/store/redis/redis-link.js';
import { RevocationBus } from '../../src/store/redis/revocation-bus.js';
import { machine, numberOptions } from './ratio-harness.js';

const { trials } = numberOptions({ trials: 20 });

/** `count` users named `<prefix><i>` in the shared database, with their passwords. */
async function createUsers(url: string, prefix: string, count: number): Promise<TestUser[]> {
  const { stores } = await openPostgresStores({ url, poolSize: 2, createLogger: null });
  try {
    return await addUsers(
      stores.users,
      Array.from({ length: count }, (_, i) => ({ username: `${prefix}${i}` })),
    );
  } finally {
    await stores.close();
  }
}

interface Trial {
  readonly firstRefusalMs: number;
  readonly thirdRefusalMs: number;
}

async function trial(a: GatehouseProcess, b: GatehouseProcess, user: TestUser): Promise<Trial> {
  const login = await requestOnNewConnection(`${a.url}/api/token/`, {
    body: { username: user.username, password: user.password },
  });
  const { access } = JSON.parse(login.text) as { access: string };
  const auth = { authorization: `Bearer ${access}` };
  for (let i = 0; i < 6; i++) {
    const warm = await requestOnNewConnection(`${b.url}/api/me/`, { headers: auth });
    if (warm.status !== 200) throw new Error(`node B did not accept the fresh token (${warm.status})`);
  }
  const revoked = await requestOnNewConnection(`${a.url}/api/token/revoke-all/`, {
    method: 'POST',
    headers: auth,
  });
  if (revoked.status !== 200) throw new Error(`revoke-all answered ${revoked.status}`);
  const answered = performance.now();
  let first = -1;
  let inARow = 0;
  for (;;) {
    const r = await requestOnNewConnection(`${b.url}/api/me/`, { headers: auth });
    const at = performance.now() - answered;
    if (r.status === 401) {
      if (first < 0) first = at;
      if (++inARow === 3) return { firstRefusalMs: first, thirdRefusalMs: at };
    } else {
      inARow = 0;
    }
    if (at > 60_000) throw new Error('node B never refused the revoked token');
  }
}

/** The channels alone, in this process: PUBLISH → message on another connection; UPDATE + NOTIFY → notification. */
async function channelLatencies(
  redisUrl: string,
  databaseUrl: string,
  samples: number,
): Promise<{ redis: number[]; postgres: number[] }> {
  const link = new RedisLink({
    url: redisUrl,
    clientName: 'bench',
    timeoutMs: 1000,
    logger: null,
    what: 'bench',
  });
  while (!link.usable) await new Promise((resolve) => setTimeout(resolve, 10));
  const publisher = new RevocationBus(redisUrl, link, null, 'bench-revocations');
  const subscriber = new RevocationBus(redisUrl, link, null, 'bench-revocations');
  let received: ((userId: number) => void) | null = null;
  subscriber.subscribe({
    notBefore: (userId) => received?.(userId),
    blacklisted: () => undefined,
    resync: () => undefined,
  });
  const redisTimes: number[] = [];
  for (let i = -20; i < samples; i++) {
    const started = performance.now();
    const arrived = new Promise<void>((resolve) => (received = () => resolve()));
    publisher.publishNotBefore(1, i + 1000);
    const ok = await Promise.race([
      arrived.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 500)),
    ]);
    if (ok && i >= 0) redisTimes.push(performance.now() - started);
  }
  await publisher.close();
  await subscriber.close();
  await link.close();

  const { stores } = await openPostgresStores({ url: databaseUrl, poolSize: 2, createLogger: null });
  const user = await stores.users.create({
    username: 'notify-bench',
    passwordHash: 'x',
    isActive: true,
    isStaff: false,
    isSuperuser: false,
  });
  let heard: (() => void) | null = null;
  let listening: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const stop = stores.watchChanges((change) =>
    change.kind === 'all'
      ? listening()
      : change.kind === 'user' && change.id === user.id
        ? heard?.()
        : undefined,
  );
  await ready;
  const postgresTimes: number[] = [];
  for (let i = -20; i < samples; i++) {
    const arrived = new Promise<void>((resolve) => (heard = () => resolve()));
    const started = performance.now();
    await stores.users.revokeAllTokens(user.id, 1000 + i);
    await arrived;
    if (i >= 0) postgresTimes.push(performance.now() - started);
  }
  stop();
  await stores.close();
  return { redis: redisTimes, postgres: postgresTimes };
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function main(): Promise<void> {
  const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  const nodes: GatehouseProcess[] = [];
  const rows: string[] = [];
  try {
    const url = await postgres.createDatabase('revocation');
    const channels = await channelLatencies(redis.url, url, 200);
    rows.push(
      `| Redis PUBLISH → subscriber (bus alone) | ${channels.redis.length} | ${quantile(channels.redis, 0.5).toFixed(2)} | ${quantile(channels.redis, 0.95).toFixed(2)} | ${Math.max(...channels.redis).toFixed(2)} | | |`,
      `| PostgreSQL revoke-all statement → NOTIFY heard (alone, includes the statement) | ${channels.postgres.length} | ${quantile(channels.postgres, 0.5).toFixed(2)} | ${quantile(channels.postgres, 0.95).toFixed(2)} | ${Math.max(...channels.postgres).toFixed(2)} | | |`,
    );
    const modes: { name: string; env: Record<string, string> }[] = [
      {
        name: 'PostgreSQL + Redis (pub/sub and NOTIFY)',
        env: { GATEHOUSE_DATABASE_URL: url, GATEHOUSE_REDIS_URL: redis.url },
      },
      { name: 'PostgreSQL only (LISTEN/NOTIFY)', env: { GATEHOUSE_DATABASE_URL: url } },
    ];
    for (const [index, mode] of modes.entries()) {
      const users = await createUsers(url, `m${index}u`, trials);
      const env = { ...mode.env, GATEHOUSE_LOGIN_RATE_BY_USERNAME: '', GATEHOUSE_LOGIN_RATE_BY_IP: '' };
      const a = await startGatehouse({ workers: 2, env });
      nodes.push(a);
      const b = await startGatehouse({ workers: 2, env });
      nodes.push(b);
      const results: Trial[] = [];
      for (const user of users) results.push(await trial(a, b, user));
      const first = results.map((r) => r.firstRefusalMs);
      const third = results.map((r) => r.thirdRefusalMs);
      rows.push(
        `| ${mode.name} | ${trials} | ${quantile(first, 0.5).toFixed(1)} | ${quantile(first, 0.95).toFixed(1)} | ${Math.max(...first).toFixed(1)} | ` +
          `${quantile(third, 0.5).toFixed(1)} | ${Math.max(...third).toFixed(1)} |`,
      );
      await Promise.all([a.stop(), b.stop()]);
    }
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    await Promise.all([redis.stop(), postgres.stop()]);
  }
  console.log(
    `Revoke-all on node A → refusal on node B (${machine()}, ` +
      `2 nodes × 2 workers, PostgreSQL and Redis on the same machine; ms from A's answer)\n`,
  );
  console.log(
    '| shared state | trials | first 401 (or delivery), median | p95 | max | 3 × 401 in a row, median | max |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
}

await main();
