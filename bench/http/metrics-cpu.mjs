// CPU time the worker processes spend per request on GET /api/hello/, metrics off vs on (two 2-worker clusters,
// alternating fixed-size autocannon runs). Less sensitive to other load on the machine than req/s.
// Run after `make build`: node bench/http/metrics-cpu.mjs [rounds] [seconds]
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createUsers, startGatehouse } from '../../dist/test/support/gatehouse-process.js';

const pairs = Number(process.argv[2] ?? 6);
const amount = Number(process.argv[3] ?? 200_000);
const TICK_US = 1e6 / 100; // USER_HZ
const run = (opts) =>
  new Promise((resolve, reject) => autocannon(opts, (err, res) => (err ? reject(err) : resolve(res))));
const cpuTicks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};

async function prepare(metrics) {
  const server = await startGatehouse({
    workers: 2,
    env: {
      GATEHOUSE_METRICS: String(metrics),
      GATEHOUSE_THROTTLE_RATES: 'anon=1000/min,user=1000000000/min,limited=5/min',
    },
  });
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
  await run({ ...opts, amount: 50_000 });
  return { server, opts, pids: server.workerPids() };
}

async function cpuPerRequest(target) {
  const before = target.pids.reduce((s, p) => s + cpuTicks(p), 0);
  const r = await run({ ...target.opts, amount });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`non-2xx ${r.non2xx}, errors ${r.errors}`);
  const after = target.pids.reduce((s, p) => s + cpuTicks(p), 0);
  return { us: ((after - before) * TICK_US) / amount, rps: r.requests.average };
}

const off = await prepare(false);
const on = await prepare(true);
console.log(
  `# ${os.cpus()[0].model}, ${os.cpus().length} cores, Node ${process.version}; GET /api/hello/, autocannon -c 50, ${pairs} pairs of ${amount} requests; worker CPU µs per request`,
);
const a = [],
  b = [];
try {
  for (let i = 0; i < pairs; i++) {
    let x, y;
    if (i % 2 === 0) {
      x = await cpuPerRequest(off);
      y = await cpuPerRequest(on);
    } else {
      y = await cpuPerRequest(on);
      x = await cpuPerRequest(off);
    }
    a.push(x.us);
    b.push(y.us);
    console.log(
      `pair ${i + 1}: off ${x.us.toFixed(2)} µs (${x.rps.toFixed(0)} req/s), on ${y.us.toFixed(2)} µs (${y.rps.toFixed(0)} req/s), capacity ratio on/off ${(x.us / y.us).toFixed(3)}`,
    );
  }
} finally {
  await off.server.stop();
  await on.server.stop();
}
const median = (xs) => {
  const s = [...xs].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const total = (xs) => xs.reduce((s, v) => s + v, 0);
console.log(
  `median CPU per request: off ${median(a).toFixed(2)} µs, on ${median(b).toFixed(2)} µs; capacity ratio on/off: median-based ${(median(a) / median(b)).toFixed(3)}, total-based ${(total(a) / total(b)).toFixed(3)}`,
);
