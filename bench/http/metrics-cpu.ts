/**
 * What counting for /metrics costs, in CPU time the worker processes spend per request on GET /api/hello/
 * (JWT + user + IsAuthenticated + the user throttle): two 2-worker clusters, one with GATEHOUSE_METRICS=false
 * and one with true, measured in alternating runs of a fixed number of requests. Less sensitive to other load on
 * the machine than req/s (metrics-overhead.ts); capacity on a saturated core is its inverse.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/http/metrics-cpu.js [--pairs 6] [--requests 200000]
 *
 * autocannon (-c 50) runs in its own process. Prints one line per pair and the medians. Not a pass/fail test.
 */
import {
  alternatingRounds,
  machine,
  median,
  numberOptions,
  runAutocannon,
  startLoggedInCluster,
  type BenchCluster,
} from './ratio-harness.js';

const { pairs, requests } = numberOptions({ pairs: 6, requests: 200_000 });

interface CpuPerRequest {
  readonly us: number;
  readonly rps: number;
}

async function measure(cluster: BenchCluster, amount: number): Promise<CpuPerRequest> {
  const run = await runAutocannon({
    url: `${cluster.base}/api/hello/`,
    token: cluster.access,
    connections: 50,
    load: { requests: amount },
    cpuOf: { workers: cluster.workerPids },
  });
  return { us: (run.cpuSeconds.workers * 1e6) / amount, rps: run.rps };
}

async function prepare(metrics: boolean): Promise<BenchCluster> {
  const cluster = await startLoggedInCluster(2, {
    GATEHOUSE_METRICS: String(metrics),
    GATEHOUSE_THROTTLE_RATES: 'anon=1000/min,user=1000000000/min,limited=5/min',
  });
  await measure(cluster, 50_000); // warm-up (JIT, user cache)
  return cluster;
}

const clusters: BenchCluster[] = [];
try {
  const off = await prepare(false);
  clusters.push(off);
  const on = await prepare(true);
  clusters.push(on);
  console.log(
    `# ${machine()}; GET /api/hello/, autocannon -c 50, ${pairs} pairs of ${requests} requests; worker CPU µs per request`,
  );
  const results = await alternatingRounds(
    ['off', 'on'] as const,
    pairs,
    (name) => measure(name === 'off' ? off : on, requests),
    (pair, { off: x, on: y }) =>
      console.log(
        `pair ${pair + 1}: off ${x.us.toFixed(2)} µs (${x.rps.toFixed(0)} req/s), on ${y.us.toFixed(2)} µs (${y.rps.toFixed(0)} req/s), capacity ratio on/off ${(x.us / y.us).toFixed(3)}`,
      ),
  );
  const a = results.off.map((r) => r.us);
  const b = results.on.map((r) => r.us);
  const total = (xs: readonly number[]): number => xs.reduce((s, v) => s + v, 0);
  console.log(
    `median CPU per request: off ${median(a).toFixed(2)} µs, on ${median(b).toFixed(2)} µs; capacity ratio on/off: median-based ${(median(a) / median(b)).toFixed(3)}, total-based ${(total(a) / total(b)).toFixed(3)}`,
  );
} finally {
  for (const cluster of clusters) await cluster.server.stop();
}
