/**
 * The supervisor's side of observability, behind a handful of one-line hooks in src/cluster/supervisor.ts:
 * it follows the workers' lives (starts, exits, restarts), answers workers' GET /metrics scrapes with the
 * aggregate over every worker (src/cluster/metrics-aggregation.ts), and serves `gatehouse status` over the
 * data directory's unix socket (src/cluster/status-server.ts).
 */
import type { ChildProcess } from 'node:child_process';
import type { Logger } from '../log/logger.js';
import { MetricsAggregator } from '../cluster/metrics-aggregation.js';
import {
  StatusServer,
  statusSocketPath,
  type StatusReport,
  type WorkerState,
} from '../cluster/status-server.js';
import type { WorkerSnapshot } from './app-metrics.js';
import {
  isObservabilityReport,
  type ObservabilityReport,
  type ObservabilityRequest,
  type WorkerStatus,
} from './ipc-messages.js';

/**
 * How long the supervisor waits for each worker's report. A worker answers between two requests, so only a
 * worker stuck in a long synchronous task misses it; its previous report is used instead.
 */
export const SUPERVISOR_COLLECT_TIMEOUT_MS = 2000;
/** How long an exited worker's last message may still be in the channel before its counts are folded. */
const FAREWELL_GRACE_MS = 1000;

/** What the supervisor knows about a worker process (its WorkerHandle fits this shape). */
export interface ObservedWorker {
  readonly id: number;
  readonly slot: number;
  readonly child: ChildProcess;
  /** Why it was started: first start, replacement of a dead worker, or reload. */
  readonly purpose: 'start' | 'respawn' | 'reload';
  readonly startedAt: number;
  /** starting (until the supervisor counts it as up) → serving → retiring. */
  readonly state: 'starting' | 'serving' | 'retiring';
}

export interface SupervisorObservabilityOptions {
  readonly logger: Logger;
  /** Worker slots configured. */
  readonly workers: number;
  /** "idle", or "reloading" while a SIGHUP replaces the workers. */
  readonly reloadState: () => string;
  readonly port: () => number;
}

const START_REASONS = { start: 'initial', respawn: 'restart', reload: 'reload' } as const;

type Observed = Extract<ObservabilityReport, { type: 'observed' }>;

export class SupervisorObservability {
  private readonly workers = new Map<number, ObservedWorker>();
  private readonly aggregator: MetricsAggregator;
  /** Workers that reported `ready` (they listen and answer the channel), including a reload's new ones. */
  private readonly listening = new Set<number>();
  private readonly lastSnapshot = new Map<number, WorkerSnapshot>();
  private readonly lastStatus = new Map<number, WorkerStatus>();
  private readonly farewells = new Map<number, Extract<ObservabilityReport, { type: 'farewell' }>>();
  /** Questions awaiting an answer: request id → the worker asked and how to settle. */
  private readonly pending = new Map<
    number,
    { readonly workerId: number; readonly settle: (reply: Observed | null) => void }
  >();
  private nextRequestId = 1;
  private requestsOfExitedWorkers = 0;
  private statusServer: StatusServer | null = null;
  private readonly logger: Logger;
  private readonly startedAt = Date.now();

  constructor(private readonly options: SupervisorObservabilityOptions) {
    this.logger = options.logger;
    this.aggregator = new MetricsAggregator(() => {
      const counts: Record<WorkerState, number> = { starting: 0, ready: 0, serving: 0, retiring: 0 };
      for (const worker of this.workers.values()) counts[this.stateOf(worker)]++;
      return counts;
    });
  }

  /** Opens the status socket in the data directory. */
  async start(dataDir: string): Promise<void> {
    try {
      this.statusServer = await StatusServer.start(
        statusSocketPath(dataDir),
        () => this.status(),
        this.logger,
      );
    } catch (error) {
      this.logger.warn(
        { err: error },
        '`gatehouse status` is unavailable: the status socket could not be opened',
      );
    }
  }

  async stop(): Promise<void> {
    await this.statusServer?.close();
    this.statusServer = null;
  }

  workerSpawned(worker: ObservedWorker): void {
    this.aggregator.workerStarted(START_REASONS[worker.purpose]);
    this.workers.set(worker.id, worker);
  }

