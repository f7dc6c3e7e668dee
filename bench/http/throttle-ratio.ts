/**
 * What a throttle costs on a protected route, over HTTP against the real cluster: requests per second of
 * GET /bench/throttled/ (JWT + IsAuthenticated + a scoped throttle, every request admitted and counted in shared
 * memory) against GET /bench/unthrottled/ (the same route without the throttle), and their ratio (goal ≥ 0.8).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/http/throttle-ratio.js \
 *     [--workers 2] [--connections 50] [--pipelining 1] [--duration 5] [--rounds 3]
 *
 * The server (`gatehouse serve`, supervisor + workers) and autocannon run as separate processes; rounds
 * alternate the two routes so that drift (thermal, other load) hits both. Prints a Markdown table with its
 * conditions. Not a pass/fail test.
 */
import { fileURLToPath } from 'node:url';
import {
  alternatingRounds,
  machine,
  median,
  numberOptions,
  runAutocannon,
  startLoggedInCluster,
  type LoadRun,
} from './ratio-harness.js';

const APP_MODULE = fileURLToPath(new URL('./throttle-ratio-app.js', import.meta.url));

const { workers, connections, pipelining, duration, rounds } = numberOptions({
  workers: 2,
  connections: 50,
  pipelining: 1,
  duration: 5,
  rounds: 3,
});

async function main(): Promise<void> {
  const cluster = await startLoggedInCluster(workers, {
    GATEHOUSE_APP_MODULE: APP_MODULE,
    // A limit no run reaches: every request is admitted, so both routes answer 200 and the throttled one
    // pays for a counted decision each time.
    GATEHOUSE_THROTTLE_RATES: 'anon=1000/min,user=100000/min,limited=5/min,bench=1000000000/min',
  });
  try {
    const routes = { throttled: '/bench/throttled/', unthrottled: '/bench/unthrottled/' };
    type Route = keyof typeof routes;
    const measure = (name: Route, seconds: number): Promise<LoadRun<never>> =>
      runAutocannon({
        url: cluster.base + routes[name],
        token: cluster.access,
        connections,
        pipelining,
        load: { seconds },
      });
    // Warm-up: JIT, the verified-token cache, the user cache, the throttle bucket.
    await measure('unthrottled', 2);
    await measure('throttled', 2);
    const results = await alternatingRounds<Route, LoadRun<never>>(
      ['unthrottled', 'throttled'],
      rounds,
      (name) => measure(name, duration),
    );

    const without = median(results.unthrottled.map((r) => r.rps));
    const withThrottle = median(results.throttled.map((r) => r.rps));
    console.log(
      `Throttle cost on a protected route (${machine()}, ` +
        `${workers} workers, autocannon -c ${connections} -p ${pipelining}, ${rounds} × ${duration} s per route, median)\n`,
    );
    console.log('| route | req/s (median) | runs (req/s) | p50 ms | p99 ms |');
    console.log('| --- | ---: | --- | ---: | ---: |');
    for (const name of ['throttled', 'unthrottled'] as const) {
      const runs = results[name];
      console.log(
        `| ${routes[name]} | ${Math.round(median(runs.map((r) => r.rps)))} | ` +
          `${runs.map((r) => Math.round(r.rps)).join(', ')} | ${median(runs.map((r) => r.p50))} | ${median(runs.map((r) => r.p99))} |`,
      );
    }
    console.log(`\nratio throttled / unthrottled: ${(withThrottle / without).toFixed(3)} (goal ≥ 0.8)`);
  } finally {
    await cluster.server.stop();
  }
}

await main();
