/**
 * Opens the PostgreSQL store for one process: a pool, a connection check that refuses to go on with a clear
 * message (never the URL's credentials), and the pending migrations (serialised across processes).
 */
import type { Logger } from '../../log/logger.js';
import { redactUrl } from '../redact-url.js';
import { migratePostgres, type PgMigrationReport } from './pg-migrations.js';
import { checkPostgres, createPgPool } from './pg-pool.js';
import { PgStores } from './pg-stores.js';

export interface OpenPostgresOptions {
  readonly url: string;
  readonly poolSize: number;
  /** Creates the logger of the change listener, when a worker starts listening. */
  readonly createLogger: (() => Logger) | null;
}

export async function openPostgresStores(
  options: OpenPostgresOptions,
): Promise<{ stores: PgStores; migration: PgMigrationReport; description: string }> {
  if (!/^postgres(ql)?:\/\//.test(options.url)) {
    throw new Error(
      `GATEHOUSE_DATABASE_URL must be a postgres:// or postgresql:// URL (got ${redactUrl(options.url)})`,
    );
  }
  const pool = createPgPool({ url: options.url, size: options.poolSize });
  try {
    await checkPostgres(pool, options.url);
    const migration = await migratePostgres(pool);
    return {
      stores: new PgStores(pool, options.url, options.createLogger),
      migration,
      description: redactUrl(options.url),
    };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}
