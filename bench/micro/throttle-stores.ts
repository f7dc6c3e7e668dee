/**
 * Throttle decisions per second: the shared-memory store against the SQLite alternative and an in-process Map,
 * in one process and in two processes deciding at once (this machine has two cores), on one hot key and on
 * 10,000 keys. Every decision reads the clock and is a write (the rule admits everything) unless the row says
 * otherwise, so the figures are the stores' worst case; the 429 path is cheaper in every design.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/micro/throttle-stores.js [secondsPerWindow=0.5] [windows=3]
 *
 * Prints a Markdown table with its conditions (docs/throttling.md keeps a copy). Not a pass/fail test.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  attachShmThrottleStore,
  createShmThrottleRegion,
} from '../../src/store/throttle/shm-throttle-store.js';
import { newThrottleOutcome, type ThrottleRule } from '../../src/store/throttle/throttle-store.js';
import {
  createSqliteSchema,
  openFixedWindow,
  openSlidingBuckets,
  type SqliteThrottle,
} from './sqlite-throttle.js';

type Design = 'shm-bucketed' | 'shm-exact-429' | 'sqlite-fixed' | 'sqlite-sliding' | 'map';

interface Cell {
  readonly design: Design;
  readonly keys: number;
  readonly processes: number;
}

interface Job extends Cell {
  readonly seconds: number;
  readonly windows: number;
  readonly startAt: number;
  readonly offset: number;
  readonly shm: unknown;
  readonly sqlitePath: string;
}

/** One process's figures for each measurement window. */
interface JobResult {
  readonly rates: number[];
  readonly admitted: number;
  readonly decisions: number;
  /** The slowest batch of 256 decisions, in ms: how long a worker's event loop can be held by the store. */
  readonly worstBatchMs: number;
}

/** Admits everything: every decision records (the write path). */
const OPEN_RULE: ThrottleRule = { scope: 'bench', limit: 1_000_000_000, periodMs: 86_400_000, id: 0 };
const GAP_MS = 50;
/** 50/min on the exact log: after the first 50 per key, decisions are refusals (the 429 path). */
const TIGHT_RULE: ThrottleRule = { scope: 'tight', limit: 50, periodMs: 60_000, id: 1 };

const DESIGN_NOTES: Record<Design, string> = {
  'shm-bucketed': 'shared memory + Atomics, bucketed sliding log, every decision admits',
  'shm-exact-429': 'shared memory, exact log 50/min: after 50 per key every decision is a refusal',
  'sqlite-fixed': 'SQLite, 1 UPSERT per decision, fixed window (weaker semantics: upper bound for SQLite)',
  'sqlite-sliding': 'SQLite, same sliding sub-bucket algorithm, 1 IMMEDIATE transaction per decision',
  map: 'in-process Map, fixed window (not shared: 2 processes = 2 separate limits)',
};

