/**
 * The RSS soak: one million protected GETs against the real cluster, sampling every worker's resident memory
 * (VmRSS from /proc/<pid>/status) every few seconds, to show that nothing grows per request: no leak in the
 * request context, the verified-token cache, the user cache, the throttle store or uWS buffers.
 *
 * Requests: GET /api/hello/ (JWT authentication, IsAuthenticated, the user throttle in shared memory) over
 * SOAK_CONNECTIONS keep-alive connections (autocannon, in this process), cycling through SOAK_TOKENS distinct
 * access tokens of SOAK_USERS users, signed here with the server's key, each with its own jti: five times what
 * the verified-token cache holds (10,000), so its eviction runs all the time too. A warm-up of SOAK_WARMUP
 * requests comes first (JIT, caches and allocator pools fill up).
 *
 * The bound. The RSS of a garbage-collected process is a sawtooth: garbage piles up between collections (here
 * tens of MiB, from the token churn) and the end of a run may fall on a peak or a trough. What a leak raises is
 * the memory that survives collections, i.e. the troughs; so, for every worker,
 *
 *   lowest RSS in the last third of the run <= lowest RSS in the first third + SOAK_BOUND_MIB (default 16 MiB).
 *
 * Prints the conditions, the curve (one row per sample), start / end / peak / troughs per worker; exits 1 when
 * the bound is exceeded, any request failed or a worker died. A bench script, not part of `make test`:
 *
 *   make build && node dist/bench/soak/rss-soak.js
 *   SOAK_REQUESTS=200000 SOAK_TOKENS=20 SOAK_CONNECTIONS=50 SOAK_WORKERS=2 SOAK_SAMPLE_MS=2000 node dist/bench/soak/rss-soak.js
 */
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createUsers, startGatehouse, TEST_SIGNING_KEY } from '../../test/support/gatehouse-process.js';
import { autocannon, type AutocannonRequest, type AutocannonResult } from '../http/autocannon-api.js';

const numberFromEnv = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};

const REQUESTS = numberFromEnv('SOAK_REQUESTS', 1_000_000);
const WARMUP = numberFromEnv('SOAK_WARMUP', 100_000);
const CONNECTIONS = numberFromEnv('SOAK_CONNECTIONS', 50);
const WORKERS = numberFromEnv('SOAK_WORKERS', 2);
const USERS = numberFromEnv('SOAK_USERS', 20);
const TOKENS = numberFromEnv('SOAK_TOKENS', 50_000);
const SAMPLE_MS = numberFromEnv('SOAK_SAMPLE_MS', 2000);
const BOUND_MIB = numberFromEnv('SOAK_BOUND_MIB', 16);

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
}

const mib = (kib: number): string => (kib / 1024).toFixed(1);

interface Sample {
  readonly seconds: number;
  readonly done: number;
  readonly rss: readonly number[];
}

