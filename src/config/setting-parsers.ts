/**
 * Parsers for configuration values. Each accepts the value as it comes from a JSON config file (any JSON type)
 * or from the environment / a command-line flag (always a string), and returns the typed value or a message
 * saying what was expected. Messages never echo secret values.
 */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; expected: string };

export type SettingParser<T> = (raw: unknown) => ParseResult<T>;

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const bad = <T>(expected: string): ParseResult<T> => ({ ok: false, expected });

export function integer(min: number, max: number): SettingParser<number> {
  const expected = `an integer from ${min} to ${max}`;
  return (raw) => {
    const n =
      typeof raw === 'number'
        ? raw
        : typeof raw === 'string' && /^-?\d+$/.test(raw.trim())
          ? Number(raw)
          : NaN;
    return Number.isInteger(n) && n >= min && n <= max ? ok(n) : bad(expected);
  };
}

export const boolean: SettingParser<boolean> = (raw) => {
  if (typeof raw === 'boolean') return ok(raw);
  if (typeof raw === 'string') {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return ok(true);
    if (['0', 'false', 'no', 'off'].includes(v)) return ok(false);
  }
  return bad('a boolean (true/false, 1/0, yes/no, on/off)');
};

export function text(
  options: { allowEmpty?: boolean; pattern?: RegExp; describe?: string } = {},
): SettingParser<string> {
  const expected = options.describe ?? (options.allowEmpty ? 'a string' : 'a non-empty string');
  return (raw) => {
    if (typeof raw !== 'string') return bad(expected);
    if (!options.allowEmpty && raw.length === 0) return bad(expected);
    if (options.pattern && !options.pattern.test(raw)) return bad(expected);
    return ok(raw);
  };
}

export function nullableText(describe = 'a string (empty for none)'): SettingParser<string | null> {
  return (raw) => {
    if (raw === null) return ok(null);
    if (typeof raw !== 'string') return bad(describe);
    return ok(raw.length === 0 ? null : raw);
  };
}

export function oneOf<T extends string>(choices: readonly T[]): SettingParser<T> {
  const expected = `one of ${choices.join(', ')}`;
  return (raw) =>
    typeof raw === 'string' && (choices as readonly string[]).includes(raw) ? ok(raw as T) : bad(expected);
}

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** A duration in seconds: a number of seconds, or text like "300", "300s", "5m", "1h", "1d", "250ms". */
export function durationSeconds(min: number, max: number): SettingParser<number> {
  const expected = `a duration from ${min}s to ${max}s (seconds, or a number with ms/s/m/h/d)`;
  return (raw) => {
    let seconds = NaN;
    if (typeof raw === 'number') seconds = raw;
    else if (typeof raw === 'string') {
      const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(raw);
      if (m) seconds = Number(m[1]) * DURATION_UNITS[m[2] ?? 's']!;
    }
    return Number.isFinite(seconds) && seconds >= min && seconds <= max ? ok(seconds) : bad(expected);
  };
}

/** A list: a JSON array of strings in a file, comma-separated text in the environment. */
export function stringList(itemPattern?: RegExp, describe = 'a list of strings'): SettingParser<string[]> {
  return (raw) => {
    let items: unknown[];
    if (Array.isArray(raw)) items = raw;
    else if (typeof raw === 'string')
      items = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    else return bad(describe);
    const strings: string[] = [];
    for (const item of items) {
      if (typeof item !== 'string' || item.length === 0 || (itemPattern && !itemPattern.test(item)))
        return bad(describe);
      strings.push(item);
    }
    return ok(strings);
  };
}

/** scope=rate pairs: a JSON object in a file, `a=1/min,b=5/s` in the environment. Rates are checked later. */
export const scopeMap: SettingParser<Record<string, string>> = (raw) => {
  const expected = 'scope=rate pairs, e.g. anon=1000/min,user=100000/min (a JSON object in a file)';
  const out: Record<string, string> = {};
  if (typeof raw === 'string') {
    for (const part of raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)) {
      const eq = part.indexOf('=');
      if (eq <= 0) return bad(expected);
      out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
    return ok(out);
  }
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v !== 'string') return bad(expected);
      out[k] = v;
    }
    return ok(out);
  }
  return bad(expected);
};

/** Any JSON value: a JSON document in the environment, the value itself in a file. Checked by the caller. */
export const json: SettingParser<unknown> = (raw) => {
  if (typeof raw !== 'string') return ok(raw);
  try {
    return ok(JSON.parse(raw) as unknown);
  } catch {
    return bad('a JSON document');
  }
};
