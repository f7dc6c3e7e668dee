import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { DjangoImportError } from './django-user-source.js';

export type DjangoExportFormat = 'sqlite' | 'csv' | 'json';

/** Every SQLite 3 database starts with these 16 bytes (https://www.sqlite.org/fileformat.html §1.3). */
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

const BY_EXTENSION: Readonly<Record<string, DjangoExportFormat>> = {
  '.csv': 'csv',
  '.json': 'json',
  '.sqlite': 'sqlite',
  '.sqlite3': 'sqlite',
  '.db': 'sqlite',
};

/** The SQLite header wins over the extension (Django's file is `db.sqlite3`, but copies get renamed). */
export function detectDjangoExportFormat(path: string): DjangoExportFormat {
  if (startsWithSqliteMagic(path)) return 'sqlite';
  const format = BY_EXTENSION[extname(path).toLowerCase()];
  if (format === undefined) {
    throw new DjangoImportError(
      `cannot tell the format of ${path}: name it .csv or .json, or give the format`,
    );
  }
  return format;
}

function startsWithSqliteMagic(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new DjangoImportError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      {
        cause: error,
      },
    );
  }
  try {
    const head = Buffer.alloc(SQLITE_MAGIC.length);
    const read = readSync(fd, head, 0, head.length, 0);
    return read === head.length && head.equals(SQLITE_MAGIC);
  } finally {
    closeSync(fd);
  }
}
