/**
 * `make bench`: load benchmarks of Gatehouse against its peers, measured in one run on this machine.
 *
 * For each worker count (1 and every core by default): start Gatehouse on the embedded SQLite default, log in
 * the bench user, check every scenario answers correctly, then measure each scenario (a warm-up, discarded,
 * then the measured run) with the load generator in a separate process; then the same for the bare uWS
 * ceiling and Fastify on the scenarios they share. Writes bench/results/http-<tool>.{md,json,svg}.
 *
 *   make bench                                   autocannon, the default plan (< 4 minutes)
 *   BENCH_TOOL=wrk make bench                    wrk as the generator
 *   BENCH_SCENARIOS=public,protected BENCH_DURATION=10 BENCH_CONNECTIONS=100 BENCH_WORKERS=2 make bench
 *   BENCH_NGINX=1 make bench                     also Gatehouse behind a temporary Nginx
 * Knobs: bench/http/bench-options.ts; method and reading guide: docs/benchmarks.md.
 */
import { readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOW_LIMIT_PER_MINUTE } from '../peers/peer-contract.js';
import { autocannonGenerator } from './autocannon-generator.js';
import { BenchOptionsError, readBenchOptions, type BenchOptions } from './bench-options.js';
import {
  BENCH_USER,
  FLOOD_USER,
  login,
  prepareGatehouse,
  refreshTokens,
  type BenchSetup,
} from './bench-setup.js';
import { checkScenario } from './check-endpoints.js';
import type { LoadGenerator, LoadResult } from './load-generator.js';
import { startNginxFront, type NginxFront } from './nginx-front.js';
import { WorkerSampler } from './process-stats.js';
import { renderMarkdown } from './report.js';
import type { BenchResults, Conditions, FloodFigures, ResultRow } from './results.js';
import {
  SCENARIOS,
  floodRequest,
  scenarioRequest,
  type BenchCredentials,
  type Scenario,
  type ScenarioRequest,
} from './scenarios.js';
import { renderSvg } from './svg-chart.js';
import { SYSTEM_TITLES, startBareUws, startFastify, startGatehouse, type RunningSystem } from './systems.js';
import { wrkGenerator } from './wrk-generator.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The login flood starts this long before the measured generator, so argon2 work is already queued. */
const FLOOD_LEAD_MS = 1000;
/** ...and is planned to last this much longer than the warm-up + measured run (generator start-up included). */
const FLOOD_TAIL_SEC = 3;

const MIB = 1024;
const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

class Progress {
  private index = 0;
  private readonly startedAt = performance.now();
  constructor(private readonly total: number) {}

  start(
    system: RunningSystem,
    scenario: Scenario,
    options: BenchOptions,
    warmupSec: number,
    round: number,
  ): string {
    const tag = `[${String(++this.index).padStart(String(this.total).length)}/${this.total}]`;
    const warmup = warmupSec > 0 ? `${warmupSec} s warm-up + ` : '';
    const rounds = options.rounds > 1 ? `round ${round + 1}/${options.rounds}, ` : '';
    console.log(
      `${tag} start ${SYSTEM_TITLES[system.name]} ×${system.workers}  ${scenario.request}  (${rounds}${warmup}${options.durationSec} s)`,
    );
    return tag;
  }

  done(tag: string, row: ResultRow): void {
    const flood = row.flood === null ? '' : `; login flood ${fmt(row.flood.requestsPerSec, 1)} req/s`;
    console.log(
      `${tag} done  ${SYSTEM_TITLES[row.system]} ×${row.workers}  ${SCENARIOS[row.scenario].request}: ${fmt(row.requestsPerSec)} req/s, ` +
        `p50 ${fmt(row.latencyP50Ms, 2)} ms, p99 ${fmt(row.latencyP99Ms, 2)} ms, errors ${row.errors}, non-2xx ${row.non2xx}, ` +
        `generator CPU ${fmt(row.generatorCpuPercent)}%${flood} [${fmt((performance.now() - this.startedAt) / 1000)} s]`,
    );
  }
}

