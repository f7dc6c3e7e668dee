/**
 * The knobs of `make bench`, read from the environment once (the only place the harness reads process.env).
 * Every problem is reported at once, before anything starts.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { SCENARIO_NAMES, type ScenarioName } from './scenarios.js';
import { SYSTEM_NAMES, type SystemName } from './systems.js';

export type ToolName = 'autocannon' | 'wrk';

export interface BenchOptions {
  /** Seconds of the measured run of each scenario (BENCH_DURATION). */
  readonly durationSec: number;
  /** Seconds of the discarded warm-up before it (BENCH_WARMUP; 0 skips it). */
  readonly warmupSec: number;
  /** Concurrent keep-alive connections of the generator (BENCH_CONNECTIONS). */
  readonly connections: number;
  /**
   * Measured runs per scenario and system (BENCH_ROUNDS): rounds go round-robin over the systems and the median
   * round is reported, which damps other load on a shared machine. The warm-up runs once, before round 1.
   */
  readonly rounds: number;
  /** Connections of the second generator that floods POST /api/token/ (BENCH_FLOOD_CONNECTIONS). */
  readonly floodConnections: number;
  readonly scenarios: readonly ScenarioName[];
  readonly systems: readonly SystemName[];
  /** Worker process counts to run every scenario with (BENCH_WORKERS, default "1,<cores>"). */
  readonly workerCounts: readonly number[];
  readonly tool: ToolName;
  /** Also run Gatehouse behind a temporary Nginx (BENCH_NGINX=1). */
  readonly nginx: boolean;
  /** Where the table, JSON and SVG go (BENCH_RESULTS_DIR, default bench/results). */
  readonly resultsDir: string;
}

export class BenchOptionsError extends Error {}

const DEFAULTS = { durationSec: 5, warmupSec: 2, connections: 50, floodConnections: 8 };

export function readBenchOptions(env: NodeJS.ProcessEnv, repoRoot: string): BenchOptions {
  const problems: string[] = [];
  const number = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      problems.push(`${name}=${raw}: expected a number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  const list = <T extends string>(name: string, known: readonly T[], fallback: readonly T[]): T[] => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return [...fallback];
    const picked = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    const unknown = picked.filter((s) => !(known as readonly string[]).includes(s));
    if (unknown.length > 0)
      problems.push(`${name}: unknown ${unknown.join(', ')} (known: ${known.join(', ')})`);
    return picked.filter((s): s is T => (known as readonly string[]).includes(s));
  };

  const cores = availableParallelism();
  const workersRaw = env['BENCH_WORKERS'];
  let workerCounts = cores > 1 ? [1, cores] : [1];
  if (workersRaw !== undefined && workersRaw.trim() !== '') {
    workerCounts = workersRaw.split(',').map((s) => Number(s.trim()));
    if (workerCounts.some((n) => !Number.isInteger(n) || n < 1 || n > 256)) {
      problems.push(`BENCH_WORKERS=${workersRaw}: expected a comma list of worker counts, e.g. 1,${cores}`);
      workerCounts = [1];
    }
  }

  const tool = (env['BENCH_TOOL'] ?? 'autocannon').trim() || 'autocannon';
  if (tool !== 'autocannon' && tool !== 'wrk')
    problems.push(`BENCH_TOOL=${tool}: expected autocannon or wrk`);

  const options: BenchOptions = {
    durationSec: number('BENCH_DURATION', DEFAULTS.durationSec, 1, 3600),
    warmupSec: number('BENCH_WARMUP', DEFAULTS.warmupSec, 0, 3600),
    connections: Math.round(number('BENCH_CONNECTIONS', DEFAULTS.connections, 1, 10_000)),
    rounds: Math.round(number('BENCH_ROUNDS', 1, 1, 20)),
    floodConnections: Math.round(number('BENCH_FLOOD_CONNECTIONS', DEFAULTS.floodConnections, 1, 1000)),
    scenarios: list('BENCH_SCENARIOS', SCENARIO_NAMES, SCENARIO_NAMES),
    systems: list('BENCH_SYSTEMS', SYSTEM_NAMES, SYSTEM_NAMES),
    workerCounts: [...new Set(workerCounts)],
    tool: tool === 'wrk' ? 'wrk' : 'autocannon',
    nginx: ['1', 'true', 'yes'].includes((env['BENCH_NGINX'] ?? '').trim().toLowerCase()),
    resultsDir: env['BENCH_RESULTS_DIR']?.trim() || join(repoRoot, 'bench', 'results'),
  };
  if (options.tool === 'wrk' && !Number.isInteger(options.durationSec))
    problems.push('BENCH_DURATION: wrk takes whole seconds');
  if (options.tool === 'wrk' && !Number.isInteger(options.warmupSec))
    problems.push('BENCH_WARMUP: wrk takes whole seconds');
  if (options.scenarios.length === 0) problems.push('BENCH_SCENARIOS selects no scenario');
  if (!options.systems.includes('gatehouse'))
    problems.push('BENCH_SYSTEMS must include gatehouse (it mints the tokens)');
  if (problems.length > 0)
    throw new BenchOptionsError(`bad benchmark settings:\n  - ${problems.join('\n  - ')}`);
  return options;
}
