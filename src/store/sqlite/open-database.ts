/**
 * Opens the SQLite database the way every Gatehouse process uses it (better-sqlite3 docs/performance.md):
 * WAL so readers never block the writer and several worker processes share one file; synchronous=NORMAL,
 * which in WAL mode keeps the database consistent after a crash of the process and loses at most the last
 * transactions on a power cut (documented in docs/deployment.md); a busy timeout so a writer waits for another
 * process's transaction instead of failing.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const DATABASE_FILE = 'gatehouse.sqlite3';

export function databasePath(dataDir: string): string {
  return join(dataDir, DATABASE_FILE);
}

export interface OpenOptions {
  readonly readonly?: boolean;
  readonly busyTimeoutMs?: number;
}

export function openDatabase(path: string, options: OpenOptions = {}): Database.Database {
  if (!options.readonly) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let db: Database.Database | null = null;
  try {
    db = new Database(path, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
      timeout: options.busyTimeoutMs ?? 5000,
    });
    if (!options.readonly) db.pragma('journal_mode = WAL');
  } catch (error) {
    db?.close();
    if (options.readonly) throw error;
    throw explainOpenFailure(path, error);
  }
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Automatic checkpoints by every process would compete; one process runs them on a timer instead
  // (cluster duties), with a generous automatic threshold left as a safety net.
  db.pragma('wal_autocheckpoint = 10000');
  return db;
}

/**
 * SQLite says only "unable to open database file" when WAL mode cannot create its -wal/-shm files next to the
 * database: a read-only or full data directory, or one owned by another user. Say which file and what to check,
 * keeping SQLite's code for callers that map it.
 */
function explainOpenFailure(path: string, error: unknown): Error {
  const code = (error as { code?: unknown }).code;
  const reason = error instanceof Error ? error.message : String(error);
  const explained = new Error(
    `cannot open the SQLite database ${path} for writing (${reason}${typeof code === 'string' ? `, ${code}` : ''}): ` +
      'the data directory must be writable by this user and have free space (WAL mode creates -wal and -shm files there)',
    { cause: error },
  );
  return Object.assign(explained, typeof code === 'string' ? { code } : {});
}