function keySet(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    count === 1 ? 'user:1' : `ip:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  );
}

function runJob(job: Job): JobResult {
  const keys = keySet(job.keys);
  let decide: (key: string) => boolean;
  let close: () => void = () => undefined;
  if (job.design === 'shm-bucketed' || job.design === 'shm-exact-429') {
    const store = attachShmThrottleStore(job.shm);
    const rule = job.design === 'shm-bucketed' ? OPEN_RULE : TIGHT_RULE;
    const out = newThrottleOutcome();
    decide = (key) => {
      store.hit(rule, key, Date.now(), out);
      return out.admitted;
    };
    close = () => store.close();
  } else if (job.design === 'map') {
    const windows = new Map<string, { window: number; count: number }>();
    decide = (key) => {
      const window = Math.floor(Date.now() / OPEN_RULE.periodMs);
      let entry = windows.get(key);
      if (entry === undefined || entry.window !== window) windows.set(key, (entry = { window, count: 0 }));
      if (entry.count >= OPEN_RULE.limit) return false;
      entry.count++;
      return true;
    };
  } else {
    const sqlite: SqliteThrottle =
      job.design === 'sqlite-fixed' ? openFixedWindow(job.sqlitePath) : openSlidingBuckets(job.sqlitePath);
    decide = (key) => sqlite.hit(key, OPEN_RULE.limit, OPEN_RULE.periodMs, Date.now());
    close = () => sqlite.close();
  }
  for (let i = 0; i < 2_000; i++) decide(keys[i % keys.length]!); // warm-up (JIT, first rows)
  const rates: number[] = [];
  let decisions = 0;
  let admitted = 0;
  let worstBatchMs = 0;
  let index = job.offset % keys.length;
  for (let window = 0; window < job.windows; window++) {
    // Every process measures the same wall-clock windows, so that they really contend.
    const windowStart = job.startAt + window * (job.seconds * 1000 + GAP_MS);
    while (Date.now() < windowStart) {
      // spin: a timer would start the processes at different times
    }
    const start = performance.now();
    const end = start + job.seconds * 1000;
    let inWindow = 0;
    let batchStart = start;
    for (;;) {
      for (let i = 0; i < 256; i++) {
        if (decide(keys[index]!)) admitted++;
        if (++index === keys.length) index = 0;
      }
      inWindow += 256;
      const now = performance.now();
      if (now - batchStart > worstBatchMs) worstBatchMs = now - batchStart;
      batchStart = now;
      if (now >= end) break;
    }
    rates.push(inWindow / ((performance.now() - start) / 1000));
    decisions += inWindow;
  }
  close();
  return { rates, admitted, decisions, worstBatchMs };
}

function runInChild(job: Job): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (result: JobResult) => {
      resolve(result);
      child.disconnect();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? undefined : reject(new Error(`bench child exited with ${code}`)),
    );
    child.send(job);
  });
}

interface CellResult {
  /** Median over the windows of the total rate (sum over processes), and the lowest and highest window. */
  readonly median: number;
  readonly low: number;
  readonly high: number;
  readonly perProcessMedian: number[];
  readonly admittedShare: number;
  readonly worstBatchMs: number;
}

async function measure(
  cell: Cell,
  seconds: number,
  windows: number,
  shm: unknown,
  sqliteDir: string,
  sequence: number,
): Promise<CellResult> {
  const sqlitePath = join(sqliteDir, `throttle-${sequence}.db`);
  if (cell.design.startsWith('sqlite')) createSqliteSchema(sqlitePath);
  const startAt = Date.now() + 300;
  const jobs = Array.from({ length: cell.processes }, (_, p) => ({
    ...cell,
    seconds,
    windows,
    startAt,
    offset: p * 5_003,
    shm,
    sqlitePath,
  }));
  const results = await Promise.all(jobs.map(runInChild));
  const totals = Array.from({ length: windows }, (_, w) => results.reduce((sum, r) => sum + r.rates[w]!, 0));
  return {
    median: median(totals),
    low: Math.min(...totals),
    high: Math.max(...totals),
    perProcessMedian: results.map((r) => median(r.rates)),
    admittedShare:
      results.reduce((sum, r) => sum + r.admitted, 0) / results.reduce((sum, r) => sum + r.decisions, 0),
    worstBatchMs: Math.max(...results.map((r) => r.worstBatchMs)),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 0.5);
  const windows = Number(process.argv[3] ?? 3);
  const sqliteDir = mkdtempSync(
    join(process.platform === 'linux' ? '/dev/shm' : tmpdir(), 'gatehouse-bench-'),
  );
  const region = createShmThrottleRegion([OPEN_RULE, TIGHT_RULE], { capacity: 32_768 });
  const shm = JSON.parse(JSON.stringify(region.descriptor)) as unknown;
  const designs: Design[] = ['shm-bucketed', 'shm-exact-429', 'sqlite-fixed', 'sqlite-sliding', 'map'];
  const rows: string[] = [];
  let sequence = 0;
  const began = Date.now();
  try {
    for (const design of designs) {
      for (const keys of [1, 10_000]) {
        for (const processes of [1, 2]) {
          const r = await measure({ design, keys, processes }, seconds, windows, shm, sqliteDir, sequence++);
          rows.push(
            `| ${design} | ${keys === 1 ? '1 (hot)' : count(keys)} | ${processes} | ${count(r.median)} | ${count(r.low)} – ${count(r.high)} | ` +
              `${r.perProcessMedian.map(count).join(' + ')} | ${r.worstBatchMs.toFixed(2)} | ${(100 * r.admittedShare).toFixed(1)}% |`,
          );
          process.stderr.write('.');
        }
      }
    }
  } finally {
    region.destroy();
    rmSync(sqliteDir, { recursive: true, force: true });
  }
  process.stderr.write('\n');
  console.log(
    `throttle-stores: ${windows} windows of ${seconds} s per cell (median and range of the windows), ${((Date.now() - began) / 1000).toFixed(0)} s in all; ` +
      `every decision reads Date.now(); SQLite in ${process.platform === 'linux' ? '/dev/shm' : tmpdir()} (WAL, synchronous=OFF, busy_timeout 10 s)`,
  );
  console.log(
    `conditions: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}, flags: ${process.execArgv.join(' ') || 'none'}`,
  );
  console.log('');
  console.log(
    '| design | keys | processes | decisions/s (median) | range | per process (median) | slowest 256 decisions, ms | admitted |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
  console.log('');
  for (const design of designs) console.log(`- ${design}: ${DESIGN_NOTES[design]}`);
}

if (process.argv.includes('--child')) {
  process.once('message', (job: Job) => {
    process.send!(runJob(job));
  });
} else {
  await main();
}