interface RunContext {
  readonly options: BenchOptions;
  readonly generator: LoadGenerator;
  readonly setup: BenchSetup;
  readonly progress: Progress;
  credentials: BenchCredentials | null;
}

const percentOfCore = (cpuSec: number, wallSec: number): number =>
  wallSec > 0 ? (cpuSec / wallSec) * 100 : 0;

/**
 * Refresh chains need one token per connection per run (warm-up and measured), plus one per run that wrk
 * spends when it calls request() once at start-up to verify the script, plus one for the check.
 */
async function requestFor(
  ctx: RunContext,
  system: RunningSystem,
  scenario: Scenario,
  warmupSec: number,
): Promise<{ check: ScenarioRequest; load: ScenarioRequest }> {
  const credentials = ctx.credentials!;
  if (scenario.body !== 'refresh-chain') {
    const request = scenarioRequest(scenario, credentials, null);
    return { check: request, load: request };
  }
  const perRun = ctx.options.connections + 1;
  const count = perRun * (warmupSec > 0 ? 2 : 1) + 1;
  const tokens = await refreshTokens(system.baseUrl, credentials.username, credentials.password, count);
  return {
    check: scenarioRequest(scenario, credentials, tokens.slice(0, 1)),
    load: scenarioRequest(scenario, credentials, tokens.slice(1)),
  };
}

/** One measured run (after the warm-up in the first round), checked first in the first round. */
async function runScenario(
  ctx: RunContext,
  system: RunningSystem,
  scenario: Scenario,
  round: number,
): Promise<ResultRow> {
  const { options, generator } = ctx;
  const warmupSec = round === 0 ? options.warmupSec : 0;
  const { check, load } = await requestFor(ctx, system, scenario, warmupSec);
  if (round === 0) await checkScenario(system, scenario, check, BENCH_USER);

  let flood: Promise<LoadResult> | null = null;
  if (scenario.loginFlood) {
    const password = ctx.setup.passwords[FLOOD_USER]!;
    // The flood's request is checked like the others: it must be a successful login (a real verification).
    await login(system.baseUrl, FLOOD_USER, password);
    const request = floodRequest(FLOOD_USER, password);
    flood = generator.run({
      baseUrl: system.baseUrl,
      request,
      connections: options.floodConnections,
      warmupSec: 0,
      durationSec: warmupSec + options.durationSec + FLOOD_TAIL_SEC,
    });
    await new Promise((resolve) => setTimeout(resolve, FLOOD_LEAD_MS));
  }

  const tag = ctx.progress.start(system, scenario, options, warmupSec, round);
  const sampler = new WorkerSampler(system.workerPids);
  const result = await generator.run(
    {
      baseUrl: system.baseUrl,
      request: load,
      connections: options.connections,
      warmupSec,
      durationSec: options.durationSec,
    },
    () => sampler.start(),
  );
  const usage = sampler.stop();
  const serverCpuSec = usage.reduce((sum, u) => sum + u.cpuSeconds, 0);
  let floodFigures: FloodFigures | null = null;
  if (flood !== null) {
    const f = await flood;
    floodFigures = {
      requestsPerSec: f.requestsPerSec,
      latencyP99Ms: f.latencyP99Ms,
      errors: f.errors,
      non2xx: f.non2xx,
      generatorCpuPercent: percentOfCore(f.generatorCpuSec, f.durationSec),
    };
  }
  const row: ResultRow = {
    scenario: scenario.name,
    request: scenario.request,
    system: system.name,
    workers: system.workers,
    requests: result.requests,
    durationSec: result.durationSec,
    requestsPerSec: result.requestsPerSec,
    roundsRequestsPerSec: [round_(result.requestsPerSec, 1)],
    latencyP50Ms: result.latencyP50Ms,
    latencyP99Ms: result.latencyP99Ms,
    latencyMaxMs: result.latencyMaxMs,
    errors: result.errors,
    non2xx: result.non2xx,
    peakRssPerWorkerMiB: Math.max(0, ...usage.map((u) => u.peakRssKiB)) / MIB,
    workerPeakRssMiB: usage.map((u) => round_(u.peakRssKiB / MIB, 1)),
    workerLifetimePeakRssMiB: usage.map((u) => round_(u.lifetimePeakKiB / MIB, 1)),
    serverCpuPercent: percentOfCore(serverCpuSec, result.durationSec),
    serverCpuMicrosPerRequest: result.requests > 0 ? round_((serverCpuSec / result.requests) * 1e6, 2) : 0,
    generatorCpuPercent: percentOfCore(result.generatorCpuSec, result.durationSec),
    flood: floodFigures,
    loadAverage1m: round_(loadavg()[0]!, 2),
  };
  ctx.progress.done(tag, row);
  return row;
}

