/**
 * What belongs to one process rather than to the service: prom-client's default metrics (CPU, memory, heap,
 * GC, file descriptors, and event-loop lag through monitorEventLoopDelay) and the requests this worker served.
 * They carry a `worker` label (the supervisor's worker id, or "supervisor"), so the aggregate over the cluster
 * keeps one series per process instead of averaging lag away. One registry per process: default metrics watch
 * the process, and registering them twice would fail.
 */
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricFamilyJson } from './slot-metrics.js';

/** The `worker` label of a process not started by the supervisor (embedded server, tests). */
export const STANDALONE_WORKER = 'main';

interface ServedCounter {
  readonly requestsServed: number;
}

export class ProcessMetrics {
  readonly registry = new Registry();
  private server: ServedCounter | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.registry.setDefaultLabels({ worker: STANDALONE_WORKER });
  }

  /** Names this process in the `worker` label. */
  setWorker(worker: string): void {
    this.registry.setDefaultLabels({ worker });
  }

  /** Reports `gatehouse_worker_requests_total` from the server's own count (the last server tracked wins). */
  trackServer(server: ServedCounter): void {
    const first = this.server === null;
    this.server = server;
    if (!first) return;
    const servedNow = (): number => this.server!.requestsServed;
    new Counter({
      name: 'gatehouse_worker_requests_total',
      help: 'Requests this worker process received, by worker: shows how connections spread over the workers.',
      registers: [this.registry],
      collect(this: Counter) {
        this.reset();
        this.inc(servedNow());
      },
    });
  }

  async snapshot(): Promise<MetricFamilyJson[]> {
    return (await this.registry.getMetricsAsJSON()) as unknown as MetricFamilyJson[];
  }
}

let instance: ProcessMetrics | null = null;

export function processMetrics(): ProcessMetrics {
  return (instance ??= new ProcessMetrics());
}
