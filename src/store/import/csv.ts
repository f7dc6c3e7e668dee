/**
 * A small RFC 4180 CSV reader: comma-separated fields, records ended by CRLF (LF and a lone CR are accepted
 * too), fields optionally enclosed in double quotes, inside which commas and line breaks are data and `""` is
 * one quote. A leading UTF-8 byte order mark (Excel writes one) is skipped.
 *
 * It is strict where leniency could shift columns, which in a user import could move a password hash into
 * another field: a quote inside an unquoted field or text after a closing quote marks the record as malformed
 * instead of being guessed at. A malformed record is still returned (with `error`) so the caller can report it
 * and go on with the next one.
 */
export interface CsvRecord {
  readonly fields: string[];
  /** Line on which the record starts (1-based); differs from the record number when quoted fields span lines. */
  readonly line: number;
  /** Why the record does not follow RFC 4180, or null. */
  readonly error: string | null;
}

const BYTE_ORDER_MARK = '\uFEFF';

export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const end = text.length;
  let i = text.startsWith(BYTE_ORDER_MARK) ? 1 : 0;
  let line = 1;

  while (i < end) {
    const startLine = line;
    const fields: string[] = [];
    let error: string | null = null;

    for (;;) {
      let value: string;
      if (text[i] === '"') {
        // Quoted field: runs to the next quote that is not doubled.
        value = '';
        let closed = false;
        i++;
        while (i < end) {
          const quote = text.indexOf('"', i);
          const chunk = text.slice(i, quote < 0 ? end : quote);
          value += chunk;
          line += countLineFeeds(chunk);
          if (quote < 0) {
            i = end;
            break;
          }
          if (text[quote + 1] === '"') {
            value += '"';
            i = quote + 2;
          } else {
            i = quote + 1;
            closed = true;
            break;
          }
        }
        if (!closed) {
          error ??= 'a quoted field is not closed before the end of the file';
        } else if (i < end && !isFieldEnd(text, i)) {
          error ??= 'text follows the closing quote of a field';
          while (i < end && !isFieldEnd(text, i)) i++;
        }
      } else {
        const start = i;
        while (i < end && !isFieldEnd(text, i)) i++;
        value = text.slice(start, i);
        if (value.includes('"')) error ??= 'a quote appears inside an unquoted field';
      }
      fields.push(value);

      if (i >= end) break;
      if (text[i] === ',') {
        i++;
        continue;
      }
      // Record end: CRLF, LF or a lone CR.
      i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      break;
    }
    records.push({ fields, line: startLine, error });
  }
  return records;
}

function isFieldEnd(text: string, i: number): boolean {
  const c = text[i];
  return c === ',' || c === '\n' || c === '\r';
}

function countLineFeeds(chunk: string): number {
  let count = 0;
  for (let at = chunk.indexOf('\n'); at >= 0; at = chunk.indexOf('\n', at + 1)) count++;
  return count;
}
