/**
 * Property tests of the rate-string parser against a model of DRF's SimpleRateThrottle.parse_rate (fast-check,
 * bounded runs). test/unit/throttle/rate.test.ts already shows it never throws and round-trips; here: it never
 * reads a rate differently from DRF, it accepts every plain rate DRF accepts, the only extra form it reads is
 * the documented multiplier, its messages stay short whatever is pasted into a setting, and a list is accepted
 * exactly when each of its entries is.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_RATE_LIMIT, parseRate, parseThrottleRates } from '../../src/policies/rate.js';

const DRF_DURATION: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * DRF 3.14 parse_rate: `num, period = rate.split('/')` (exactly two parts, else ValueError), `int(num)` (Python
 * int(): surrounding whitespace, a sign and digit-group underscores allowed), then the first character of the
 * period looked up in {s, m, h, d} (KeyError or IndexError otherwise). Returns null where DRF raises.
 */
function drfParseRate(rate: string): { limit: number; periodSec: number } | null {
  const parts = rate.split('/');
  if (parts.length !== 2) return null;
  const [num, period] = parts as [string, string];
  if (!/^\s*[+-]?\d+(?:_\d+)*\s*$/.test(num)) return null;
  const duration = DRF_DURATION[period.charAt(0)];
  if (duration === undefined) return null;
  return { limit: Number(num.trim().replace(/_/g, '')), periodSec: duration };
}

const count = fc.oneof(
  fc.integer({ min: 0, max: 2 * MAX_RATE_LIMIT }).map(String),
  fc.constantFrom(' 5', '+5', '-5', '5_000', '05', '', 'x', '1e3', '0x10', '٣'),
);
const period = fc.oneof(
  fc.constantFrom(
    's',
    'sec',
    'second',
    'm',
    'min',
    'minute',
    'h',
    'hour',
    'd',
    'day',
    'mango',
    'M',
    'Min',
    ' min',
    'min ',
    '',
    'x',
    'm-in',
    'ms',
  ),
  fc
    .tuple(fc.integer({ min: 0, max: 400 }), fc.constantFrom('s', 'm', 'h', 'd', 'min'))
    .map(([n, u]) => `${n}${u}`),
  fc.string({ maxLength: 6 }),
);
const rateText = fc.oneof(
  { arbitrary: fc.tuple(count, period).map(([c, p]) => `${c}/${p}`), weight: 4 },
  { arbitrary: fc.tuple(count, period, period).map(([c, p, q]) => `${c}/${p}/${q}`), weight: 1 },
  { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
);

describe('parseRate against DRF (property)', () => {
  it('reads a rate as DRF does, or reads the documented multiplier form DRF refuses', () => {
    let agreed = 0;
    fc.assert(
      fc.property(rateText, (text) => {
        const ours = parseRate(text);
        if (!ours.ok) return;
        const drf = drfParseRate(text);
        const periodText = text.trim().split('/')[1]!;
        if (/^\d/.test(periodText)) {
          // "10/5m": a multiplier before the unit, Gatehouse's extension (DRF raises KeyError at start-up).
          assert.equal(drf, null);
          return;
        }
        assert.notEqual(drf, null, `DRF refuses ${JSON.stringify(text)}`);
        assert.deepEqual({ limit: ours.value.limit, periodSec: ours.value.periodMs / 1000 }, drf);
        agreed++;
      }),
      { numRuns: 4000 },
    );
    assert.ok(agreed > 200, `only ${agreed} accepted rates were compared`);
  });

  it('accepts every plain rate DRF accepts that limits anything (count 1..1e9, lowercase unit word)', () => {
    fc.assert(
      fc.property(rateText, (text) => {
        const drf = drfParseRate(text);
        const [num, periodText] = text.split('/');
        if (drf === null || !/^\d+$/.test(num!) || drf.limit < 1 || drf.limit > MAX_RATE_LIMIT) return;
        if (!/^[smhd][a-z]*\s*$/.test(periodText!)) return;
        const ours = parseRate(text);
        assert.ok(ours.ok, `${JSON.stringify(text)}: ${ours.ok ? '' : ours.error}`);
      }),
      { numRuns: 4000 },
    );
  });

  it('keeps its message short whatever is pasted into a setting', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.integer({ min: 0, max: 100_000 }), (text, padding) => {
        const input = text + 'x'.repeat(padding) + '/' + 'y'.repeat(padding);
        const parsed = parseRate(input);
        if (!parsed.ok) assert.ok(parsed.error.length < 300, `${parsed.error.length} characters`);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseThrottleRates (property)', () => {
  const scope = fc.oneof(
    fc.constantFrom('anon', 'user', 'limited', 'burst', 'x.y', 'a:b'),
    fc.string({ maxLength: 5 }),
  );

  it('accepts a list exactly when every entry is a word scope given once with a valid rate', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(scope, rateText), { maxLength: 6 }), (entries) => {
        const text = entries.map(([s, r]) => `${s}=${r}`).join(',');
        const parsed = parseThrottleRates(text);
        // The model: split as the parser documents (comma, then the first '='), each part checked on its own.
        const seen = new Set<string>();
        let valid = true;
        const expected: [string, number, number][] = [];
        if (text.trim() !== '') {
          for (const raw of text.split(',')) {
            const entry = raw.trim();
            const equals = entry.indexOf('=');
            const name = equals < 0 ? '' : entry.slice(0, equals).trim();
            const rate = equals < 0 ? null : parseRate(entry.slice(equals + 1));
            if (
              entry === '' ||
              equals < 0 ||
              !/^[A-Za-z0-9_.:-]+$/.test(name) ||
              seen.has(name) ||
              rate === null ||
              !rate.ok
            )
              valid = false;
            else expected.push([name, rate.value.limit, rate.value.periodMs]);
            seen.add(name);
          }
        }
        assert.equal(parsed.ok, valid, text);
        if (parsed.ok)
          assert.deepEqual(
            [...parsed.value].map(([s, r]) => [s, r.limit, r.periodMs]),
            expected,
          );
      }),
      { numRuns: 2000 },
    );
  });
});
