/**
 * Opens the configured store for this process: the embedded SQLite file in the data directory by default.
 * Migrations are applied first (idempotent and safe when several processes start at once).
 */
import type { Config } from '../config/config-types.js';
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
  if (config.databaseUrl !== null) {
    throw new Error('databaseUrl is set but this build has no PostgreSQL store yet');
  }
  const path = databasePath(config.dataDir);
  const db = openDatabase(path);
  const migration = migrate(db);
  return { stores: new SqliteStores(db), migration, description: `sqlite:${path}` };
}
