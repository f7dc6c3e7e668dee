/**
 * What counting for /metrics costs in throughput: requests per second of GET /api/hello/ (JWT + user +
 * IsAuthenticated + the user throttle) on a 2-worker cluster with GATEHOUSE_METRICS=false, then on a fresh one
 * with true, each round. On a shared machine req/s moves with other load; metrics-cpu.ts is the steadier measure.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/http/metrics-overhead.js [--rounds 3] [--duration 10]
 *
 * autocannon (-c 50, 2 s warm-up) runs in its own process. Prints one line per round and the medians. Not a
 * pass/fail test.
 */
import { machine, median, numberOptions, runAutocannon, startLoggedInCluster } from './ratio-harness.js';

const { rounds, duration: seconds } = numberOptions({ rounds: 3, duration: 10 });

async function requestsPerSecond(metrics: boolean): Promise<number> {
  const cluster = await startLoggedInCluster(2, {
    GATEHOUSE_METRICS: String(metrics),
    GATEHOUSE_THROTTLE_RATES: 'anon=1000/min,user=1000000000/min,limited=5/min',
  });
  try {
    const run = (load: { seconds: number }) =>
      runAutocannon({ url: `${cluster.base}/api/hello/`, token: cluster.access, connections: 50, load });
    await run({ seconds: 2 }); // warm-up (JIT, user cache)
    return (await run({ seconds })).rps;
  } finally {
    await cluster.server.stop();
  }
}

console.log(`# ${machine()}; autocannon -c 50 -d ${seconds} in its own process, 2 workers`);
const on: number[] = [];
const off: number[] = [];
for (let i = 0; i < rounds; i++) {
  off.push(await requestsPerSecond(false));
  on.push(await requestsPerSecond(true));
  console.log(`round ${i + 1}: off ${off.at(-1)!.toFixed(0)} req/s, on ${on.at(-1)!.toFixed(0)} req/s`);
}
console.log(
  `median off ${median(off).toFixed(0)} req/s, on ${median(on).toFixed(0)} req/s, ratio on/off ${(median(on) / median(off)).toFixed(3)}`,
);
