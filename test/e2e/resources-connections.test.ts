/**
 * Resources under hostile clients, against the real cluster with default settings:
 *  - 2,000 idle connections (half never sent a byte, half sent one request and stayed, keep-alive) are held
 *    open: the server still answers other clients, and closes every idle connection after its idle timeout
 *    (uWS: about 10 s);
 *  - slow clients ("slowloris"): headers trickled a byte at a time, and a body trickled a byte at a time, are
 *    cut off by uWS: it gives a request about 10 s (HTTP_IDLE_TIMEOUT_S, in 4-second ticks) from its first
 *    byte to its response, and neither header nor body bytes restart that timer. The connection is closed
 *    without an answer and the handler never runs (the slow body is a login: no login is attempted).
 * Times are printed as diagnostics, never asserted; the bound waited for (25 s) only keeps the test finite.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createUsers, startGatehouse, type GatehouseProcess } from '../support/gatehouse-process.js';
import { requestOnNewConnection } from '../support/http.js';

const IDLE_CONNECTIONS = 2000;
const SLOW_CLIENTS = 10;
const GIVE_UP_MS = 25_000;

/** The soft limit on open files of this process (the server processes inherit it). */
function openFileLimit(): number {
  const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return line === null || line[1] === 'unlimited' ? Infinity : Number(line[1]);
}

interface Tracked {
  readonly socket: Socket;
  readonly openedAt: number;
  closedAfterMs: number | null;
  received: string;
}

function track(socket: Socket): Tracked {
  const tracked: Tracked = { socket, openedAt: performance.now(), closedAfterMs: null, received: '' };
  socket.setEncoding('latin1');
  socket.on('data', (text: string) => (tracked.received += text));
  socket.on('close', () => (tracked.closedAfterMs = performance.now() - tracked.openedAt));
  socket.on('error', () => {});
  return tracked;
}

function open(port: number): Promise<Tracked> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(track(socket)));
    socket.once('error', reject);
  });
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

describe(
  'resources: idle and slow connections',
  {
    skip:
      openFileLimit() < IDLE_CONNECTIONS + 500
        ? `ulimit -n is ${openFileLimit()}; ${IDLE_CONNECTIONS + 500} needed`
        : false,
  },
  () => {
    let server: GatehouseProcess;
    let access: string;

    before(async () => {
      server = await startGatehouse({
        workers: 2,
        // All clients share 127.0.0.1; the anonymous throttle (1000/min by default) is not what is tested here.
        env: {
          GATEHOUSE_LOGIN_RATE_BY_USERNAME: '',
          GATEHOUSE_LOGIN_RATE_BY_IP: '',
          GATEHOUSE_THROTTLE_RATES: 'anon=100000/min,user=100000/min,limited=5/min',
        },
      });
      const [user] = await createUsers(server.dataDir, [{ username: 'alice' }]);
      const login = await requestOnNewConnection(`${server.url}/api/token/`, {
        body: { username: 'alice', password: user!.password },
      });
      assert.equal(login.status, 200, login.text);
      access = (JSON.parse(login.text) as { access: string }).access;
    });
    after(() => server.stop());

    it(`holds ${IDLE_CONNECTIONS} idle connections, keeps answering others, and closes the idle ones after its timeout`, async (t) => {
      const idle: Tracked[] = [];
      for (let batch = 0; batch < IDLE_CONNECTIONS / 100; batch++) {
        idle.push(...(await Promise.all(Array.from({ length: 100 }, () => open(server.port)))));
      }
      // Half of them send one request and then stay, as an idle keep-alive client does.
      const keepAlive = idle.slice(0, IDLE_CONNECTIONS / 2);
      for (const c of keepAlive) c.socket.write('GET /api/public/ HTTP/1.1\r\nHost: x\r\n\r\n');

      // Slow clients, started together with the idle ones.
      const slowHeaders: Tracked[] = [];
      const slowBodies: Tracked[] = [];
      const trickles: NodeJS.Timeout[] = [];
      for (let i = 0; i < SLOW_CLIENTS; i++) {
        const headers = await open(server.port);
        const head = `GET /api/public/ HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(2000)}\r\n\r\n`;
        let h = 0;
        trickles.push(
          setInterval(
            () => h < head.length && !headers.socket.destroyed && headers.socket.write(head[h++]!),
            200,
          ),
        );
        slowHeaders.push(headers);
        const body = await open(server.port);
        body.socket.write(
          'POST /api/token/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"username":"',
        );
        trickles.push(setInterval(() => !body.socket.destroyed && body.socket.write('a'), 200));
        slowBodies.push(body);
      }

      try {
        // Other clients are served meanwhile: public and protected routes, logins, on new connections.
        const latencies: number[] = [];
        for (let round = 0; round < 10; round++) {
          await Promise.all(
            ['/api/public/', '/api/hello/', '/api/me/', '/api/notes/', '/healthz'].map(async (path) => {
              const started = performance.now();
              const r = await requestOnNewConnection(`${server.url}${path}`, {
                headers: { authorization: `Bearer ${access}` },
              });
              latencies.push(performance.now() - started);
              assert.equal(r.status, 200, `${path}: ${r.text}`);
            }),
          );
        }
        const stillOpen = idle.filter((c) => c.closedAfterMs === null).length;

        const everyone = [...idle, ...slowHeaders, ...slowBodies];
        const deadline = performance.now() + GIVE_UP_MS;
        while (everyone.some((c) => c.closedAfterMs === null) && performance.now() < deadline)
          await sleep(250);

        assert.equal(
          idle.filter((c) => c.closedAfterMs === null).length,
          0,
          'every idle connection was closed by the server',
        );
        for (const c of keepAlive)
          assert.match(c.received, /^HTTP\/1\.1 200 OK/, 'the keep-alive clients got their answer first');
        assert.equal(
          slowHeaders.filter((c) => c.closedAfterMs === null).length,
          0,
          'slow headers were cut off',
        );
        for (const c of slowHeaders)
          assert.equal(c.received, '', 'a request whose headers never completed is never answered');
        for (const c of slowBodies) {
          assert.notEqual(c.closedAfterMs, null, 'a slow body was cut off');
          assert.equal(c.received, '', 'the handler never ran for a body that never completed');
        }
        assert.equal((await requestOnNewConnection(`${server.url}/api/public/`)).status, 200);
        assert.deepEqual(
          server.logs.filter((l) => l.msg === 'worker died'),
          [],
        );

        const closed = (list: Tracked[]) => list.map((c) => c.closedAfterMs!);
        t.diagnostic(
          `${IDLE_CONNECTIONS} idle connections (${stillOpen} still open after the other clients were served): ` +
            `others answered in median ${percentile(latencies, 50).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms; ` +
            `idle closed after ${(percentile(closed(idle), 0) / 1000).toFixed(1)}-${(Math.max(...closed(idle)) / 1000).toFixed(1)} s; ` +
            `slow headers cut after ${(Math.max(...closed(slowHeaders)) / 1000).toFixed(1)} s; ` +
            `slow bodies cut after ${(percentile(closed(slowBodies), 0) / 1000).toFixed(1)}-${(Math.max(...closed(slowBodies)) / 1000).toFixed(1)} s`,
        );
      } finally {
        for (const timer of trickles) clearInterval(timer);
        for (const c of [...idle, ...slowHeaders, ...slowBodies]) c.socket.destroy();
      }
    });
  },
);
