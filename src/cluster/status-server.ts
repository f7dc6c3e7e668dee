/**
 * `gatehouse status` talks to the running supervisor over a unix socket in the data directory: no port to
 * open, no signal to send, and file permissions decide who may ask (the socket is created mode 0600, so only
 * the service's own user — and root — can connect). The protocol is one JSON line each way:
 * `{"command":"status"}` → the StatusReport below, then the server closes the connection.
 */
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import type { Logger } from '../log/logger.js';

export const STATUS_SOCKET_FILE = 'gatehouse.sock';

/** sun_path holds 108 bytes on Linux (104 on macOS), including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 103;
/** A request is one short line; anything longer is not a client of this protocol. */
const MAX_REQUEST_BYTES = 4096;
const REQUEST_TIMEOUT_MS = 5000;

export function statusSocketPath(dataDir: string): string {
  return join(dataDir, STATUS_SOCKET_FILE);
}

/** starting → ready (listening; a reload's new worker waits for the others) → serving → retiring (draining). */
export type WorkerState = 'starting' | 'ready' | 'serving' | 'retiring';

export interface WorkerStatusRow {
  readonly id: number;
  readonly slot: number;
  readonly pid: number | null;
  readonly state: WorkerState;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly uptimeSec: number;
  /** null when the worker did not answer in time (busy, or still starting). */
  readonly requestsServed: number | null;
  readonly inFlight: number | null;
  readonly rssBytes: number | null;
}

export interface StatusReport {
  readonly supervisor: {
    readonly pid: number;
    readonly startedAt: string;
    readonly uptimeSec: number;
    /** "idle", or "reloading" while a SIGHUP replaces the workers. */
    readonly reloadState: string;
    readonly port: number;
    /** Worker slots configured. */
    readonly workers: number;
  };
  readonly workers: readonly WorkerStatusRow[];
  readonly requestsServed: {
    /** By the workers alive now (those that answered). */
    readonly live: number;
    /** By workers that have exited since the supervisor started. */
    readonly exited: number;
    readonly total: number;
  };
}

export class StatusServer {
  private constructor(
    private readonly server: Server,
    private readonly path: string,
  ) {}

  /**
   * Listens on `path`. A socket file left by a supervisor that died is replaced; one that answers belongs to a
   * running supervisor, which keeps it (null is returned and a warning logged, and this one serves no status).
   */
  static async start(
    path: string,
    report: () => Promise<StatusReport>,
    logger: Logger,
  ): Promise<StatusServer | null> {
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
      logger.warn(
        { socket: path },
        '`gatehouse status` is unavailable: the data directory path is too long for a unix socket',
      );
      return null;
    }
    // With PostgreSQL nothing else may have created the data directory yet.
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    if (existsSync(path)) {
      if (await answers(path)) {
        logger.warn(
          { socket: path },
          '`gatehouse status` is unavailable: another supervisor is serving this data directory',
        );
        return null;
      }
      unlinkSync(path);
    }
    const server = createServer((socket) => serve(socket, report, logger));
    // The umask applies when the socket file is created, during listen(): the file never exists with a wider
    // mode, not even briefly. Node binds a pipe synchronously inside listen(), so the umask is restored at once.
    const previous = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(previous);
    }
    chmodSync(path, 0o600);
    server.unref();
    return new StatusServer(server, path);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }
}

function serve(socket: Socket, report: () => Promise<StatusReport>, logger: Logger): void {
  socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  let received = '';
  const onData = (chunk: Buffer): void => {
    received += chunk.toString('utf8');
    const end = received.indexOf('\n');
    if (end < 0) {
      if (received.length > MAX_REQUEST_BYTES) socket.destroy();
      return;
    }
    socket.off('data', onData);
    answer(received.slice(0, end)).then(
      (reply) => socket.end(JSON.stringify(reply) + '\n'),
      (error: unknown) => {
        logger.error({ err: error }, 'status request failed');
        socket.end(JSON.stringify({ error: 'status unavailable' }) + '\n');
      },
    );
  };
  socket.on('data', onData);

  async function answer(line: string): Promise<unknown> {
    let command: unknown;
    try {
      command = (JSON.parse(line) as { command?: unknown }).command;
    } catch {
      return { error: 'expected a JSON line like {"command":"status"}' };
    }
    if (command === 'status') return report();
    return { error: `unknown command ${JSON.stringify(command)}` };
  }
}

/** Whether something accepts connections on the socket (a live supervisor). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The client side, for `gatehouse status`: asks the supervisor listening on `path`. */
export function queryStatus(path: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<StatusReport> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let received = '';
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`the supervisor did not answer within ${timeoutMs} ms`));
    });
    socket.once('connect', () => socket.write(JSON.stringify({ command: 'status' }) + '\n'));
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.once('error', reject);
    socket.once('end', () => {
      try {
        const reply = JSON.parse(received) as StatusReport & { error?: string };
        if (reply.error !== undefined) reject(new Error(reply.error));
        else resolve(reply);
      } catch {
        reject(new Error('the supervisor sent an answer that is not JSON'));
      }
    });
  });
}
