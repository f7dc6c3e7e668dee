/**
 * Versioned schema migrations, applied in order inside one transaction each; SQLite's `user_version` pragma
 * records the last applied version. Never edit a released migration: add the next one.
 */
import type { Database } from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'users, refresh-token tracking, notes, API keys',
    sql: `
      CREATE TABLE users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT NOT NULL UNIQUE,
        password TEXT NOT NULL,
        is_active INTEGER NOT NULL DEFAULT 1,
        is_staff INTEGER NOT NULL DEFAULT 0,
        is_superuser INTEGER NOT NULL DEFAULT 0,
        date_joined TEXT NOT NULL,
        last_login TEXT,
        tokens_not_before INTEGER NOT NULL DEFAULT 0
      );
      -- Refresh tokens by jti only: the raw token is never stored. user_id is not a foreign key because a token
      -- signed by another deployment with the same key may be blacklisted here (simplejwt does the same).
      CREATE TABLE outstanding_tokens (
        jti TEXT PRIMARY KEY,
        user_id INTEGER,
        family TEXT NOT NULL,
        parent TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        rotated_at INTEGER
      );
      CREATE INDEX outstanding_tokens_user ON outstanding_tokens(user_id);
      CREATE INDEX outstanding_tokens_family ON outstanding_tokens(family);
      CREATE INDEX outstanding_tokens_expiry ON outstanding_tokens(expires_at);
      CREATE TABLE blacklisted_tokens (
        jti TEXT PRIMARY KEY,
        blacklisted_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX blacklisted_tokens_expiry ON blacklisted_tokens(expires_at);
      CREATE TABLE notes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        text TEXT NOT NULL,
        owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL
      );
      CREATE TABLE api_keys (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key_hash BLOB NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      );
    `,
  },
];

export interface MigrationReport {
  readonly from: number;
  readonly to: number;
  readonly applied: readonly Migration[];
}

export function currentVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function latestVersion(): number {
  return MIGRATIONS[MIGRATIONS.length - 1]!.version;
}

/** Applies every pending migration. Safe to run concurrently from several processes (BEGIN IMMEDIATE). */
export function migrate(db: Database): MigrationReport {
  const from = currentVersion(db);
  const applied: Migration[] = [];
  for (const migration of MIGRATIONS) {
    const apply = db.transaction(() => {
      // Re-read inside the write lock: another process may have applied it meanwhile.
      if (currentVersion(db) >= migration.version) return false;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
      return true;
    });
    if (apply.immediate()) applied.push(migration);
  }
  return { from, to: currentVersion(db), applied };
}
