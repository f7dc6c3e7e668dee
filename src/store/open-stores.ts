/**
 * Opens the configured backends for this process. By default the embedded SQLite file in the data directory;
 * with GATEHOUSE_DATABASE_URL, PostgreSQL (src/store/postgres/). Migrations are applied first (idempotent and
 * safe when several processes of several nodes start at once). With GATEHOUSE_REDIS_URL, Redis is checked too
 * (src/store/redis/check-redis.ts). A backend that cannot be reached stops the process here, with a message
 * that names it without its credentials: a server never starts half-configured.
 */
import type { Config } from '../config/config-types.js';
import { createLogger } from '../log/logger.js';
import { migrate, type MigrationReport } from './sqlite/migrations.js';
import { databasePath, openDatabase } from './sqlite/open-database.js';
import { SqliteStores } from './sqlite/sqlite-stores.js';
import type { Stores } from './types.js';

export interface OpenedStores {
  readonly stores: Stores;
  readonly migration: MigrationReport;
  readonly description: string;
}

export async function openStores(config: Config): Promise<OpenedStores> {
  // The drivers are imported only when configured: loading pg and node-redis costs an embedded server (and
  // every CLI command) about 150 ms of start-up for nothing.
  if (config.redisUrl !== null) {
    const { checkRedis } = await import('./redis/check-redis.js');
    await checkRedis(config.redisUrl);
  }
  if (config.databaseUrl !== null) {
    const { openPostgresStores } = await import('./postgres/open-postgres.js');
    return openPostgresStores({
      url: config.databaseUrl,
      poolSize: config.databasePoolSize,
      createLogger: () => createLogger(config.logLevel, { component: 'postgres' }),
    });
  }
  const path = databasePath(config.dataDir);
  const db = openDatabase(path);
  const migration = migrate(db);
  return { stores: new SqliteStores(db), migration, description: `sqlite:${path}` };
}
