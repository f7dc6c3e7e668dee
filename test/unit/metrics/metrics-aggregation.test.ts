import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Gauge, Registry } from 'prom-client';
import { MetricsAggregator } from '../../../src/cluster/metrics-aggregation.js';
import type { WorkerSnapshot } from '../../../src/metrics/app-metrics.js';
import { SlotCounter, type MetricFamilyJson } from '../../../src/metrics/slot-metrics.js';
import { parsePrometheusText, valueOf } from './prometheus-text.js';

/** A worker's report: `served` requests in the shared series, and a per-process gauge labelled with its id. */
async function workerSnapshot(worker: string, served: number): Promise<WorkerSnapshot> {
  const shared = new Registry();
  const counter = new SlotCounter({
    name: 'test_requests_total',
    help: 'x',
    labelNames: ['route'],
    slots: [{ route: '/a/' }],
    reportZeros: true,
    registry: shared,
  });
  for (let i = 0; i < served; i++) counter.inc(0);
  const own = new Registry();
  own.setDefaultLabels({ worker });
  new Gauge({ name: 'test_rss_bytes', help: 'x', registers: [own] }).set(1000);
  const json = async (r: Registry) => (await r.getMetricsAsJSON()) as unknown as MetricFamilyJson[];
  return { shared: await json(shared), process: await json(own) };
}

const counts = { starting: 0, ready: 0, serving: 2, retiring: 0 };

describe('MetricsAggregator', () => {
  it('sums the live workers and keeps per-process series apart', async () => {
    const aggregator = new MetricsAggregator(() => counts);
    const text = await aggregator.render([await workerSnapshot('1', 3), await workerSnapshot('2', 4)]);
    const samples = parsePrometheusText(text);
    assert.equal(valueOf(samples, 'test_requests_total', { route: '/a/' }), 7);
    assert.equal(valueOf(samples, 'test_rss_bytes', { worker: '1' }), 1000);
    assert.equal(valueOf(samples, 'test_rss_bytes', { worker: '2' }), 1000);
    assert.equal(valueOf(samples, 'gatehouse_workers', { state: 'serving' }), 2);
  });

  it("keeps an exited worker's counts in the totals, without its per-process series", async () => {
    const aggregator = new MetricsAggregator(() => counts);
    const gone = await workerSnapshot('1', 5);
    aggregator.workerExited('crash');
    aggregator.retire(Promise.resolve(gone.shared));
    const samples = parsePrometheusText(await aggregator.render([await workerSnapshot('3', 2)]));
    assert.equal(valueOf(samples, 'test_requests_total', { route: '/a/' }), 7);
    assert.equal(valueOf(samples, 'test_rss_bytes', { worker: '1' }), 0, 'the dead process has no series');
    assert.equal(valueOf(samples, 'gatehouse_worker_exits_total', { reason: 'crash' }), 1);

    aggregator.retire(Promise.resolve((await workerSnapshot('3', 2)).shared));
    aggregator.retire(Promise.resolve(null));
    const later = parsePrometheusText(await aggregator.render([]));
    assert.equal(valueOf(later, 'test_requests_total', { route: '/a/' }), 7, 'folds accumulate');
  });

  it('counts worker starts by reason, restarts separately', async () => {
    const aggregator = new MetricsAggregator(() => counts);
    aggregator.workerStarted('initial');
    aggregator.workerStarted('initial');
    aggregator.workerStarted('restart');
    aggregator.workerStarted('reload');
    const samples = parsePrometheusText(await aggregator.render([]));
    assert.equal(valueOf(samples, 'gatehouse_worker_starts_total', { reason: 'initial' }), 2);
    assert.equal(valueOf(samples, 'gatehouse_worker_starts_total', { reason: 'reload' }), 1);
    assert.equal(valueOf(samples, 'gatehouse_worker_restarts_total'), 1);
  });
});