function run(
  url: string,
  amount: number,
  tokens: readonly string[],
  onResponse: () => void,
): Promise<AutocannonResult> {
  let next = 0;
  const request: AutocannonRequest = {
    method: 'GET',
    path: '/api/hello/',
    headers: {},
    setupRequest: (r) => {
      r.headers = { authorization: `Bearer ${tokens[next++ % tokens.length]!}` };
      return r;
    },
  };
  return new Promise((resolve, reject) => {
    const tracker = autocannon(
      { url, connections: CONNECTIONS, amount, requests: [request], timeout: 10 },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    tracker.on('response', onResponse);
  });
}

async function main(): Promise<void> {
  const server = await startGatehouse({
    workers: WORKERS,
    env: {
      GATEHOUSE_ACCESS_LOG: 'false',
      GATEHOUSE_ACCESS_TOKEN_LIFETIME: '2h',
      GATEHOUSE_LOGIN_RATE_BY_USERNAME: '',
      GATEHOUSE_LOGIN_RATE_BY_IP: '',
      // The user throttle runs on every request, but must not refuse any: 1e9 a minute.
      GATEHOUSE_THROTTLE_RATES: 'anon=1000/min,user=1000000000/min,limited=5/min',
    },
  });
  let failed = false;
  try {
    const users = await createUsers(
      server.dataDir,
      Array.from({ length: USERS }, (_, i) => ({ username: `soak${i}` })),
    );
    // One real login, to check the server signs with the key the tokens below are signed with.
    const login = await fetch(`${server.url}/api/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: users[0]!.username, password: users[0]!.password }),
    });
    const issued = ((await login.json()) as { access: string }).access;
    const tokens: string[] = [issued];
    const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    for (let i = 1; i < TOKENS; i++) {
      const claims = {
        token_type: 'access',
        exp: now + 7200,
        iat: now,
        jti: randomUUID().replace(/-/g, ''),
        user_id: users[i % users.length]!.id,
      };
      const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      tokens.push(`${input}.${createHmac('sha256', TEST_SIGNING_KEY).update(input).digest('base64url')}`);
    }
    const pids = server.workerPids();
    const cold = pids.map(rssKiB);

    console.log(
      `# RSS soak: ${REQUESTS.toLocaleString('en-US')} protected GETs (GET /api/hello/, ${TOKENS.toLocaleString('en-US')} distinct tokens of ${USERS} users)`,
    );
    console.log(
      `conditions: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${mib(totalmem() / 1024)} MiB RAM, Node ${process.version}, ` +
        `${WORKERS} workers (pids ${pids.join(', ')}), ${CONNECTIONS} connections, autocannon in the same process; ` +
        `warm-up ${WARMUP.toLocaleString('en-US')} requests; sample every ${SAMPLE_MS} ms`,
    );

    const warm = await run(server.url, WARMUP, tokens, () => {});
    if (warm.non2xx + warm.errors + warm.timeouts > 0)
      throw new Error(`warm-up failures: ${JSON.stringify(warm)}`);
    await sleep(1000);
    const start = pids.map(rssKiB);

    const samples: Sample[] = [];
    let done = 0;
    const startedAt = performance.now();
    const sample = (): void =>
      void samples.push({ seconds: (performance.now() - startedAt) / 1000, done, rss: pids.map(rssKiB) });
    sample();
    const timer = setInterval(sample, SAMPLE_MS);
    const result = await run(server.url, REQUESTS, tokens, () => done++);
    clearInterval(timer);
    sample();
    const end = pids.map(rssKiB);
    await sleep(5000);
    const settled = pids.map(rssKiB);
    const peak = pids.map((_, w) => Math.max(...samples.map((s) => s.rss[w]!)));

    console.log('\n## curve (RSS MiB per worker)\n');
    console.log(`| t (s) | requests | ${pids.map((p) => `worker ${p}`).join(' | ')} |`);
    console.log(`|---:|---:|${pids.map(() => '---:').join('|')}|`);
    for (const s of samples) {
      console.log(
        `| ${s.seconds.toFixed(0)} | ${s.done.toLocaleString('en-US')} | ${s.rss.map(mib).join(' | ')} |`,
      );
    }

    const third = Math.max(1, Math.floor(samples.length / 3));
    const trough = (from: number, to: number, w: number): number =>
      Math.min(...samples.slice(from, to).map((s) => s.rss[w]!));
    console.log('\n## summary (MiB)\n');
    console.log(
      '| worker | cold (after start) | start (after warm-up) | end | 5 s after end | peak | trough, first third | trough, last third | trough growth | bound |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    pids.forEach((pid, w) => {
      const early = trough(0, third, w);
      const late = trough(samples.length - third, samples.length, w);
      const growth = late - early;
      const within = growth <= BOUND_MIB * 1024;
      if (!within) failed = true;
      console.log(
        `| ${pid} | ${mib(cold[w]!)} | ${mib(start[w]!)} | ${mib(end[w]!)} | ${mib(settled[w]!)} | ${mib(peak[w]!)} | ${mib(early)} | ${mib(late)} | ` +
          `${growth >= 0 ? '+' : ''}${mib(growth)} | ${within ? 'within' : 'EXCEEDS'} +${BOUND_MIB} MiB |`,
      );
    });
    const rate = result.requests.total / result.duration;
    console.log(
      `\nrequests: ${result.requests.total.toLocaleString('en-US')} in ${result.duration.toFixed(1)} s (${rate.toFixed(0)} req/s); ` +
        `2xx ${result['2xx'].toLocaleString('en-US')}, non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}`,
    );
    if (result.non2xx + result.errors + result.timeouts > 0) failed = true;
    const deaths = server.logs.filter((l) => l.msg === 'worker died');
    if (deaths.length > 0) {
      failed = true;
      console.log(`worker deaths: ${deaths.length}`);
    }
    console.log(
      failed
        ? '\nRESULT: FAILED (see above)'
        : `\nRESULT: no worker's surviving memory (RSS troughs) grew by more than ${BOUND_MIB} MiB over the run`,
    );
  } finally {
    await server.stop();
  }
  if (failed) process.exitCode = 1;
}

await main();
