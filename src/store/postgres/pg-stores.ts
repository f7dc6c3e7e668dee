/**
 * The PostgreSQL store: users, refresh-token tracking, notes and API keys shared by every node, through one
 * connection pool per process (`databasePoolSize` connections) plus, in workers, one LISTEN connection for
 * change notifications. Everything answers with promises; the hot path reaches it only on a user-cache miss.
 */
import type pg from 'pg';
import type { Logger } from '../../log/logger.js';
import type { StoreChange, Stores } from '../types.js';
import { ChangeListener } from './change-listener.js';
import { PgApiKeyStore } from './pg-api-key-store.js';
import { PgNoteStore } from './pg-note-store.js';
import { PgTokenStore } from './pg-token-store.js';
import { PgUserStore } from './pg-user-store.js';

export class PgStores implements Stores {
  readonly users: PgUserStore;
  readonly tokens: PgTokenStore;
  readonly notes: PgNoteStore;
  readonly apiKeys: PgApiKeyStore;
  private readonly changes: ChangeListener;
  private closed = false;

  constructor(
    readonly pool: pg.Pool,
    url: string,
    createLogger: (() => Logger) | null,
  ) {
    this.users = new PgUserStore(pool);
    this.tokens = new PgTokenStore(pool);
    this.notes = new PgNoteStore(pool);
    this.apiKeys = new PgApiKeyStore(pool);
    this.changes = new ChangeListener(url, createLogger);
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /** No counter to poll: changes are pushed through watchChanges (LISTEN/NOTIFY). */
  changeCounter(): null {
    return null;
  }

  watchChanges(listener: (change: StoreChange) => void): () => void {
    return this.changes.add(listener);
  }

  /** PostgreSQL runs its own checkpoints and autovacuum. */
  checkpoint(): void {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.changes.close();
    await this.pool.end();
  }
}
