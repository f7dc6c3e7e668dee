/**
 * What the standalone comparison benchmarks (throttle-ratio, redis-ratio, metrics-cpu, metrics-overhead) share:
 * a Gatehouse cluster with one logged-in user, autocannon runs in a process of their own that report the CPU
 * time chosen processes spent meanwhile (from /proc), rounds that alternate their targets, the median, and the
 * words that name the machine. `make bench` (run-bench.ts) has its own, larger harness.
 */
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createUsers,
  REPO_ROOT,
  startGatehouse,
  type GatehouseProcess,
} from '../../test/support/gatehouse-process.js';
import { login } from './bench-setup.js';
import { runWithLines } from './child-lines.js';
import { cpuSeconds } from './process-stats.js';

const AUTOCANNON = join(REPO_ROOT, 'node_modules', 'autocannon', 'autocannon.js');

/** The command line's `--name N` options, all numbers, each with its default; any other option is refused. */
export function numberOptions<Name extends string>(
  defaults: Readonly<Record<Name, number>>,
): Record<Name, number> {
  const names = Object.keys(defaults) as Name[];
  const { values } = parseArgs({
    options: Object.fromEntries(
      names.map((name) => [name, { type: 'string', default: String(defaults[name]) } as const]),
    ),
  });
  const parsed = {} as Record<Name, number>;
  for (const name of names) {
    parsed[name] = Number(values[name]);
    if (!Number.isFinite(parsed[name])) throw new Error(`--${name} takes a number, not ${values[name]}`);
  }
  return parsed;
}

export interface BenchCluster {
  readonly server: GatehouseProcess;
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  /** An access token of the cluster's one user; it outlives any run (lifetime one hour). */
  readonly access: string;
  readonly workerPids: readonly number[];
}

/**
 * `gatehouse serve` (supervisor + `workers` worker processes, SQLite in a temporary data directory, the access
 * log off, cheap argon2) with `env` on top, and one user logged in over HTTP. `server.stop()` removes it all.
 */
export async function startLoggedInCluster(
  workers: number,
  env: Readonly<Record<string, string>>,
): Promise<BenchCluster> {
  const server = await startGatehouse({ workers, env: { GATEHOUSE_ACCESS_TOKEN_LIFETIME: '1h', ...env } });
  try {
    const [user] = await createUsers(server.dataDir, [{ username: 'bench' }]);
    const { access } = await login(server.url, user!.username, user!.password);
    return { server, base: server.url, access, workerPids: server.workerPids() };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

export interface LoadOptions<Group extends string> {
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token: string;
  readonly connections: number;
  readonly pipelining?: number;
  /** A run of fixed length, or of a fixed number of requests (autocannon -a). */
  readonly load: { readonly seconds: number } | { readonly requests: number };
  /** Groups of processes (e.g. the workers) whose CPU time during the run is reported, by name. */
  readonly cpuOf?: Readonly<Record<Group, readonly number[]>>;
}

export interface LoadRun<Group extends string> {
  readonly rps: number;
  readonly requests: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
  /** User + system CPU seconds each group of `cpuOf` used during the run. */
  readonly cpuSeconds: Readonly<Record<Group, number>>;
}

interface AutocannonJson {
  readonly requests: { readonly average: number; readonly total: number };
  readonly latency: { readonly p50: number; readonly p99: number };
  readonly non2xx: number;
  readonly errors: number;
}

/**
 * One autocannon run in a process of its own (so that the generator's CPU is not the caller's), read from its
 * JSON output. Throws if any answer was not a 2xx or any request failed: these benchmarks compare requests that
 * all succeed, and a refused one would measure something else.
 */
export async function runAutocannon<Group extends string = never>(
  options: LoadOptions<Group>,
): Promise<LoadRun<Group>> {
  const groups = Object.entries(options.cpuOf ?? {}) as [Group, readonly number[]][];
  const before = groups.map(([, pids]) => groupCpuSeconds(pids));
  const load =
    'seconds' in options.load ? ['-d', String(options.load.seconds)] : ['-a', String(options.load.requests)];
  const args = [
    AUTOCANNON,
    '-j',
    '-c',
    String(options.connections),
    '-p',
    String(options.pipelining ?? 1),
    ...load,
    '-H',
    `authorization=Bearer ${options.token}`,
    options.url,
  ];
  const jsonLines: string[] = [];
  await runWithLines(process.execPath, args, {}, (line) => {
    if (line.startsWith('{')) jsonLines.push(line);
  });
  const last = jsonLines.at(-1);
  if (last === undefined) throw new Error(`autocannon printed no result for ${options.url}`);
  const result = JSON.parse(last) as AutocannonJson;
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${options.url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return {
    rps: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    cpuSeconds: Object.fromEntries(
      groups.map(([name, pids], i) => [name, groupCpuSeconds(pids) - before[i]!]),
    ) as Record<Group, number>,
  };
}

function groupCpuSeconds(pids: readonly number[]): number {
  let sum = 0;
  for (const pid of pids) {
    const seconds = cpuSeconds(pid);
    if (seconds === null) throw new Error(`process ${pid} is gone: its CPU time cannot be read`);
    sum += seconds;
  }
  return sum;
}

/**
 * Measures every target `rounds` times, the order reversed every other round so that drift (heat, other load)
 * hits them alike. `afterRound` sees each round's results as they come.
 */
export async function alternatingRounds<Name extends string, Run>(
  names: readonly Name[],
  rounds: number,
  measure: (name: Name) => Promise<Run>,
  afterRound?: (round: number, runs: Readonly<Record<Name, Run>>) => void,
): Promise<Record<Name, Run[]>> {
  const results = Object.fromEntries(names.map((name) => [name, [] as Run[]])) as Record<Name, Run[]>;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    const runs = {} as Record<Name, Run>;
    for (const name of order) {
      runs[name] = await measure(name);
      results[name].push(runs[name]);
    }
    afterRound?.(round, runs);
  }
  return results;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The CPU model, the cores and Node's version, for the line that states a table's conditions. */
export function machine(): string {
  return `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}`;
}
