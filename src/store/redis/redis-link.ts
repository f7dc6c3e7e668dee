/**
 * One worker's command connection to Redis, shaped for a request path that must never wait on a dead server:
 *
 *  - commands are refused at once while the connection is down (`disableOfflineQueue`), instead of queueing
 *    until a reconnection that may never come; callers check `usable` first and decide by their failure policy
 *    without even allocating a promise;
 *  - it reconnects by itself, forever, with a capped backoff (50 ms doubling to 1 s, plus jitter);
 *  - a server that accepts connections but stops answering (stopped process, lost packets, a frozen VM) is caught
 *    by a watchdog: when commands are outstanding and none has completed for `timeoutMs`, the connection is
 *    dropped (every outstanding command fails at once, so its request is decided by policy) and a new one is
 *    made. One timer per worker, not one per command: the request path reads no clock.
 *
 * node-redis pipelines by itself: commands issued in the same event-loop turn leave in one write, so many
 * concurrent decisions share a system call and a round trip.
 */
import { createRequire } from 'node:module';
import type { createClient } from 'redis';
import type { Logger } from '../../log/logger.js';
import { redactUrl, scrubMessage } from '../redact-url.js';
import { OutageLog } from './outage-log.js';

export type RedisClient = ReturnType<typeof createClient>;

const requireModule = createRequire(import.meta.url);
let driver: typeof import('redis') | null = null;

/** node-redis, loaded on first use: about 100 ms of start-up that a server without Redis never pays. */
export function redisDriver(): typeof import('redis') {
  return (driver ??= requireModule('redis') as typeof import('redis'));
}

export interface RedisLinkOptions {
  readonly url: string;
  /** Shown in CLIENT LIST (e.g. "gatehouse-throttle"). */
  readonly clientName: string;
  /** How long outstanding commands may go unanswered before the server is treated as down. */
  readonly timeoutMs: number;
  readonly logger: Logger | null;
  /** What depends on this link, for log lines. */
  readonly what: string;
  /** Called after every (re)connection, before commands are sent (e.g. to load scripts). */
  readonly onReady?: (client: RedisClient) => void;
}

/** node-redis's retry delay: 50 ms doubling up to 1 s, plus up to 100 ms of jitter so that nodes do not reconnect in step. */
export function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** Math.min(retries, 10), 1000) + Math.floor(Math.random() * 100);
}

export function createRedisClient(url: string, clientName: string): RedisClient {
  return redisDriver().createClient({
    url,
    name: clientName,
    disableOfflineQueue: true,
    socket: { connectTimeout: 5000, reconnectStrategy: reconnectDelay },
  });
}

/** A readable reason for a driver error, without credentials. */
export function reasonOf(error: unknown, url: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return scrubMessage(
    typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message,
    url,
  );
}

export class RedisLink {
  private current: RedisClient;
  readonly outage: OutageLog;
  private sent = 0;
  private settled = 0;
  private settledAtLastTick = 0;
  private stalledTicks = 0;
  private readonly watchdog: NodeJS.Timeout;
  private readonly tickMs: number;
  private closed = false;

  constructor(private readonly options: RedisLinkOptions) {
    this.outage = new OutageLog(options.logger, options.what);
    this.current = this.open();
    this.tickMs = Math.max(25, Math.floor(options.timeoutMs / 4));
    this.watchdog = setInterval(() => this.tick(), this.tickMs);
    this.watchdog.unref();
  }

  get client(): RedisClient {
    return this.current;
  }

  /** True when a command sent now can be answered. */
  get usable(): boolean {
    return this.current.isReady;
  }

  /** Counts a command sent through `client`; the caller calls `settle()` when it completes either way. */
  track(): void {
    this.sent++;
  }

  settle(): void {
    this.settled++;
  }

  /** Reports a failed command: an outage (logged once) or a refusal by the server (rate-limited log). */
  failed(error: unknown): void {
    const reason = reasonOf(error, this.options.url);
    if (error instanceof Error && error.name.endsWith('ErrorReply') && !reason.startsWith('LOADING'))
      this.outage.replyError(reason);
    else this.outage.down(reason);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watchdog);
    const client = this.current;
    if (client.isOpen) {
      try {
        await client.close();
      } catch {
        client.destroy();
      }
    }
  }

  private open(): RedisClient {
    const client = createRedisClient(this.options.url, this.options.clientName);
    // node-redis emits 'error' for every failed attempt; an unhandled 'error' event would kill the process.
    client.on('error', (error: unknown) => {
      if (client === this.current) this.outage.down(reasonOf(error, this.options.url));
    });
    client.on('ready', () => {
      if (client !== this.current) return;
      this.options.onReady?.(client);
      this.outage.up();
    });
    client.connect().catch((error: unknown) => {
      if (client === this.current && !this.closed) this.outage.down(reasonOf(error, this.options.url));
    });
    return client;
  }

  /** Runs every tickMs: replaces a connection whose outstanding commands have made no progress for timeoutMs. */
  private tick(): void {
    if (this.sent === this.settled || this.settled !== this.settledAtLastTick) {
      this.settledAtLastTick = this.settled;
      this.stalledTicks = 0;
      return;
    }
    if (++this.stalledTicks * this.tickMs < this.options.timeoutMs) return;
    this.stalledTicks = 0;
    this.outage.down(`no answer from ${redactUrl(this.options.url)} within ${this.options.timeoutMs} ms`);
    const stalled = this.current;
    this.current = this.open();
    // Fails every outstanding command of the stalled connection now, so their requests are decided by policy.
    stalled.destroy();
  }
}
