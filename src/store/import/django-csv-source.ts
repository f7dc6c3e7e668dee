import { parseCsv } from './csv.js';
import { DjangoImportError } from './django-user-source.js';
import type { SourceRow } from './django-user-source.js';
import { DJANGO_USER_COLUMNS, REQUIRED_DJANGO_USER_COLUMNS, type RawDjangoUser } from './imported-user.js';

const KNOWN_COLUMNS = new Set<string>(DJANGO_USER_COLUMNS);

/**
 * Reads a CSV export whose header row names at least `username` and `password` (any order, any case; other
 * columns such as email are ignored). Rows are numbered as a spreadsheet shows them, the header being row 1;
 * the line is added when a quoted field made the two differ. Empty lines are skipped.
 */
export function readDjangoCsv(text: string, path: string): SourceRow[] {
  const records = parseCsv(text);
  const header = records[0];
  if (header === undefined) throw new DjangoImportError(`${path} is empty`);
  if (header.error !== null)
    throw new DjangoImportError(`the header row of ${path} is malformed: ${header.error}`);

  const names = header.fields.map((name) => name.trim().toLowerCase());
  const seen = new Set<string>();
  for (const name of names) {
    if (name !== '' && seen.has(name))
      throw new DjangoImportError(`the header row of ${path} names "${name}" twice`);
    seen.add(name);
  }
  const missing = REQUIRED_DJANGO_USER_COLUMNS.filter((c) => !seen.has(c));
  if (missing.length > 0) {
    throw new DjangoImportError(`the header row of ${path} lacks the column(s) ${missing.join(', ')}`);
  }
  const wanted = names.flatMap((name, index) => (KNOWN_COLUMNS.has(name) ? [[name, index] as const] : []));

  const rows: SourceRow[] = [];
  for (let index = 1; index < records.length; index++) {
    const record = records[index]!;
    const row = index + 1;
    const where = record.line === row ? '' : ` (line ${record.line})`;
    if (record.error === null && record.fields.length === 1 && record.fields[0] === '') continue;
    if (record.error !== null) {
      rows.push({ row, raw: null, problem: `malformed CSV${where}: ${record.error}` });
    } else if (record.fields.length !== names.length) {
      rows.push({
        row,
        raw: null,
        problem: `has ${record.fields.length} fields where the header has ${names.length}${where}`,
      });
    } else {
      const raw: Record<string, string> = {};
      for (const [name, column] of wanted) raw[name] = record.fields[column]!;
      rows.push({ row, raw: raw as RawDjangoUser, problem: null });
    }
  }
  return rows;
}
