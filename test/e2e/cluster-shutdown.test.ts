/**
 * Graceful stop of the real cluster: SIGTERM while slow requests are in flight. The workers stop accepting at
 * once (new connections are refused), the in-flight requests complete, the last response on a keep-alive
 * connection says `Connection: close` and the connection is closed, and the supervisor exits 0.
 * The slow route comes from an application module (test/fixtures/cluster/slow-app.ts, appModule setting).
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startGatehouse, type GatehouseProcess } from '../support/gatehouse-process.js';

const SLOW_APP = join(fileURLToPath(new URL('../fixtures/cluster/', import.meta.url)), 'slow-app.js');

interface Response {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/** A keep-alive HTTP/1.1 connection: send requests, read responses one by one, see when the server closes. */
class Connection {
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | null = null;
  readonly closed: Promise<void>;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiting?.();
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('close', () => this.waiting?.());
    socket.on('error', () => {});
  }

  static open(port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  get(path: string): void {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
  }

  async response(): Promise<Response> {
    for (;;) {
      const parsed = this.parse();
      if (parsed !== null) return parsed;
      if (this.socket.destroyed) throw new Error('connection closed before a complete response');
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  private parse(): Response | null {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const [statusLine, ...lines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers = new Map(
      lines.map(
        (l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as const,
      ),
    );
    const length = Number(headers.get('content-length') ?? 0);
    if (this.buffer.length < end + 4 + length) return null;
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString();
    this.buffer = this.buffer.subarray(end + 4 + length);
    return { status: Number(statusLine!.split(' ')[1]), headers, body };
  }
}

/** How a new connection fares: 'ECONNREFUSED' when nothing listens, 'connected' when something accepted it. */
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('SIGTERM with slow requests in flight', () => {
  let gatehouse: GatehouseProcess | null = null;
  after(() => gatehouse?.stop());

  it('finishes them, closes keep-alive connections politely and exits 0', async () => {
    gatehouse = await startGatehouse({
      workers: 2,
      env: { GATEHOUSE_APP_MODULE: SLOW_APP, GATEHOUSE_SHUTDOWN_GRACE: '10' },
    });
    const connections = [
      await Connection.open(gatehouse.port),
      await Connection.open(gatehouse.port),
      await Connection.open(gatehouse.port),
    ];
    // A first answer on each connection keeps it open: no Connection: close while the server runs.
    for (const c of connections) c.get('/test/slow/?ms=0');
    for (const c of connections) {
      const first = await c.response();
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('connection'), undefined);
    }
    for (const c of connections) c.get('/test/slow/?ms=1500');
    const slowStarted = (): number =>
      gatehouse!.logs.filter((l) => l.msg === 'slow request started' && l['ms'] === 1500).length;
    await gatehouse.waitForLog(() => slowStarted() === connections.length);

    gatehouse.child.kill('SIGTERM');
    // Both workers closed their listening sockets (they log "draining" right before): new clients are refused.
    await gatehouse.waitForLog(() => gatehouse!.logs.filter((l) => l.msg === 'draining').length >= 2);
    assert.equal(await connectOutcome(gatehouse.port), 'ECONNREFUSED');

    for (const c of connections) {
      const last = await c.response();
      assert.equal(last.status, 200);
      assert.deepEqual(JSON.parse(last.body).slept, 1500);
      assert.equal(last.headers.get('connection'), 'close');
      await c.closed;
    }
    assert.equal(await gatehouse.exited(), 0);
    assert.ok(gatehouse.logs.some((l) => l.msg === 'stopped' && l['code'] === 0));
  });
});
