import Database from 'better-sqlite3';
import { DjangoImportError } from './django-user-source.js';
import type { SourceRow } from './django-user-source.js';
import { DJANGO_USER_COLUMNS, REQUIRED_DJANGO_USER_COLUMNS, type RawDjangoUser } from './imported-user.js';

/**
 * Reads `auth_user` from a Django SQLite database, opened read-only so that the Django deployment's file is
 * never changed. Rows come in id order and are numbered from 1 in that order. Integers are read as BigInt:
 * SQLite columns are dynamically typed, and a value above 2^53 must be reported, not rounded.
 */
export function readDjangoSqlite(path: string): SourceRow[] {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new DjangoImportError(`cannot open ${path} as an SQLite database: ${describe(error)}`, {
      cause: error,
    });
  }
  try {
    let columns: Set<string>;
    try {
      const info = db.prepare("SELECT name FROM pragma_table_info('auth_user')").pluck().all() as string[];
      columns = new Set(info);
    } catch (error) {
      throw new DjangoImportError(`${path} is not a readable SQLite database: ${describe(error)}`, {
        cause: error,
      });
    }
    if (columns.size === 0) {
      throw new DjangoImportError(
        `${path} has no auth_user table (a project with a custom AUTH_USER_MODEL keeps users elsewhere)`,
      );
    }
    const missing = REQUIRED_DJANGO_USER_COLUMNS.filter((c) => !columns.has(c));
    if (missing.length > 0)
      throw new DjangoImportError(`auth_user in ${path} lacks the column(s) ${missing.join(', ')}`);

    const selected = DJANGO_USER_COLUMNS.filter((c) => columns.has(c));
    const order = columns.has('id') ? ' ORDER BY "id"' : '';
    const statement = db.prepare(
      `SELECT ${selected.map((c) => `"${c}"`).join(', ')} FROM "auth_user"${order}`,
    );
    statement.safeIntegers(true);
    const rows: SourceRow[] = [];
    let row = 0;
    for (const record of statement.iterate()) {
      rows.push({ row: ++row, raw: record as RawDjangoUser, problem: null });
    }
    return rows;
  } finally {
    db.close();
  }
}

/** better-sqlite3's messages name the file and SQLite's reason; they never contain row data. */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
