/**
 * The cluster's /metrics: every worker keeps its own prom-client registry; at scrape time the supervisor
 * collects them (see src/metrics/supervisor-observability.ts), adds its own series (worker starts, exits and
 * restarts, its process metrics), and merges everything with prom-client's AggregatorRegistry.aggregate():
 * counters and histograms are summed, per-process series stay apart by their `worker` label.
 *
 * A worker's counts must outlive it, or the cluster's totals would fall each time a worker is replaced and
 * Prometheus would read the fall as a counter reset (a false spike in rate()). So when a worker exits, its
 * service-wide series (its farewell report after a graceful stop, else its last scrape) are folded into a
 * carried total that every later scrape adds. A crashed worker's counts since the last scrape are lost.
 */
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import { renderAggregate, type WorkerSnapshot } from '../metrics/app-metrics.js';
import { processMetrics } from '../metrics/process-metrics.js';
import type { MetricFamilyJson } from '../metrics/slot-metrics.js';
import type { WorkerState } from './status-server.js';

export type WorkerStartReason = 'initial' | 'restart' | 'reload';

export type WorkerExitReason = 'crash' | 'start_failure' | 'stopped';

export type WorkerCounts = Readonly<Record<WorkerState, number>>;

export class MetricsAggregator {
  private readonly registry = new Registry();
  private readonly starts: Counter<'reason'>;
  private readonly exits: Counter<'reason'>;
  private readonly restarts: Counter;
  private readonly collectTimeouts: Counter;
  /** The summed series of every worker that has exited. */
  private retired: readonly MetricFamilyJson[] = [];
  /** Folds run one after the other, and a scrape waits for those pending. */
  private folding: Promise<void> = Promise.resolve();

  constructor(workerCounts: () => WorkerCounts) {
    processMetrics().setWorker('supervisor');
    const registers = [this.registry];
    this.starts = new Counter({
      name: 'gatehouse_worker_starts_total',
      help: 'Worker processes started, by reason (initial, restart after a crash, reload).',
      labelNames: ['reason'],
      registers,
    });
    this.exits = new Counter({
      name: 'gatehouse_worker_exits_total',
      help: 'Worker processes that exited, by reason (crash; start_failure: exited before it listened; stopped: asked to).',
      labelNames: ['reason'],
      registers,
    });
    this.restarts = new Counter({
      name: 'gatehouse_worker_restarts_total',
      help: 'Workers started to replace one that crashed.',
      registers,
    });
    this.collectTimeouts = new Counter({
      name: 'gatehouse_metrics_collect_timeouts_total',
      help: 'Scrapes in which a worker did not report in time (its previous report was used).',
      registers,
    });
    for (const reason of ['initial', 'restart', 'reload']) this.starts.inc({ reason }, 0);
    for (const reason of ['crash', 'start_failure', 'stopped']) this.exits.inc({ reason }, 0);
    new Gauge({
      name: 'gatehouse_workers',
      help: 'Worker processes alive, by state.',
      labelNames: ['state'],
      registers,
      collect(this: Gauge<'state'>) {
        for (const [state, count] of Object.entries(workerCounts())) this.set({ state }, count);
      },
    });
  }

  workerStarted(reason: WorkerStartReason): void {
    this.starts.inc({ reason });
    if (reason === 'restart') this.restarts.inc();
  }

  workerExited(reason: WorkerExitReason): void {
    this.exits.inc({ reason });
  }

  collectTimedOut(): void {
    this.collectTimeouts.inc();
  }

  /** Adds an exited worker's service-wide series (resolved once its last report is known) to the carried total. */
  retire(final: Promise<readonly MetricFamilyJson[] | null>): void {
    this.folding = this.folding.then(async () => {
      const shared = await final;
      if (shared === null || shared.length === 0) return;
      const merged = AggregatorRegistry.aggregate([this.retired, shared] as unknown as object[]);
      this.retired = (await merged.getMetricsAsJSON()) as unknown as MetricFamilyJson[];
    });
  }

  /** The Prometheus text over the live workers' snapshots, the exited workers' totals and the supervisor. */
  async render(live: readonly WorkerSnapshot[]): Promise<string> {
    await this.folding;
    const own = (await this.registry.getMetricsAsJSON()) as unknown as MetricFamilyJson[];
    const supervisorProcess = await processMetrics().snapshot();
    const parts: (readonly MetricFamilyJson[])[] = [this.retired];
    for (const snapshot of live) parts.push(snapshot.shared, snapshot.process);
    parts.push(own, supervisorProcess);
    return renderAggregate(parts);
  }
}
