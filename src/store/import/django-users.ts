import { readFileSync } from 'node:fs';
import { detectDjangoExportFormat } from './detect-format.js';
import type { DjangoExportFormat } from './detect-format.js';
import { readDjangoCsv } from './django-csv-source.js';
import { readDjangoJson } from './django-json-source.js';
import { readDjangoSqlite } from './django-sqlite-source.js';
import { DjangoImportError } from './django-user-source.js';
import type { SourceRow } from './django-user-source.js';
import { checkDjangoUser } from './imported-user.js';
import type { ImportedUser, RawDjangoUser } from './imported-user.js';

export type { DjangoExportFormat } from './detect-format.js';
export { DjangoImportError } from './django-user-source.js';
export type { ImportedUser } from './imported-user.js';

export interface DjangoUserImport {
  /** The rows that passed every check, in file order. */
  users: ImportedUser[];
  /** One line per rejected row: `row N (id …, username "…"): what is wrong; …`. Those rows are not in users. */
  problems: string[];
}

/**
 * Reads the users of a Django deployment from a SQLite database (`auth_user`), a CSV export or a JSON export
 * (plain objects or `dumpdata auth.user`), so a DRF deployment can move to Gatehouse with its users, ids and
 * password hashes. Each row is checked as a whole and a bad row becomes a problem instead of stopping the
 * import; a username or id seen in an earlier row makes the later row a problem. Throws DjangoImportError only
 * when the file as a whole cannot be read. Writes nothing: storing the users is the caller's job.
 */
export function readDjangoUsers(path: string, format?: DjangoExportFormat): DjangoUserImport {
  const chosen = format ?? detectDjangoExportFormat(path);
  const rows = chosen === 'sqlite' ? readDjangoSqlite(path) : readTextExport(path, chosen);

  const users: ImportedUser[] = [];
  const problems: string[] = [];
  const rowByUsername = new Map<string, number>();
  const rowById = new Map<number, number>();

  for (const entry of rows) {
    if (entry.problem !== null) {
      problems.push(`row ${entry.row}: ${entry.problem}`);
      continue;
    }
    const where = describeRow(entry.row, entry.raw);
    const check = checkDjangoUser(entry.raw);
    if (check.problems !== null) {
      problems.push(`${where}: ${check.problems.join('; ')}`);
      continue;
    }
    const { user } = check;
    const duplicates: string[] = [];
    const usernameRow = rowByUsername.get(user.username);
    if (usernameRow !== undefined) duplicates.push(`username already used in row ${usernameRow}`);
    const idRow = user.id === null ? undefined : rowById.get(user.id);
    if (idRow !== undefined) duplicates.push(`id already used in row ${idRow}`);
    if (duplicates.length > 0) {
      problems.push(`${where}: ${duplicates.join('; ')}`);
      continue;
    }
    rowByUsername.set(user.username, entry.row);
    if (user.id !== null) rowById.set(user.id, entry.row);
    users.push(user);
  }
  return { users, problems };
}

function readTextExport(path: string, format: 'csv' | 'json'): SourceRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DjangoImportError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      {
        cause: error,
      },
    );
  }
  return format === 'csv' ? readDjangoCsv(text, path) : readDjangoJson(text, path);
}

/** `row 3 (id 7, username "bob")`, with whatever of the two is readable; never the password. */
function describeRow(row: number, raw: RawDjangoUser): string {
  const { id, username } = raw;
  const known: string[] = [];
  if (typeof id === 'number' || typeof id === 'bigint' || (typeof id === 'string' && id !== '')) {
    known.push(`id ${JSON.stringify(String(id)).slice(1, -1)}`);
  }
  if (typeof username === 'string' && username !== '') known.push(`username ${JSON.stringify(username)}`);
  return known.length > 0 ? `row ${row} (${known.join(', ')})` : `row ${row}`;
}
