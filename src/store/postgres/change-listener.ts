/**
 * How workers learn that a user or an API key changed in PostgreSQL, whichever process changed it (a worker
 * of another node, `gatehouse user deactivate` on an operator's laptop): the statements that change them
 * also run `pg_notify('gatehouse_changes', 'u:<id>' | 'k:<id>')`, which PostgreSQL delivers to every session
 * that LISTENs, when and only if the change commits. Each worker keeps one extra connection that LISTENs.
 *
 * Chosen over polling (no SQLite data_version here) and over Redis (optional, and `gatehouse` CLI commands
 * would need it too): NOTIFY is transactional and reaches every writer's audience with nothing else deployed.
 * Notifications sent while the connection is down are lost, so every (re)established LISTEN announces
 * `{ kind: 'all' }`: caches drop everything and reload. The user cache's maximum age bounds the rest.
 */
import pg from 'pg';
import type { Logger } from '../../log/logger.js';
import { redactUrl, scrubMessage } from '../redact-url.js';
import type { StoreChange } from '../types.js';
import { connectionTypes } from './pg-pool.js';

export const CHANGE_CHANNEL = 'gatehouse_changes';

const ALL: StoreChange = Object.freeze({ kind: 'all' });

/** Parses one notification payload: `u:<id>` (user) or `k:<id>` (API key). */
export function parseChange(payload: string | undefined): StoreChange | null {
  if (payload === undefined || payload.length < 3 || payload.charCodeAt(1) !== 0x3a /* : */) return null;
  const id = Number(payload.slice(2));
  if (!Number.isSafeInteger(id)) return null;
  if (payload.charCodeAt(0) === 0x75 /* u */) return { kind: 'user', id };
  if (payload.charCodeAt(0) === 0x6b /* k */) return { kind: 'apiKey', id };
  return null;
}

export class ChangeListener {
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private client: pg.Client | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;
  private reportedDown = false;

  private logger: Logger | null = null;

  constructor(
    private readonly url: string,
    /** Called when the listener starts (only workers listen: a CLI command never creates a logger). */
    private readonly createLogger: (() => Logger) | null,
  ) {}

  /** Adds a listener; the first one opens the LISTEN connection. Returns a function that removes it. */
  add(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    this.logger ??= this.createLogger?.() ?? null;
    if (this.client === null && this.retryTimer === null && !this.closed) void this.connect();
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    if (client !== null) await client.end().catch(() => undefined);
  }

  private emit(change: StoreChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      types: connectionTypes(),
      application_name: 'gatehouse-listen',
    });
    this.client = client;
    client.on('notification', (message) => {
      const change = parseChange(message.payload);
      if (change !== null) this.emit(change);
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (client !== this.client) return;
    this.failures = 0;
    if (this.reportedDown)
      this.logger?.info(
        { component: 'postgres' },
        'change notifications restored: cached users and API keys dropped',
      );
    this.reportedDown = false;
    // Whatever changed before LISTEN took effect was not heard: start clean.
    this.emit(ALL);
  }

  private lost(client: pg.Client, error: unknown): void {
    if (client !== this.client || this.closed) return;
    this.client = null;
    client.end().catch(() => undefined);
    if (!this.reportedDown) {
      this.reportedDown = true;
      const reason = scrubMessage(error instanceof Error ? error.message : String(error), this.url);
      this.logger?.warn(
        { component: 'postgres', reason },
        `change notifications from ${redactUrl(this.url)} lost; reconnecting (cached users expire by their maximum age meanwhile)`,
      );
    }
    const delay = Math.min(100 * 2 ** this.failures++, 5000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed) void this.connect();
    }, delay);
    this.retryTimer.unref();
  }
}