  /** `planned`: the supervisor asked for the exit (stop, reload, retirement). */
  workerExited(worker: ObservedWorker, planned: boolean): void {
    if (!this.workers.delete(worker.id)) return;
    const wasListening = this.listening.delete(worker.id);
    // Nothing more will come from it: a scrape in progress need not wait for its timeout.
    for (const question of this.pending.values()) if (question.workerId === worker.id) question.settle(null);
    this.aggregator.workerExited(planned ? 'stopped' : wasListening ? 'crash' : 'start_failure');
    // The farewell may still be in the channel when the exit is seen: wait for the channel to close.
    const final = new Promise<WorkerSnapshot | null>((resolve) => {
      let settled = false;
      const settle = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const farewell = this.farewells.get(worker.id);
        const status = farewell?.status ?? this.lastStatus.get(worker.id);
        if (status !== undefined) this.requestsOfExitedWorkers += status.requestsServed;
        resolve(farewell?.metrics ?? this.lastSnapshot.get(worker.id) ?? null);
        this.farewells.delete(worker.id);
        this.lastSnapshot.delete(worker.id);
        this.lastStatus.delete(worker.id);
      };
      const timer = setTimeout(settle, worker.child.connected ? FAREWELL_GRACE_MS : 0);
      timer.unref();
      if (worker.child.connected) worker.child.once('disconnect', settle);
    });
    this.aggregator.retire(final.then((snapshot) => snapshot?.shared ?? null));
  }

  /** Handles the observability messages of a worker; false for every other message. */
  handleMessage(worker: ObservedWorker, message: unknown): boolean {
    if (!isObservabilityReport(message)) {
      if ((message as { type?: unknown } | null)?.type === 'ready') this.listening.add(worker.id);
      return false;
    }
    switch (message.type) {
      case 'observed':
        this.pending.get(message.requestId)?.settle(message);
        return true;
      case 'scrape':
        this.renderMetrics().then(
          (text) => reply(worker, { type: 'metrics-text', requestId: message.requestId, text }),
          (error: unknown) => {
            this.logger.error({ err: error }, 'metrics aggregation failed');
            reply(worker, { type: 'metrics-text', requestId: message.requestId, text: null });
          },
        );
        return true;
      case 'farewell':
        this.farewells.set(worker.id, message);
        return true;
    }
  }

  /** The Prometheus text over every live worker, the exited workers' carried totals and the supervisor. */
  async renderMetrics(): Promise<string> {
    const reports = await this.collect('metrics');
    const snapshots: WorkerSnapshot[] = [];
    for (const [id, report] of reports) {
      if (report !== null && report.metrics !== null) this.lastSnapshot.set(id, report.metrics);
      else if (report === null) this.aggregator.collectTimedOut();
      // A worker that exited while being asked is already counted in the carried totals.
      const snapshot = this.workers.has(id) ? this.lastSnapshot.get(id) : undefined;
      if (snapshot !== undefined) snapshots.push(snapshot);
    }
    return this.aggregator.render(snapshots);
  }

  async status(): Promise<StatusReport> {
    const reports = await this.collect('status');
    const now = Date.now();
    let live = 0;
    const rows = [...this.workers.values()]
      .sort((a, b) => a.slot - b.slot || a.id - b.id)
      .map((worker) => {
        const status = reports.get(worker.id)?.status ?? null;
        if (status !== null) live += status.requestsServed;
        return {
          id: worker.id,
          slot: worker.slot,
          pid: worker.child.pid ?? null,
          state: this.stateOf(worker),
          startedAt: new Date(worker.startedAt).toISOString(),
          uptimeSec: Math.floor((now - worker.startedAt) / 1000),
          requestsServed: status?.requestsServed ?? null,
          inFlight: status?.inFlight ?? null,
          rssBytes: status?.rssBytes ?? null,
        };
      });
    return {
      supervisor: {
        pid: process.pid,
        startedAt: new Date(this.startedAt).toISOString(),
        uptimeSec: Math.floor((now - this.startedAt) / 1000),
        reloadState: this.options.reloadState(),
        port: this.options.port(),
        workers: this.options.workers,
      },
      workers: rows,
      requestsServed: {
        live,
        exited: this.requestsOfExitedWorkers,
        total: live + this.requestsOfExitedWorkers,
      },
    };
  }

  /** A reload's new workers are `ready` (listening) before the supervisor counts them as `serving`. */
  private stateOf(worker: ObservedWorker): WorkerState {
    if (worker.state !== 'starting') return worker.state;
    return this.listening.has(worker.id) ? 'ready' : 'starting';
  }

  /** Asks every listening worker at once; a worker that does not answer in time maps to null. */
  private async collect(what: 'metrics' | 'status'): Promise<Map<number, Observed | null>> {
    const asked = [...this.workers.values()].filter((w) => this.listening.has(w.id) && w.child.connected);
    const answers = await Promise.all(asked.map((worker) => this.ask(worker, what)));
    const reports = new Map<number, Observed | null>();
    asked.forEach((worker, i) => {
      const answer = answers[i]!;
      if (answer !== null) this.lastStatus.set(worker.id, answer.status);
      reports.set(worker.id, answer);
    });
    return reports;
  }

  private ask(worker: ObservedWorker, what: 'metrics' | 'status'): Promise<Observed | null> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(null), SUPERVISOR_COLLECT_TIMEOUT_MS);
      timer.unref();
      const settle = (answer: Observed | null): void => {
        clearTimeout(timer);
        this.pending.delete(requestId);
        resolve(answer);
      };
      this.pending.set(requestId, { workerId: worker.id, settle });
      reply(worker, { type: 'observe', requestId, what }, () => settle(null));
    });
  }
}

/** Sends to a worker; `failed` runs when the channel has closed (the worker is exiting). */
function reply(worker: ObservedWorker, message: ObservabilityRequest, failed?: () => void): void {
  if (!worker.child.connected) return failed?.();
  worker.child.send(message, (error) => {
    if (error !== null && error !== undefined) failed?.();
  });
}
