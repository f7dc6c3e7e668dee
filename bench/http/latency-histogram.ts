/**
 * Response times in 10 µs buckets up to a ceiling, for percentiles with sub-millisecond resolution:
 * autocannon's own histogram keeps whole milliseconds, which reads 0 or 1 ms for most answers of a fast server.
 * Recording is one array increment, cheap enough to run inside the generator process.
 */
const BUCKET_MS = 0.01;

export class LatencyHistogram {
  private readonly counts: Uint32Array;
  private total = 0;
  private maxMs = 0;

  constructor(ceilingMs: number) {
    this.counts = new Uint32Array(Math.ceil(ceilingMs / BUCKET_MS) + 1);
  }

  record(ms: number): void {
    const last = this.counts.length - 1;
    const bucket = Math.round(ms / BUCKET_MS);
    this.counts[bucket < last ? bucket : last]!++;
    this.total++;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.maxMs;
  }

  /** The smallest recorded time that at least `p`% of the samples do not exceed (0 when empty). */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return i * BUCKET_MS;
    }
    return this.maxMs;
  }
}
