/**
 * The autocannon load-generator process. The harness starts it with the path of a JSON job file; it runs the
 * warm-up (results discarded), prints {"event":"measuring"}, runs the measured run, and prints
 * {"event":"result",…} with autocannon's counts, latency percentiles at 10 µs resolution (autocannon's own
 * histogram keeps whole milliseconds) and its own CPU time during the measured run.
 *
 * A refresh chain cannot be a fixed request: every refresh token is good for one request (rotation blacklists
 * it). The driver keeps a pool of live refresh tokens; each request takes one and each 200 answer puts the new
 * token back, so with C connections C tokens circulate. The tokens in flight when a run stops are lost, so the
 * warm-up and the measured run each get their own half of the job's tokens. A failed refresh (or a reconnection,
 * which loses the token in flight) shrinks the pool; requests made with an empty pool carry an invalid token and
 * count as non-2xx.
 */
import { readFileSync } from 'node:fs';
import { autocannon, type AutocannonRequest, type AutocannonResult } from './autocannon-api.js';
import { LatencyHistogram } from './latency-histogram.js';
import { GENERATOR_TIMEOUT_SEC, type LoadJob } from './load-generator.js';

const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadJob;
const REFRESH_IN_BODY = /"refresh":"([^"]+)"/;

function requests(pool: string[] | null): AutocannonRequest[] {
  const r = job.request;
  const base: AutocannonRequest = {
    method: r.method,
    path: r.path,
    headers: { ...r.headers },
    ...(r.body === null ? {} : { body: r.body }),
  };
  if (pool === null) return [base];
  return [
    {
      ...base,
      setupRequest: (request) => {
        request.body = `{"refresh":"${pool.shift() ?? 'pool-exhausted'}"}`;
        return request;
      },
      onResponse: (status, body) => {
        if (status !== 200) return;
        const next = REFRESH_IN_BODY.exec(typeof body === 'string' ? body : body.toString('utf8'));
        if (next !== null) pool.push(next[1]!);
      },
    },
  ];
}

const chain = job.request.refreshChain;
const half = chain === null ? 0 : job.warmupSec > 0 ? Math.floor(chain.length / 2) : 0;
const run = (
  durationSec: number,
  pool: string[] | null,
): Promise<{ result: AutocannonResult; latency: LatencyHistogram }> =>
  new Promise((resolve, reject) => {
    const latency = new LatencyHistogram(GENERATOR_TIMEOUT_SEC * 1000);
    const tracker = autocannon(
      {
        url: job.baseUrl,
        connections: job.connections,
        pipelining: 1,
        duration: durationSec,
        timeout: GENERATOR_TIMEOUT_SEC,
        requests: requests(pool),
      },
      (error, result) => (error ? reject(error) : resolve({ result, latency })),
    );
    tracker.on('response', (_client, _status, _bytes, responseTimeMs) => latency.record(responseTimeMs));
  });

if (job.warmupSec > 0) await run(job.warmupSec, chain === null ? null : chain.slice(0, half));
process.stdout.write(JSON.stringify({ event: 'measuring' }) + '\n');
const cpuBefore = process.cpuUsage();
const { result, latency } = await run(job.durationSec, chain === null ? null : chain.slice(half));
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(
  JSON.stringify({
    event: 'result',
    requests: result.requests.total,
    durationSec: result.duration,
    latencyP50Ms: latency.percentile(50),
    latencyP99Ms: latency.percentile(99),
    latencyMaxMs: latency.max,
    errors: result.errors,
    non2xx: result.non2xx,
    generatorCpuSec: (cpu.user + cpu.system) / 1e6,
  }) + '\n',
);
