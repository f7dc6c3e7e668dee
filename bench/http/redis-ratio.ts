/**
 * What moving the throttle counters to Redis costs on the protected route: requests per second of
 * GET /api/hello/ (JWT + user + IsAuthenticated + the user throttle, every request admitted and counted) on a
 * server whose counters are in shared memory (the embedded default) against the same server with
 * GATEHOUSE_REDIS_URL (one EVALSHA round trip to a local redis-server per request), and their ratio.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/http/redis-ratio.js \
 *     [--workers 2] [--connections 50] [--duration 5] [--rounds 3]
 *
 * Both servers run at once (each idle while the other is measured); rounds alternate them so that drift hits
 * both. autocannon runs in its own process. Redis runs on the same machine, so it takes CPU from the workers
 * and the generator: on a 2-core machine this is the pessimistic case (a dedicated Redis host is the usual
 * deployment). Prints a Markdown table with its conditions. Not a pass/fail test.
 */
import { spawnSync } from 'node:child_process';
import { startRedis, type RedisServer } from '../../test/support/redis-server.js';
import {
  alternatingRounds,
  machine,
  median,
  numberOptions,
  runAutocannon,
  startLoggedInCluster,
  type BenchCluster,
  type LoadRun,
} from './ratio-harness.js';

const { workers, connections, duration, rounds } = numberOptions({
  workers: 2,
  connections: 50,
  duration: 5,
  rounds: 3,
});

/** CPU seconds of the server's workers and of redis-server during a run. */
type Run = LoadRun<'workers' | 'redis'>;

function startServer(redisUrl: string | null): Promise<BenchCluster> {
  return startLoggedInCluster(workers, {
    // A user rate no run reaches: every request is admitted and counted (bucketed log, a write per request).
    GATEHOUSE_THROTTLE_RATES: 'anon=1000/min,user=1000000000/min,limited=5/min',
    ...(redisUrl === null ? {} : { GATEHOUSE_REDIS_URL: redisUrl }),
  });
}

async function main(): Promise<void> {
  let redis: RedisServer | null = null;
  const servers: BenchCluster[] = [];
  try {
    redis = await startRedis();
    const embedded = await startServer(null);
    servers.push(embedded);
    const shared = await startServer(redis.url);
    servers.push(shared);
    const targets = {
      'shared memory (embedded)': embedded,
      'Redis (GATEHOUSE_REDIS_URL)': shared,
    };
    type Name = keyof typeof targets;
    const names = Object.keys(targets) as Name[];
    const redisPid = redis.pid;
    const measure = (name: Name, seconds: number): Promise<Run> =>
      runAutocannon({
        url: `${targets[name].base}/api/hello/`,
        token: targets[name].access,
        connections,
        load: { seconds },
        cpuOf: { workers: targets[name].workerPids, redis: [redisPid] },
      });
    for (const name of names) await measure(name, 2); // warm-up
    const results = await alternatingRounds(names, rounds, (name) => measure(name, duration));
    const redisVersion =
      spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ')[2] ?? '?';
    console.log(
      `Protected route (GET /api/hello/, user throttle counted on every request): Redis throttle store against the embedded one\n` +
        `(${machine()}, Redis ${redisVersion} on the same machine, ` +
        `${workers} workers per server, autocannon -c ${connections} -p 1, ${rounds} × ${duration} s per store, median)\n`,
    );
    // CPU per request is steadier than req/s on a shared machine: other load changes the rate, not the cost.
    console.log(
      '| throttle store | req/s (median) | runs (req/s) | p50 ms | p99 ms | workers, CPU µs/req | redis-server, CPU µs/req |',
    );
    console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: |');
    for (const name of names) {
      const runs = results[name];
      const perRequest = (group: 'workers' | 'redis'): string =>
        median(runs.map((r) => (r.cpuSeconds[group] * 1e6) / r.requests)).toFixed(1);
      console.log(
        `| ${name} | ${Math.round(median(runs.map((r) => r.rps)))} | ${runs.map((r) => Math.round(r.rps)).join(', ')} | ` +
          `${median(runs.map((r) => r.p50))} | ${median(runs.map((r) => r.p99))} | ${perRequest('workers')} | ${perRequest('redis')} |`,
      );
    }
    const ratio = median(results[names[1]!].map((r) => r.rps)) / median(results[names[0]!].map((r) => r.rps));
    console.log(`\nratio Redis / embedded: ${ratio.toFixed(3)}`);
  } finally {
    for (const server of servers) await server.server.stop();
    await redis?.stop();
  }
}

await main();
