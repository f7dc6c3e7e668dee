/**
 * Which SQLite failures mean "the database cannot serve this right now" rather than "this code is wrong": a
 * read-only or full disk, an I/O error, a lock held past the busy timeout, a file that cannot be opened. The
 * request that met one gets a 503 with a clear body instead of a 500, and the worker keeps running: restarting
 * it would not make the disk writable, only turn one fault into a crash loop.
 *
 * better-sqlite3 throws SqliteError with the extended result code as text (`SQLITE_READONLY_DBMOVED`,
 * `SQLITE_IOERR_WRITE`, …; https://www.sqlite.org/rescode.html), so the primary code is its prefix.
 */
import { ERRORS, type ErrorSpec } from '../../errors.js';

/** Primary result code → answer. Extended codes (`SQLITE_BUSY_TIMEOUT`) share their primary code's answer. */
const UNAVAILABLE: ReadonlyMap<string, ErrorSpec> = new Map([
  // Writes refused; reads still work, so the body says writes.
  ['SQLITE_READONLY', ERRORS.database_read_only],
  ['SQLITE_FULL', ERRORS.database_read_only],
  // The busy timeout (open-database.ts) has already been waited for: another process holds the lock.
  ['SQLITE_BUSY', ERRORS.service_unavailable],
  ['SQLITE_LOCKED', ERRORS.service_unavailable],
  ['SQLITE_IOERR', ERRORS.service_unavailable],
  ['SQLITE_CANTOPEN', ERRORS.service_unavailable],
  ['SQLITE_PROTOCOL', ERRORS.service_unavailable],
]);

/** The 503 to answer for an error thrown by the SQLite store, or null when it is not an availability fault. */
export function unavailableErrorOf(error: unknown): ErrorSpec | null {
  if (error === null || typeof error !== 'object') return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return null;
  const exact = UNAVAILABLE.get(code);
  if (exact !== undefined) return exact;
  const underscore = code.indexOf('_', 'SQLITE_'.length);
  return underscore < 0 ? null : (UNAVAILABLE.get(code.slice(0, underscore)) ?? null);
}
