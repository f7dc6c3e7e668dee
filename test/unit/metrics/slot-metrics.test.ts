import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { renderAggregate } from '../../../src/metrics/app-metrics.js';
import { SlotCounter, SlotHistogram, type MetricFamilyJson } from '../../../src/metrics/slot-metrics.js';
import { parsePrometheusText, valueOf } from './prometheus-text.js';

function counterIn(registry: Registry, reportZeros: boolean): SlotCounter {
  return new SlotCounter({
    name: 'test_things_total',
    help: 'Things.',
    labelNames: ['kind'],
    slots: [{ kind: 'a' }, { kind: 'b' }, { kind: 'c' }],
    reportZeros,
    registry,
  });
}

function histogramIn(registry: Registry): SlotHistogram {
  return new SlotHistogram({
    name: 'test_seconds',
    help: 'Durations.',
    buckets: [0.001, 0.01, 0.1],
    slots: [{ route: '/a/' }, { route: '/b/' }],
    registry,
  });
}

describe('SlotCounter', () => {
  it('reports each slot under its labels at scrape time', async () => {
    const registry = new Registry();
    const counter = counterIn(registry, false);
    counter.inc(0);
    counter.inc(0);
    counter.inc(2);
    const samples = parsePrometheusText(await registry.metrics());
    assert.equal(valueOf(samples, 'test_things_total', { kind: 'a' }), 2);
    assert.equal(valueOf(samples, 'test_things_total', { kind: 'c' }), 1);
    assert.equal(
      samples.filter((s) => s.labels['kind'] === 'b').length,
      0,
      'sparse tables leave uncounted slots out',
    );
    counter.inc(0);
    const again = parsePrometheusText(await registry.metrics());
    assert.equal(
      valueOf(again, 'test_things_total', { kind: 'a' }),
      3,
      'a second scrape does not double the counts',
    );
  });

  it('reports uncounted slots as 0 when asked to', async () => {
    const registry = new Registry();
    counterIn(registry, true);
    const samples = parsePrometheusText(await registry.metrics());
    assert.deepEqual(
      samples.map((s) => [s.labels['kind'], s.value]),
      [
        ['a', 0],
        ['b', 0],
        ['c', 0],
      ],
    );
  });
});

describe('SlotHistogram', () => {
  it('reports cumulative buckets, the sum and the count per slot, and leaves unobserved slots out', async () => {
    const registry = new Registry();
    const histogram = histogramIn(registry);
    for (const seconds of [0.0005, 0.001, 0.005, 0.05, 3]) histogram.observe(0, seconds);
    const samples = parsePrometheusText(await registry.metrics());
    const bucket = (le: string) => valueOf(samples, 'test_seconds_bucket', { route: '/a/', le });
    assert.equal(bucket('0.001'), 2, 'a value equal to a bound falls in that bucket (le)');
    assert.equal(bucket('0.01'), 3);
    assert.equal(bucket('0.1'), 4);
    assert.equal(bucket('+Inf'), 5);
    assert.equal(valueOf(samples, 'test_seconds_count', { route: '/a/' }), 5);
    assert.ok(Math.abs(valueOf(samples, 'test_seconds_sum', { route: '/a/' }) - 3.0565) < 1e-9);
    assert.equal(samples.filter((s) => s.labels['route'] === '/b/').length, 0);
    assert.match(await registry.metrics(), /# TYPE test_seconds histogram/);
  });

  it('refuses bounds that do not ascend', () => {
    assert.throws(
      () =>
        new SlotHistogram({
          name: 'bad_seconds',
          help: 'x',
          buckets: [0.1, 0.01],
          slots: [],
          registry: new Registry(),
        }),
      /ascend/,
    );
  });
});

describe('aggregation over workers', () => {
  it('sums counters and histograms of several registries, as the supervisor does', async () => {
    const snapshots: MetricFamilyJson[][] = [];
    for (let worker = 0; worker < 3; worker++) {
      const registry = new Registry();
      const counter = counterIn(registry, true);
      const histogram = histogramIn(registry);
      for (let i = 0; i <= worker; i++) counter.inc(1);
      histogram.observe(1, 0.002);
      snapshots.push((await registry.getMetricsAsJSON()) as unknown as MetricFamilyJson[]);
    }
    const samples = parsePrometheusText(await renderAggregate(snapshots));
    assert.equal(valueOf(samples, 'test_things_total', { kind: 'b' }), 1 + 2 + 3);
    assert.equal(valueOf(samples, 'test_things_total', { kind: 'a' }), 0);
    assert.equal(valueOf(samples, 'test_seconds_bucket', { route: '/b/', le: '0.01' }), 3);
    assert.equal(valueOf(samples, 'test_seconds_bucket', { route: '/b/', le: '0.001' }), 0);
    assert.equal(valueOf(samples, 'test_seconds_count', { route: '/b/' }), 3);
  });
});
