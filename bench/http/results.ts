/** The data of one `make bench` run: conditions and one row per (scenario, workers, system). Saved as JSON. */
import type { ToolName } from './bench-options.js';
import type { ScenarioName } from './scenarios.js';
import type { SystemLabel } from './systems.js';

export interface FloodFigures {
  readonly requestsPerSec: number;
  readonly latencyP99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly generatorCpuPercent: number;
}

export interface ResultRow {
  readonly scenario: ScenarioName;
  readonly request: string;
  readonly system: SystemLabel;
  readonly workers: number;
  readonly requests: number;
  readonly durationSec: number;
  readonly requestsPerSec: number;
  /** req/s of every round (BENCH_ROUNDS); the row's figures are those of the median round. */
  readonly roundsRequestsPerSec: readonly number[];
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  readonly errors: number;
  readonly non2xx: number;
  /** The largest worker's peak VmRSS during the measured run. */
  readonly peakRssPerWorkerMiB: number;
  readonly workerPeakRssMiB: readonly number[];
  /** VmHWM of each worker at the end of the run (its whole life so far). */
  readonly workerLifetimePeakRssMiB: readonly number[];
  /** CPU time of all workers during the measured run, in % of one core. */
  readonly serverCpuPercent: number;
  /**
   * Workers' CPU time per answered request, in µs. Unlike req/s it barely moves when other processes take
   * cores away, so on a shared machine it is the steadier measure of how much work a request costs.
   */
  readonly serverCpuMicrosPerRequest: number;
  /** CPU time of the generator process during the measured run, in % of one core. */
  readonly generatorCpuPercent: number;
  /** The login flood that ran alongside (protected-flood only). */
  readonly flood: FloodFigures | null;
  /** The machine's 1-minute load average when the run ended (other processes included). */
  readonly loadAverage1m: number;
}

export interface Conditions {
  readonly date: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly node: string;
  readonly kernel: string;
  readonly tool: ToolName;
  readonly generator: string;
  readonly warmupSec: number;
  readonly durationSec: number;
  readonly connections: number;
  readonly rounds: number;
  readonly floodConnections: number;
  readonly loadAverageAtStart: readonly number[];
  /** How each system was set up, one line each. */
  readonly setup: readonly string[];
}

export interface BenchResults {
  readonly conditions: Conditions;
  readonly rows: readonly ResultRow[];
  /** Wall time of the whole run, setup included. */
  readonly totalSec: number;
}

/** Row of the same scenario and worker count for another system. */
export function peerRow(
  rows: readonly ResultRow[],
  row: ResultRow,
  system: SystemLabel,
): ResultRow | undefined {
  return rows.find((r) => r.scenario === row.scenario && r.workers === row.workers && r.system === system);
}
