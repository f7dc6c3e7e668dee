/**
 * One worker's metrics: the service-wide series (requests, failures, token operations, database and password
 * timings) in a registry whose values are summed over every worker, plus the process's own series (see
 * process-metrics.ts). GET /metrics renders them through a MetricsSource: this worker alone when it runs by
 * itself, or the supervisor's aggregate over the whole cluster (src/metrics/worker-link.ts).
 */
import { AggregatorRegistry, Registry } from 'prom-client';
import type { PasswordHasher } from '../auth/passwords/index.js';
import type { RequestObserver } from '../http/server.js';
import type { CompiledRoute } from '../pipeline/compile-routes.js';
import type { Router } from '../router/router.js';
import type { Stores } from '../store/types.js';
import { instrumentPasswords } from './instrument-passwords.js';
import { instrumentStores } from './instrument-stores.js';
import { processMetrics } from './process-metrics.js';
import { RequestMetrics } from './request-metrics.js';
import type { MetricFamilyJson } from './slot-metrics.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** What a worker reports to the supervisor. */
export interface WorkerSnapshot {
  /** Series summed over every worker (no `worker` label); kept after the worker exits. */
  readonly shared: MetricFamilyJson[];
  /** This process's own series (labelled `worker`); dropped when it exits. */
  readonly process: MetricFamilyJson[];
}

/** Produces the text of GET /metrics; null when it cannot (the supervisor did not answer). */
export type MetricsSource = () => Promise<string | null>;

/** Merges snapshots with prom-client's cluster aggregation (counters and histograms summed) and renders the text. */
export function renderAggregate(snapshots: readonly (readonly MetricFamilyJson[])[]): Promise<string> {
  return AggregatorRegistry.aggregate(snapshots as unknown as object[]).metrics();
}

export interface RequestMetricsSettings {
  readonly rotateRefreshTokens: boolean;
  readonly leewaySec: number;
}

export class AppMetrics {
  readonly shared = new Registry();
  private source: MetricsSource = async () => {
    const own = await this.snapshot();
    return renderAggregate([own.shared, own.process]);
  };

  instrumentStores(stores: Stores): Stores {
    return instrumentStores(stores, this.shared);
  }

  instrumentPasswords(hasher: PasswordHasher): PasswordHasher {
    return instrumentPasswords(hasher, this.shared);
  }

  /** The request observer, built from the compiled route table (one slot per route pattern). */
  observeRequests(
    router: Router<CompiledRoute>,
    settings: RequestMetricsSettings,
    extraRoutes: readonly CompiledRoute[] = [],
  ): RequestObserver {
    return new RequestMetrics({ registry: this.shared, router, extraRoutes, ...settings }).observe;
  }

  trackServer(server: { readonly requestsServed: number }): void {
    processMetrics().trackServer(server);
  }

  async snapshot(): Promise<WorkerSnapshot> {
    const shared = (await this.shared.getMetricsAsJSON()) as unknown as MetricFamilyJson[];
    return { shared, process: await processMetrics().snapshot() };
  }

  /** Where GET /metrics gets its text from (the cluster link replaces the standalone default). */
  useSource(source: MetricsSource): void {
    this.source = source;
  }

  render(): Promise<string | null> {
    return this.source();
  }
}
