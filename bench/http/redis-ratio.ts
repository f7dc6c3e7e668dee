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
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPasswordHasher } from '../../src/auth/passwords/index.js';
import { migrate } from '../../src/store/sqlite/migrations.js';
import { databasePath, openDatabase } from '../../src/store/sqlite/open-database.js';
import { SqliteStores } from '../../src/store/sqlite/sqlite-stores.js';
import { startRedis, type RedisServer } from '../../test/support/redis-server.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const AUTOCANNON = join(ROOT, 'node_modules', 'autocannon', 'autocannon.js');
const PASSWORD = 'bench-password-0123456789';

const { values: args } = parseArgs({
  options: {
    workers: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
  },
});
const workers = Number(args.workers);
const connections = Number(args.connections);
const duration = Number(args.duration);
const rounds = Number(args.rounds);

interface Run {
  readonly rps: number;
  readonly requests: number;
  /** CPU seconds of the server's workers and of redis-server during the run. */
  readonly workerCpu: number;
  readonly redisCpu: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
}

interface Server {
  readonly child: ChildProcess;
  readonly base: string;
  readonly dataDir: string;
  readonly workerPids: number[];
}

/** User + system CPU seconds of a process so far (/proc/<pid>/stat, clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function startServer(redisUrl: string | null): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const db = openDatabase(databasePath(dataDir));
  migrate(db);
  const stores = new SqliteStores(db);
  const hasher = await createPasswordHasher({
    memoryCostKiB: 1024,
    timeCost: 1,
    parallelism: 1,
    maxPasswordLength: 1024,
  });
  stores.users.create({
    username: 'bench',
    passwordHash: await hasher.hash(PASSWORD),
    isActive: true,
    isStaff: false,
    isSuperuser: false,
  });
  stores.close();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_')) env[k] = v;
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 'gatehouse'),
      'serve',
      '--port',
      '0',
      '--workers',
      String(workers),
      '--data-dir',
      dataDir,
    ],
    {
      env: {
        ...env,
        GATEHOUSE_SIGNING_KEY: 'bench-signing-key-0123456789abcdef0123456789abcdef',
        GATEHOUSE_ACCESS_LOG: 'false',
        // A user rate no run reaches: every request is admitted and counted (bucketed log, a write per request).
        GATEHOUSE_THROTTLE_RATES: 'anon=1000/min,user=1000000000/min,limited=5/min',
        GATEHOUSE_ACCESS_TOKEN_LIFETIME: '1h',
        GATEHOUSE_PASSWORD_MEMORY_COST: '1024',
        GATEHOUSE_PASSWORD_TIME_COST: '1',
        ...(redisUrl === null ? {} : { GATEHOUSE_REDIS_URL: redisUrl }),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const workerPids: number[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const log = JSON.parse(line) as { msg?: string; port?: number; workerPid?: number };
        if (log.msg === 'worker ready') workerPids.push(log.workerPid!);
        if (log.msg === 'listening') resolve(log.port!);
      } catch {
        // not a log line
      }
    });
  });
  return { child, base: `http://127.0.0.1:${port}`, dataDir, workerPids };
}

async function stopServer(server: Server): Promise<void> {
  server.child.removeAllListeners('exit');
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
  rmSync(server.dataDir, { recursive: true, force: true });
}

async function accessToken(base: string): Promise<string> {
  const response = await fetch(`${base}/api/token/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bench', password: PASSWORD }),
  });
  return ((await response.json()) as { access: string }).access;
}

function autocannon(
  url: string,
  token: string,
  seconds: number,
  server: Server,
  redisPid: number,
): Promise<Run> {
  const workersBefore = server.workerPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const redisBefore = cpuSeconds(redisPid);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        AUTOCANNON,
        '-j',
        '-c',
        String(connections),
        '-d',
        String(seconds),
        '-H',
        `authorization=Bearer ${token}`,
        url,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}`));
      const r = JSON.parse(out) as {
        requests: { average: number; total: number };
        latency: { p50: number; p99: number };
        non2xx: number;
        errors: number;
      };
      resolve({
        rps: r.requests.average,
        requests: r.requests.total,
        workerCpu: server.workerPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - workersBefore,
        redisCpu: cpuSeconds(redisPid) - redisBefore,
        p50: r.latency.p50,
        p99: r.latency.p99,
        non2xx: r.non2xx,
        errors: r.errors,
      });
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  let redis: RedisServer | null = null;
  const servers: Server[] = [];
  try {
    redis = await startRedis();
    const embedded = await startServer(null);
    servers.push(embedded);
    const shared = await startServer(redis.url);
    servers.push(shared);
    const targets = {
      'shared memory (embedded)': {
        url: `${embedded.base}/api/hello/`,
        token: await accessToken(embedded.base),
        server: embedded,
      },
      'Redis (GATEHOUSE_REDIS_URL)': {
        url: `${shared.base}/api/hello/`,
        token: await accessToken(shared.base),
        server: shared,
      },
    };
    type Name = keyof typeof targets;
    const names = Object.keys(targets) as Name[];
    const redisPid = redis.pid;
    const measure = (name: Name, seconds: number): Promise<Run> =>
      autocannon(targets[name].url, targets[name].token, seconds, targets[name].server, redisPid);
    for (const name of names) await measure(name, 2); // warm-up
    const results: Record<string, Run[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const run = await measure(name, duration);
        if (run.non2xx > 0 || run.errors > 0)
          throw new Error(`${name}: ${run.non2xx} non-2xx answers, ${run.errors} errors`);
        results[name]!.push(run);
      }
    }
    const redisVersion =
      spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ')[2] ?? '?';
    console.log(
      `Protected route (GET /api/hello/, user throttle counted on every request): Redis throttle store against the embedded one\n` +
        `(${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}, Redis ${redisVersion} on the same machine, ` +
        `${workers} workers per server, autocannon -c ${connections} -p 1, ${rounds} × ${duration} s per store, median)\n`,
    );
    // CPU per request is steadier than req/s on a shared machine: other load changes the rate, not the cost.
    console.log(
      '| throttle store | req/s (median) | runs (req/s) | p50 ms | p99 ms | workers, CPU µs/req | redis-server, CPU µs/req |',
    );
    console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: |');
    for (const name of names) {
      const runs = results[name]!;
      const perRequest = (cpu: (r: Run) => number): string =>
        median(runs.map((r) => (cpu(r) * 1e6) / r.requests)).toFixed(1);
      console.log(
        `| ${name} | ${Math.round(median(runs.map((r) => r.rps)))} | ${runs.map((r) => Math.round(r.rps)).join(', ')} | ` +
          `${median(runs.map((r) => r.p50))} | ${median(runs.map((r) => r.p99))} | ${perRequest((r) => r.workerCpu)} | ${perRequest((r) => r.redisCpu)} |`,
      );
    }
    const ratio =
      median(results[names[1]!]!.map((r) => r.rps)) / median(results[names[0]!]!.map((r) => r.rps));
    console.log(`\nratio Redis / embedded: ${ratio.toFixed(3)}`);
  } finally {
    for (const server of servers) await stopServer(server);
    await redis?.stop();
  }
}

await main();
