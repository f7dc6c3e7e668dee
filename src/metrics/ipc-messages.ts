/**
 * The observability messages on the supervisor ↔ worker channel (next to start/ready/stop in
 * src/cluster/messages.ts). The supervisor asks every worker for its metrics or status and waits a bounded
 * time; a worker that receives GET /metrics asks the supervisor for the aggregate; a worker that stops
 * gracefully reports its final counts so the cluster's totals do not fall back when it exits.
 */
import type { WorkerSnapshot } from './app-metrics.js';

export interface WorkerStatus {
  /** Requests this worker received since it started. */
  readonly requestsServed: number;
  readonly inFlight: number;
  readonly rssBytes: number;
}

/** Supervisor → worker. */
export type ObservabilityRequest =
  | { readonly type: 'observe'; readonly requestId: number; readonly what: 'metrics' | 'status' }
  /** The answer to a worker's `scrape`: the aggregate text, or null when it could not be made. */
  | { readonly type: 'metrics-text'; readonly requestId: number; readonly text: string | null };

/** Worker → supervisor. */
export type ObservabilityReport =
  | {
      readonly type: 'observed';
      readonly requestId: number;
      readonly metrics: WorkerSnapshot | null;
      readonly status: WorkerStatus;
    }
  | { readonly type: 'scrape'; readonly requestId: number }
  /** Sent after the worker drained on a graceful stop, just before it exits. */
  | { readonly type: 'farewell'; readonly metrics: WorkerSnapshot | null; readonly status: WorkerStatus };

const REQUEST_TYPES = new Set(['observe', 'metrics-text']);
const REPORT_TYPES = new Set(['observed', 'scrape', 'farewell']);

export function isObservabilityRequest(message: unknown): message is ObservabilityRequest {
  return (
    typeof message === 'object' &&
    message !== null &&
    REQUEST_TYPES.has((message as { type?: unknown }).type as string)
  );
}

export function isObservabilityReport(message: unknown): message is ObservabilityReport {
  return (
    typeof message === 'object' &&
    message !== null &&
    REPORT_TYPES.has((message as { type?: unknown }).type as string)
  );
}
