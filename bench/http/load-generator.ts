/**
 * What the harness asks of a load generator: run one scenario against a base URL, a discarded warm-up first,
 * then the measured run, in a process of its own (so its CPU use can be read and it does not share the
 * harness's event loop). Implemented by autocannon (default) and wrk (BENCH_TOOL=wrk).
 */
import type { ToolName } from './bench-options.js';
import type { ScenarioRequest } from './scenarios.js';

export interface LoadJob {
  /** e.g. http://127.0.0.1:8123 */
  readonly baseUrl: string;
  readonly request: ScenarioRequest;
  readonly connections: number;
  readonly warmupSec: number;
  readonly durationSec: number;
}

export interface LoadResult {
  readonly tool: ToolName;
  /** Responses received during the measured run. */
  readonly requests: number;
  readonly durationSec: number;
  readonly requestsPerSec: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  /** Answers whose status was not 2xx (for the throttled scenario: the 429s it is meant to produce). */
  readonly non2xx: number;
  /** CPU seconds (user + system) the generator process used during the measured run. */
  readonly generatorCpuSec: number;
}

export interface LoadGenerator {
  readonly tool: ToolName;
  /** Name, version and flags, for the report's conditions. */
  describe(connections: number): string;
  /** Runs the warm-up and the measured run; `onMeasureStart` fires when the measured run begins. */
  run(job: LoadJob, onMeasureStart?: () => void): Promise<LoadResult>;
}

export const GENERATOR_TIMEOUT_SEC = 10;
