/**
 * The worker's side of the observability channel: answers the supervisor's requests for this worker's metrics
 * and status, sends GET /metrics scrapes to the supervisor (which aggregates every worker), and, on a graceful
 * stop, reports its final counts. Installed once per worker process by src/cluster/worker-main.ts.
 */
import type { App } from '../app/build-app.js';
import type { ObservabilityReport, ObservabilityRequest, WorkerStatus } from './ipc-messages.js';
import { isObservabilityRequest } from './ipc-messages.js';
import { processMetrics } from './process-metrics.js';

/**
 * How long a scrape waits for the supervisor's aggregate. The supervisor gives each worker
 * SUPERVISOR_COLLECT_TIMEOUT_MS (src/metrics/supervisor-observability.ts), so this only fires when the
 * supervisor itself is stuck or gone.
 */
const SCRAPE_TIMEOUT_MS = 5000;

class SupervisorLink {
  private nextRequestId = 1;
  private readonly scrapes = new Map<number, (text: string | null) => void>();

  constructor(private readonly app: App) {
    app.metrics?.useSource(() => this.scrape());
    process.on('message', this.onMessage);
  }

  private readonly onMessage = (message: unknown): void => {
    if (!isObservabilityRequest(message)) return;
    if (message.type === 'metrics-text') {
      this.scrapes.get(message.requestId)?.(message.text);
      return;
    }
    this.answer(message).catch(() => {
      // The channel closed while the snapshot was taken: the supervisor is gone and nobody is waiting.
    });
  };

  private async answer(request: Extract<ObservabilityRequest, { type: 'observe' }>): Promise<void> {
    const metrics =
      request.what === 'metrics' && this.app.metrics !== null ? await this.app.metrics.snapshot() : null;
    send({ type: 'observed', requestId: request.requestId, metrics, status: this.status() });
  }

  private scrape(): Promise<string | null> {
    if (!process.connected) return Promise.resolve(null);
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(null), SCRAPE_TIMEOUT_MS);
      timer.unref();
      const settle = (text: string | null): void => {
        clearTimeout(timer);
        this.scrapes.delete(requestId);
        resolve(text);
      };
      this.scrapes.set(requestId, settle);
      send({ type: 'scrape', requestId });
    });
  }

  private status(): WorkerStatus {
    const server = this.app.server;
    return {
      requestsServed: server.requestsServed,
      inFlight: server.requestsInFlight,
      rssBytes: process.memoryUsage.rss(),
    };
  }

  /**
   * The final report, sent once in-flight requests are done; resolves when it is handed to the channel. Never
   * rejects: a report that cannot be made must not keep the worker from exiting.
   */
  async farewell(): Promise<void> {
    if (!process.connected || process.send === undefined) return;
    try {
      const metrics = this.app.metrics === null ? null : await this.app.metrics.snapshot();
      const message: ObservabilityReport = { type: 'farewell', metrics, status: this.status() };
      await new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()));
    } catch {
      // The supervisor then keeps this worker's counts as of the last scrape.
    }
  }
}

function send(message: ObservabilityReport): void {
  if (process.connected) process.send?.(message);
}

let link: SupervisorLink | null = null;

/** Connects a worker's app to its supervisor; `workerId` names the process in the `worker` label. */
export function connectToSupervisor(app: App, workerId: number): void {
  if (app.metrics !== null) processMetrics().setWorker(String(workerId));
  link = new SupervisorLink(app);
}

/** Reports the final counts before a graceful exit (no-op when not connected). */
export function sayFarewell(): Promise<void> {
  return link === null ? Promise.resolve() : link.farewell();
}
