/**
 * Metrics whose every series is known when the worker starts (route × method × status, reason of a failure,
 * operation of a store), counted in preallocated slots of a Float64Array. Counting is one array increment on
 * the request path; the numbers become prom-client series only when Prometheus scrapes, in the metric's
 * collect() (counters) or get() (histograms). prom-client's own `labels().inc()` hashes a label object per call,
 * which is what the hot path must not pay.
 */
import { Counter, type Registry } from 'prom-client';

export type LabelSet = Readonly<Record<string, string>>;

/** A metric family as Registry.getMetricsAsJSON() reports it (prom-client does not export this type). */
export interface MetricFamilyJson {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator: string;
  readonly values: readonly MetricValueJson[];
}

export interface MetricValueJson {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly metricName?: string;
}

export interface SlotCounterOptions {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** The labels of each slot; the number of slots is its length. */
  readonly slots: readonly LabelSet[];
  /**
   * Report slots that were never counted as 0. Right for small fixed sets (failure reasons), so that rate()
   * sees the first increment; wrong for large sparse tables (route × method × status).
   */
  readonly reportZeros: boolean;
  readonly registry: Registry;
}

/** A counter over fixed label sets: `counts[slot]++` on the request path, folded into a prom-client Counter. */
export class SlotCounter {
  readonly counts: Float64Array;

  constructor(options: SlotCounterOptions) {
    const counts = new Float64Array(options.slots.length);
    const { slots, reportZeros } = options;
    this.counts = counts;
    new Counter({
      name: options.name,
      help: options.help,
      labelNames: options.labelNames,
      registers: [options.registry],
      collect(this: Counter) {
        this.reset();
        for (let i = 0; i < counts.length; i++) {
          if (counts[i] !== 0 || reportZeros) this.inc(slots[i]!, counts[i]!);
        }
      },
    });
  }

  inc(slot: number): void {
    this.counts[slot]!++;
  }
}

export interface SlotHistogramOptions {
  readonly name: string;
  readonly help: string;
  /** Upper bounds in seconds, ascending (the +Inf bucket is implicit). */
  readonly buckets: readonly number[];
  readonly slots: readonly LabelSet[];
  readonly registry: Registry;
}

/**
 * A histogram over fixed label sets. Observations land in a per-slot, non-cumulative bucket row; get() makes the
 * rows cumulative and reports them in prom-client's shape (`_bucket` with `le`, `_sum`, `_count`), so the
 * registry prints it and AggregatorRegistry sums it across workers like any prom-client Histogram.
 * Slots never observed are left out of the scrape.
 */
export class SlotHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: Float64Array;
  private readonly slots: readonly LabelSet[];
  /** slots × (buckets + 1): the last column counts observations above the largest bound. */
  private readonly buckets: Float64Array;
  private readonly sums: Float64Array;
  private readonly width: number;
  /** The `le` label of each bucket, formatted once. */
  private readonly les: readonly string[];

  constructor(options: SlotHistogramOptions) {
    for (let i = 1; i < options.buckets.length; i++) {
      if (!(options.buckets[i]! > options.buckets[i - 1]!))
        throw new Error(`${options.name}: buckets must ascend`);
    }
    this.name = options.name;
    this.help = options.help;
    this.bounds = Float64Array.from(options.buckets);
    this.slots = options.slots;
    this.width = options.buckets.length + 1;
    this.buckets = new Float64Array(options.slots.length * this.width);
    this.sums = new Float64Array(options.slots.length);
    this.les = [...options.buckets.map((b) => String(b)), '+Inf'];
    // Registry.registerMetric only needs `name`, `get()` and `reset()`; the typings ask for a prom-client class.
    options.registry.registerMetric(this as unknown as Counter);
  }

  observe(slot: number, seconds: number): void {
    const bounds = this.bounds;
    let b = 0;
    // Most answers fall in the first buckets, so a linear scan beats a binary search here.
    while (b < bounds.length && seconds > bounds[b]!) b++;
    this.buckets[slot * this.width + b]!++;
    this.sums[slot]! += seconds;
  }

  get(): MetricFamilyJson {
    const values: MetricValueJson[] = [];
    const bucketName = this.name + '_bucket';
    for (let slot = 0; slot < this.slots.length; slot++) {
      const row = slot * this.width;
      let count = 0;
      for (let b = 0; b < this.width; b++) count += this.buckets[row + b]!;
      if (count === 0) continue;
      const labels = this.slots[slot]!;
      let cumulative = 0;
      for (let b = 0; b < this.width; b++) {
        cumulative += this.buckets[row + b]!;
        values.push({ value: cumulative, labels: { ...labels, le: this.les[b]! }, metricName: bucketName });
      }
      values.push({ value: this.sums[slot]!, labels, metricName: this.name + '_sum' });
      values.push({ value: count, labels, metricName: this.name + '_count' });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.buckets.fill(0);
    this.sums.fill(0);
  }
}

/** Histogram bounds (seconds) for answers that usually take microseconds: 50 µs … 5 s. */
export const REQUEST_SECONDS_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** Database statements: an indexed SQLite read takes a few microseconds; a network round trip milliseconds. */
export const DATABASE_SECONDS_BUCKETS: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

/** Password hashing: argon2id is tuned to tens of milliseconds; Django's PBKDF2 can take longer. */
export const PASSWORD_SECONDS_BUCKETS: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
