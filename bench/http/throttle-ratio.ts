/**
 * What a throttle costs on a protected route, over HTTP against the real cluster: requests per second of
 * GET /bench/throttled/ (JWT + IsAuthenticated + a scoped throttle, every request admitted and counted in shared
 * memory) against GET /bench/unthrottled/ (the same route without the throttle), and their ratio (goal ≥ 0.8).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/http/throttle-ratio.js \
 *     [--workers 2] [--connections 50] [--pipelining 1] [--duration 5] [--rounds 3]
 *
 * The server (`gatehouse serve`, supervisor + workers) and autocannon run as separate processes; rounds
 * alternate the two routes so that drift (thermal, other load) hits both. Prints a Markdown table with its
 * conditions. Not a pass/fail test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPasswordHasher } from '../../src/auth/passwords/index.js';
import { migrate } from '../../src/store/sqlite/migrations.js';
import { databasePath, openDatabase } from '../../src/store/sqlite/open-database.js';
import { SqliteStores } from '../../src/store/sqlite/sqlite-stores.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const APP_MODULE = fileURLToPath(new URL('./throttle-ratio-app.js', import.meta.url));
const AUTOCANNON = join(ROOT, 'node_modules', 'autocannon', 'autocannon.js');
const PASSWORD = 'bench-password-0123456789';

const { values: args } = parseArgs({
  options: {
    workers: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    pipelining: { type: 'string', default: '1' },
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
  },
});
const workers = Number(args.workers);
const connections = Number(args.connections);
const pipelining = Number(args.pipelining);
const duration = Number(args.duration);
const rounds = Number(args.rounds);

interface Run {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
}

async function createUser(dataDir: string): Promise<void> {
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
}

function startServer(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
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
        GATEHOUSE_APP_MODULE: APP_MODULE,
        // A limit no run reaches: every request is admitted, so both routes answer 200 and the throttled one
        // pays for a counted decision each time. The token's lifetime outlasts the run.
        GATEHOUSE_THROTTLE_RATES: 'anon=1000/min,user=100000/min,limited=5/min,bench=1000000000/min',
        GATEHOUSE_ACCESS_TOKEN_LIFETIME: '1h',
        GATEHOUSE_PASSWORD_MEMORY_COST: '1024',
        GATEHOUSE_PASSWORD_TIME_COST: '1',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const log = JSON.parse(line) as { msg?: string; port?: number };
        if (log.msg === 'listening') resolve({ child, port: log.port! });
      } catch {
        // not a log line
      }
    });
  });
}

function autocannon(url: string, token: string, seconds: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        AUTOCANNON,
        '-j',
        '-c',
        String(connections),
        '-p',
        String(pipelining),
        '-d',
        String(seconds),
        '-H',
        `authorization=Bearer ${token}`,
        url,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}`));
      const r = JSON.parse(out) as {
        requests: { average: number };
        latency: { p50: number; p99: number };
        non2xx: number;
        errors: number;
      };
      resolve({
        rps: r.requests.average,
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
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  let server: ChildProcess | null = null;
  try {
    await createUser(dataDir);
    const started = await startServer(dataDir);
    server = started.child;
    const base = `http://127.0.0.1:${started.port}`;
    const response = await fetch(`${base}/api/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bench', password: PASSWORD }),
    });
    const { access } = (await response.json()) as { access: string };

    const routes = { throttled: `${base}/bench/throttled/`, unthrottled: `${base}/bench/unthrottled/` };
    // Warm-up: JIT, the verified-token cache, the user cache, the throttle bucket.
    await autocannon(routes.unthrottled, access, 2);
    await autocannon(routes.throttled, access, 2);
    const results: Record<keyof typeof routes, Run[]> = { throttled: [], unthrottled: [] };
    for (let round = 0; round < rounds; round++) {
      const order: (keyof typeof routes)[] =
        round % 2 === 0 ? ['unthrottled', 'throttled'] : ['throttled', 'unthrottled'];
      for (const name of order) {
        const run = await autocannon(routes[name], access, duration);
        if (run.non2xx > 0 || run.errors > 0)
          throw new Error(`${name}: ${run.non2xx} non-2xx answers, ${run.errors} errors`);
        results[name].push(run);
      }
    }

    const without = median(results.unthrottled.map((r) => r.rps));
    const withThrottle = median(results.throttled.map((r) => r.rps));
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    console.log(
      `Throttle cost on a protected route (${cpu}, ${availableParallelism()} cores, Node ${process.version}, ` +
        `${workers} workers, autocannon -c ${connections} -p ${pipelining}, ${rounds} × ${duration} s per route, median)\n`,
    );
    console.log('| route | req/s (median) | runs (req/s) | p50 ms | p99 ms |');
    console.log('| --- | ---: | --- | ---: | ---: |');
    for (const [name, runs] of Object.entries(results)) {
      console.log(
        `| ${routes[name as keyof typeof routes].replace(base, '')} | ${Math.round(median(runs.map((r) => r.rps)))} | ` +
          `${runs.map((r) => Math.round(r.rps)).join(', ')} | ${median(runs.map((r) => r.p50))} | ${median(runs.map((r) => r.p99))} |`,
      );
    }
    console.log(`\nratio throttled / unthrottled: ${(withThrottle / without).toFixed(3)} (goal ≥ 0.8)`);
  } finally {
    if (server !== null) {
      server.removeAllListeners('exit');
      server.kill('SIGTERM');
      await new Promise((resolve) => server!.once('exit', resolve));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
