/**
 * Turns the datetimes Django deployments export into ISO 8601 UTC strings (`2024-01-02T03:04:05.123Z`):
 * - Django's SQLite and MySQL columns: `2024-01-02 03:04:05.123456` (no offset);
 * - `manage.py dumpdata` (DjangoJSONEncoder): `2024-01-02T03:04:05.123Z`, or an explicit offset;
 * - PostgreSQL `COPY … CSV`: `2024-01-02 03:04:05.123456+00` or `+05:30`.
 * A value without an offset is read as UTC: with USE_TZ = True (Django's default since 5.0, and in every
 * project template since 1.4) Django stores UTC. Digits beyond milliseconds are dropped. Null when the text
 * is not such a datetime or names an impossible date.
 */
const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?)?$/i;

export function parseDjangoDatetime(text: string): string | null {
  const m = DATETIME.exec(text.trim());
  if (m === null) return null;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millisecond = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const offsetHours = m[10] === undefined ? 0 : Number(m[10]);
  const offsetMinutes = m[11] === undefined ? 0 : Number(m[11]);
  if (year < 1 || hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59)
    return null;

  // setUTCFullYear, not Date.UTC, which maps years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return null;
  date.setUTCHours(hour, minute, second, millisecond);

  const offsetSign = m[9] === '-' ? -1 : 1;
  const offsetMs = offsetSign * (offsetHours * 60 + offsetMinutes) * 60_000;
  return new Date(date.getTime() - offsetMs).toISOString();
}
