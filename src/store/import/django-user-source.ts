import type { RawDjangoUser } from './imported-user.js';

/**
 * What each export reader (SQLite, CSV, JSON) yields: one entry per row, numbered as the format numbers them
 * (see each reader), either the raw user or why the row could not even be read.
 */
export type SourceRow =
  | { readonly row: number; readonly raw: RawDjangoUser; readonly problem: null }
  | { readonly row: number; readonly raw: null; readonly problem: string };

/** The export as a whole cannot be read (missing file, not a database, no header …). Never quotes a hash. */
export class DjangoImportError extends Error {
  readonly code = 'django_import_failed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DjangoImportError';
  }
}
