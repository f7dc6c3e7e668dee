// Throughput of GET /api/hello/ (JWT + IsAuthenticated + user throttle) on a 2-worker cluster, metrics on vs off.
// Run after `make build`: node bench/http/metrics-overhead.mjs [rounds] [seconds]
import autocannon from 'autocannon';
import os from 'node:os';
import { createUsers, startGatehouse } from '../../dist/test/support/gatehouse-process.js';

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 10);
const run = (opts) =>
  new Promise((resolve, reject) => autocannon(opts, (err, res) => (err ? reject(err) : resolve(res))));

async function measure(metrics) {
  const server = await startGatehouse({
    workers: 2,
    env: {
      GATEHOUSE_METRICS: String(metrics),
      GATEHOUSE_THROTTLE_RATES: 'anon=1000/min,user=1000000000/min,limited=5/min',
    },
  });
  try {
    const [alice] = await createUsers(server.dataDir, [{ username: 'alice' }]);
    const login = await fetch(`${server.url}/api/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: alice.password }),
    });
    const { access } = await login.json();
    const opts = {
      url: `${server.url}/api/hello/`,
      connections: 50,
      pipelining: 1,
      headers: { authorization: `Bearer ${access}` },
    };
    await run({ ...opts, duration: 2 }); // warm-up (JIT, user cache)
    const result = await run({ ...opts, duration: seconds });
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`non-2xx ${result.non2xx}, errors ${result.errors}`);
    return result.requests.average;
  } finally {
    await server.stop();
  }
}

console.log(
  `# ${os.cpus()[0].model}, ${os.cpus().length} cores, Node ${process.version}; autocannon -c 50 -d ${seconds} in-process, 2 workers`,
);
const on = [],
  off = [];
for (let i = 0; i < rounds; i++) {
  off.push(await measure(false));
  on.push(await measure(true));
  console.log(`round ${i + 1}: off ${off.at(-1).toFixed(0)} req/s, on ${on.at(-1).toFixed(0)} req/s`);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `median off ${median(off).toFixed(0)} req/s, on ${median(on).toFixed(0)} req/s, ratio on/off ${(median(on) / median(off)).toFixed(3)}`,
);
