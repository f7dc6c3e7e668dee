/**
 * Timing loop shared by the micro-benchmarks written for `make bench-micro` (router match, whole request):
 * each case runs for a fixed wall time per sample after a warm-up, samples are interleaved across cases (the
 * machine may be shared: drift then hits every case alike), and the median is kept.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';

export interface MicroCase {
  readonly name: string;
  /** One operation. Its result is kept in a sink so the JIT cannot drop the work. */
  readonly run: () => unknown;
}

export interface MicroResult {
  readonly name: string;
  /** Median nanoseconds per operation over the samples. */
  readonly nsPerOp: number;
  readonly opsPerSec: number;
  /** Spread of the samples: (max - min) / median. */
  readonly spread: number;
}

const BATCH = 256;
export let sink: unknown = null;

function sample(fn: () => unknown, seconds: number): number {
  const budget = seconds * 1e9;
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < budget) {
    for (let i = 0; i < BATCH; i++) sink = fn();
    ops += BATCH;
    elapsed = Number(process.hrtime.bigint() - start);
  }
  return elapsed / ops;
}

export function measureInterleaved(
  cases: readonly MicroCase[],
  options: { seconds: number; samples: number; warmupSeconds: number },
): MicroResult[] {
  for (const c of cases) sample(c.run, options.warmupSeconds);
  const samples = cases.map(() => [] as number[]);
  for (let s = 0; s < options.samples; s++)
    cases.forEach((c, i) => samples[i]!.push(sample(c.run, options.seconds)));
  return cases.map((c, i) => {
    const sorted = [...samples[i]!].sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1]!;
    return {
      name: c.name,
      nsPerOp: median,
      opsPerSec: 1e9 / median,
      spread: (sorted[sorted.length - 1]! - sorted[0]!) / median,
    };
  });
}

export function conditionsLine(): string {
  return (
    `conditions: ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}, ` +
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, flags: ${process.execArgv.join(' ') || 'none'}`
  );
}

export function markdownTable(
  results: readonly MicroResult[],
  notes: Readonly<Record<string, string>> = {},
): string {
  const lines = [
    '| case | ns/op | ops/s (one core) | spread | what it measures |',
    '| --- | ---: | ---: | ---: | --- |',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.name} | ${r.nsPerOp.toFixed(r.nsPerOp < 100 ? 1 : 0)} | ${Math.round(r.opsPerSec).toLocaleString('en-US')} | ${(r.spread * 100).toFixed(0)}% | ${notes[r.name] ?? ''} |`,
    );
  }
  return lines.join('\n');
}
