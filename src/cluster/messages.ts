/** The IPC protocol between the supervisor and its worker processes (Node's fork channel, JSON messages). */
import type { Config } from '../config/config-types.js';
import type { ObservabilityReport, ObservabilityRequest } from '../metrics/ipc-messages.js';
import type { SharedStateDescriptor } from './shared-state.js';

export type SupervisorMessage =
  | {
      readonly type: 'start';
      readonly workerId: number;
      readonly config: Config;
      readonly port: number;
      readonly shared: SharedStateDescriptor;
    }
  /** Graceful stop: close the listening socket, finish in-flight requests, close connections within graceMs. */
  | { readonly type: 'stop'; readonly graceMs: number; readonly drainMs: number }
  /** Metrics and status requests (src/metrics/ipc-messages.ts). */
  | ObservabilityRequest;

export type WorkerMessage =
  /** `codeRoot`: the release the worker runs (after an upgrade, a reload starts workers of the new one). */
  | { readonly type: 'ready'; readonly port: number; readonly codeRoot?: string }
  /** Start-up failed for a reason a restart will not fix (bad key, port in use): the supervisor gives up. */
  | { readonly type: 'fatal'; readonly message: string }
  /** Metrics and status reports (src/metrics/ipc-messages.ts). */
  | ObservabilityReport;

export function isSupervisorMessage(value: unknown): value is SupervisorMessage {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type !== undefined;
}