/** The round with the median req/s, carrying every round's req/s. */
function medianRound(rounds: readonly ResultRow[]): ResultRow {
  const sorted = [...rounds].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
  const median = sorted[(sorted.length - 1) >> 1]!;
  return { ...median, roundsRequestsPerSec: rounds.map((r) => round_(r.requestsPerSec, 1)) };
}

const round_ = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

function gatehouseScenarios(options: BenchOptions): Scenario[] {
  return options.scenarios.map((name) => SCENARIOS[name]);
}

function peerScenarios(options: BenchOptions): Scenario[] {
  return gatehouseScenarios(options).filter((s) => s.peers);
}

function countRuns(options: BenchOptions): number {
  const own = gatehouseScenarios(options).length * (options.nginx ? 2 : 1);
  const peers = peerScenarios(options).length * options.systems.filter((s) => s !== 'gatehouse').length;
  return options.workerCounts.length * (own + peers) * options.rounds;
}

function packageVersion(name: string): string {
  return (
    JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
}

function conditions(options: BenchOptions, generator: LoadGenerator, notes: string[]): Conditions {
  return {
    date: new Date().toISOString(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    node: process.version,
    kernel: release(),
    tool: options.tool,
    generator: generator.describe(options.connections),
    warmupSec: options.warmupSec,
    durationSec: options.durationSec,
    connections: options.connections,
    rounds: options.rounds,
    floodConnections: options.floodConnections,
    loadAverageAtStart: loadavg(),
    setup: [
      'Gatehouse: `gatehouse serve --workers N` (supervisor + N worker processes on one port through SO_REUSEPORT), the embedded SQLite ' +
        'store in a temporary directory, access log off (GATEHOUSE_ACCESS_LOG=false: the peers log nothing either); the anon and user ' +
        `throttles count every request with a limit never reached, the scoped \`limited\` throttle is ${LOW_LIMIT_PER_MINUTE}/min; ` +
        'login throttles out of reach; argon2id with its default parameters (19 MiB, t=2, p=1); access tokens live 1 h.',
      'bare uWS (the ceiling): N processes of uWebSockets.js on one port (SO_REUSEPORT), a fixed body per path, no header read, nothing verified.',
      `Fastify ${packageVersion('fastify')} + @fastify/jwt ${packageVersion('@fastify/jwt')} + @fastify/rate-limit ${packageVersion('@fastify/rate-limit')} ` +
        'on node:cluster (the primary accepts and hands connections out round-robin), the same HS256 secret, tokens and bodies; its ' +
        'rate-limit store is per process, so a client may get up to N× the limit.',
      ...notes,
    ],
  };
}

/**
 * Every system runs at once (an idle server costs nothing) so that each scenario is measured on all of them
 * back to back: the machine's other load drifts less between the rows that are compared.
 */
async function runWorkerCount(
  ctx: RunContext,
  workers: number,
  notes: string[],
  rows: ResultRow[],
): Promise<void> {
  const { options, setup } = ctx;
  const started: RunningSystem[] = [];
  let front: NginxFront | null = null;
  try {
    const gatehouse = await startGatehouse(
      { repoRoot: REPO_ROOT, dataDir: setup.dataDir, env: setup.env },
      workers,
    );
    started.push(gatehouse);
    // Gatehouse mints the tokens every system is given (Fastify verifies them with the same secret).
    const password = setup.passwords[BENCH_USER]!;
    ctx.credentials = {
      username: BENCH_USER,
      password,
      access: (await login(gatehouse.baseUrl, BENCH_USER, password)).access,
    };
    let proxied: RunningSystem | null = null;
    if (options.nginx) {
      front = await startNginxFront(REPO_ROOT, Number(new URL(gatehouse.baseUrl).port));
      if (!notes.includes(front.note)) notes.push(front.note);
      proxied = {
        ...gatehouse,
        name: 'gatehouse-nginx',
        baseUrl: `http://127.0.0.1:${front.port}`,
        stop: async () => {},
      };
    }
    const peers: RunningSystem[] = [];
    if (peerScenarios(options).length > 0) {
      if (options.systems.includes('bare-uws')) started.push(await startBareUws(workers));
      if (options.systems.includes('fastify')) started.push(await startFastify(workers, setup.secret));
      peers.push(...started.slice(1));
    }
    for (const scenario of gatehouseScenarios(options)) {
      const systems = [gatehouse, ...(proxied === null ? [] : [proxied]), ...(scenario.peers ? peers : [])];
      const rounds = systems.map(() => [] as ResultRow[]);
      for (let round = 0; round < options.rounds; round++) {
        for (const [i, system] of systems.entries())
          rounds[i]!.push(await runScenario(ctx, system, scenario, round));
      }
      rows.push(...rounds.map(medianRound));
    }
  } finally {
    if (front !== null) await front.stop();
    for (const system of started.reverse()) await system.stop();
  }
}

function writeAtomically(path: string, text: string): void {
  writeFileSync(path + '.tmp', text);
  renameSync(path + '.tmp', path);
}

async function main(): Promise<number> {
  const startedAt = performance.now();
  let options: BenchOptions;
  try {
    options = readBenchOptions(process.env, REPO_ROOT);
  } catch (error) {
    if (error instanceof BenchOptionsError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  const generator = options.tool === 'wrk' ? wrkGenerator(REPO_ROOT) : autocannonGenerator(REPO_ROOT);
  const notes: string[] = [];
  const conditionsAtStart = conditions(options, generator, notes);
  console.log(
    `make bench: ${countRuns(options)} runs, generator ${generator.describe(options.connections)}; ` +
      `${conditionsAtStart.cpuModel}, ${conditionsAtStart.cores} cores, Node ${process.version}`,
  );

  const setup = prepareGatehouse(REPO_ROOT);
  const ctx: RunContext = {
    options,
    generator,
    setup,
    progress: new Progress(countRuns(options)),
    credentials: null,
  };
  const rows: ResultRow[] = [];
  try {
    for (const workers of options.workerCounts) await runWorkerCount(ctx, workers, notes, rows);
  } finally {
    rmSync(setup.dataDir, { recursive: true, force: true });
  }

  const results: BenchResults = {
    conditions: { ...conditionsAtStart, setup: conditions(options, generator, notes).setup },
    rows,
    totalSec: round_((performance.now() - startedAt) / 1000, 1),
  };
  mkdirSync(options.resultsDir, { recursive: true });
  const base = join(options.resultsDir, `http-${options.tool}${options.nginx ? '-nginx' : ''}`);
  const markdown = renderMarkdown(results);
  writeAtomically(`${base}.json`, JSON.stringify(results, null, 2) + '\n');
  writeAtomically(`${base}.md`, markdown);
  writeAtomically(`${base}.svg`, renderSvg(results));
  console.log('\n' + markdown);
  console.log(`wrote ${base}.md, ${base}.json and ${base}.svg in ${results.totalSec} s`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`make bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
