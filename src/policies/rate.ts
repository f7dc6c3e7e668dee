/**
 * Throttle rates as DRF writes them: `<requests>/<period>`.
 *
 * DRF's `SimpleRateThrottle.parse_rate` does `num, period = rate.split('/')`, `int(num)` and then looks up only
 * the first letter of the period in {'s': 1, 'm': 60, 'h': 3600, 'd': 86400}, so `5/min`, `5/minute` and even
 * `5/mango` all mean five a minute. Gatehouse keeps that leniency for the unit word and adds a multiplier in
 * front of the unit (`10/5m`, `100/30s`, `1000/2h`), which DRF rejects. It is stricter where DRF's leniency
 * only hides mistakes: the count is plain decimal digits (Python's int() also takes `+5`, ` 5` or `5_000`),
 * it must be at least 1 (DRF accepts 0 and negatives, which throttle every request), and absurd sizes are
 * refused because counts live in 32-bit shared-memory cells.
 */

export interface Rate {
  /** Requests admitted per period (DRF's num_requests). */
  readonly limit: number;
  /** The period in milliseconds (DRF's duration, in seconds there). */
  readonly periodMs: number;
  /** The rate as written (trimmed), for messages and logs. */
  readonly text: string;
}

export type RateParseResult =
  { readonly ok: true; readonly value: Rate } | { readonly ok: false; readonly error: string };

export type ThrottleRatesParseResult =
  | { readonly ok: true; readonly value: ReadonlyMap<string, Rate> }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Counts are stored in Int32 cells of the shared-memory store; 1e9 leaves headroom below 2^31. */
export const MAX_RATE_LIMIT = 1_000_000_000;
/** One leap year: longer periods are almost certainly a typo, and the bucketed store's offsets stay small. */
export const MAX_RATE_PERIOD_MS = 366 * 86_400_000;

const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const COUNT = /^\d+$/;
/** Optional multiplier, the unit letter DRF looks at, then any letters (DRF ignores everything after period[0]). */
const PERIOD = /^(\d+)?([smhd])[a-z]*$/;
/** The same word rule as the configuration loader: scopes end up in cache keys and log lines. */
const SCOPE = /^[A-Za-z0-9_.:-]+$/;
/** Longer digit strings are refused before Number() so that no precision games are possible. */
const MAX_DIGITS = 12;

export function parseRate(input: unknown): RateParseResult {
  if (typeof input !== 'string') return fail('a rate must be a string like 100/min');
  const text = input.trim();
  const parts = text.split('/');
  if (parts.length !== 2) return fail(`"${clip(text)}" is not <requests>/<period>, e.g. 100/min or 10/5m`);
  const countText = parts[0]!.trim();
  const periodText = parts[1]!;
  if (!COUNT.test(countText) || countText.length > MAX_DIGITS) {
    return fail(`the request count "${clip(countText)}" must be a whole number from 1 to ${MAX_RATE_LIMIT}`);
  }
  const limit = Number(countText);
  if (limit < 1 || limit > MAX_RATE_LIMIT)
    return fail(`the request count must be from 1 to ${MAX_RATE_LIMIT}, not ${limit}`);
  const period = PERIOD.exec(periodText);
  if (period === null) {
    return fail(
      `the period "${clip(periodText)}" must be s, m, h or d (or sec, min, hour, day), optionally after a number: 30s, 5m`,
    );
  }
  const multiplierText = period[1];
  if (multiplierText !== undefined && multiplierText.length > MAX_DIGITS)
    return fail('the period is too long');
  const multiplier = multiplierText === undefined ? 1 : Number(multiplierText);
  if (multiplier < 1) return fail('the period must not be zero');
  const periodMs = multiplier * UNIT_MS[period[2]!]!;
  if (periodMs > MAX_RATE_PERIOD_MS) return fail('the period must be at most 366 days');
  return { ok: true, value: Object.freeze({ limit, periodMs, text }) };
}

/**
 * Parses a list like `anon=1000/min,user=100000/min,limited=5/min` (the form used by environment variables and
 * flags) into scope → rate, reporting every problem rather than the first. An empty list means no throttles.
 */
export function parseThrottleRates(input: unknown): ThrottleRatesParseResult {
  if (typeof input !== 'string')
    return { ok: false, errors: ['throttle rates must be a string like anon=1000/min,user=100/min'] };
  const rates = new Map<string, Rate>();
  const errors: string[] = [];
  if (input.trim() === '') return { ok: true, value: rates };
  const entries = input.split(',');
  entries.forEach((raw, index) => {
    const entry = raw.trim();
    const where = `entry ${index + 1}`;
    if (entry === '') return void errors.push(`${where} is empty`);
    const equals = entry.indexOf('=');
    if (equals < 0)
      return void errors.push(`${where} "${clip(entry)}" must be scope=rate, e.g. anon=1000/min`);
    const scope = entry.slice(0, equals).trim();
    if (!SCOPE.test(scope))
      return void errors.push(`${where}: scope "${clip(scope)}" must be a word (letters, digits, _ . : -)`);
    if (rates.has(scope)) return void errors.push(`${where}: scope "${scope}" is given twice`);
    const parsed = parseRate(entry.slice(equals + 1));
    if (!parsed.ok) return void errors.push(`${where} (${scope}): ${parsed.error}`);
    rates.set(scope, parsed.value);
  });
  return errors.length === 0 ? { ok: true, value: rates } : { ok: false, errors };
}

/** The canonical text of a rate (`5/m`, `10/5m`, `100/30s`): what parseRate reads back to the same limit and period. */
export function formatRate(rate: Pick<Rate, 'limit' | 'periodMs'>): string {
  for (const unit of ['d', 'h', 'm', 's']) {
    const unitMs = UNIT_MS[unit]!;
    if (rate.periodMs % unitMs === 0) {
      const multiplier = rate.periodMs / unitMs;
      return `${rate.limit}/${multiplier === 1 ? '' : multiplier}${unit}`;
    }
  }
  throw new RangeError(`a period of ${rate.periodMs} ms is not a whole number of seconds`);
}

function fail(error: string): RateParseResult {
  return { ok: false, error };
}

/** Keeps messages short when someone pastes something long into a rate setting. */
function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
