import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_RATE_LIMIT, formatRate, parseRate, parseThrottleRates } from '../../../src/policies/rate.js';

function ok(text: string): { limit: number; periodMs: number } {
  const parsed = parseRate(text);
  assert.ok(parsed.ok, `${text}: ${parsed.ok ? '' : parsed.error}`);
  return { limit: parsed.value.limit, periodMs: parsed.value.periodMs };
}

describe('parseRate', () => {
  it('reads every DRF unit spelling by its first letter', () => {
    for (const unit of ['s', 'sec', 'second', 'seconds'])
      assert.deepEqual(ok(`3/${unit}`), { limit: 3, periodMs: 1_000 });
    for (const unit of ['m', 'min', 'minute', 'minutes'])
      assert.deepEqual(ok(`5/${unit}`), { limit: 5, periodMs: 60_000 });
    for (const unit of ['h', 'hour', 'hr'])
      assert.deepEqual(ok(`7/${unit}`), { limit: 7, periodMs: 3_600_000 });
    for (const unit of ['d', 'day', 'days'])
      assert.deepEqual(ok(`9/${unit}`), { limit: 9, periodMs: 86_400_000 });
    // DRF looks only at period[0]: "mango" is a minute there too.
    assert.deepEqual(ok('5/mango'), { limit: 5, periodMs: 60_000 });
  });

  it('reads multi-unit periods', () => {
    assert.deepEqual(ok('10/5m'), { limit: 10, periodMs: 300_000 });
    assert.deepEqual(ok('100/30s'), { limit: 100, periodMs: 30_000 });
    assert.deepEqual(ok('1000/2h'), { limit: 1000, periodMs: 7_200_000 });
    assert.deepEqual(ok('1/7days'), { limit: 1, periodMs: 7 * 86_400_000 });
  });

  it('trims and keeps the text', () => {
    const parsed = parseRate('  1000/min ');
    assert.ok(parsed.ok);
    assert.equal(parsed.value.text, '1000/min');
  });

  it('refuses what is not a sensible rate', () => {
    for (const bad of [
      '',
      '5',
      '/min',
      '5/',
      '0/min',
      '-5/min',
      '+5/min',
      '5.5/min',
      '1e3/min',
      '5_000/min',
      '5/0m',
      '5/00s',
      '5/x',
      '5/Min',
      '5/ min',
      '5/m/x',
      '5/m2',
      `${MAX_RATE_LIMIT + 1}/s`,
      '99999999999999999999/s',
      '1/367d',
      '1/9999999999999999d',
    ]) {
      const parsed = parseRate(bad);
      assert.equal(parsed.ok, false, bad);
      if (!parsed.ok) assert.ok(parsed.error.length > 0);
    }
    assert.equal(parseRate(5 as unknown as string).ok, false);
    assert.equal(parseRate(null).ok, false);
  });

  it('never throws, whatever it is given (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.stringMatching(/^[0-9]{0,14}\/[0-9]{0,4}[smhdx][a-z]{0,3}$/), fc.anything()),
        (input) => {
          const parsed = parseRate(input);
          assert.equal(typeof parsed.ok, 'boolean');
          if (parsed.ok) {
            assert.ok(
              Number.isInteger(parsed.value.limit) &&
                parsed.value.limit >= 1 &&
                parsed.value.limit <= MAX_RATE_LIMIT,
            );
            assert.ok(Number.isInteger(parsed.value.periodMs) && parsed.value.periodMs >= 1000);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('round-trips valid rates through formatRate (property)', () => {
    const unitMs = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_RATE_LIMIT }),
        fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
        fc.constantFrom('s', 'm', 'h', 'd'),
        fc.constantFrom('', 'ec', 'in', 'our', 'ay', 'x'),
        (limit, multiplier, unit, suffix) => {
          const periodMs = (multiplier ?? 1) * unitMs[unit];
          const parsed = parseRate(`${limit}/${multiplier ?? ''}${unit}${suffix}`);
          if (periodMs > 366 * 86_400_000) return assert.equal(parsed.ok, false);
          assert.ok(parsed.ok);
          assert.deepEqual([parsed.value.limit, parsed.value.periodMs], [limit, periodMs]);
          const again = parseRate(formatRate(parsed.value));
          assert.ok(again.ok);
          assert.deepEqual([again.value.limit, again.value.periodMs], [limit, periodMs]);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('parseThrottleRates', () => {
  it('reads scope=rate lists', () => {
    const parsed = parseThrottleRates('anon=1000/min, user=100000/min,limited=5/min');
    assert.ok(parsed.ok);
    assert.deepEqual(
      [...parsed.value].map(([scope, rate]) => [scope, rate.limit, rate.periodMs]),
      [
        ['anon', 1000, 60_000],
        ['user', 100_000, 60_000],
        ['limited', 5, 60_000],
      ],
    );
  });

  it('reads an empty list as no throttles', () => {
    const parsed = parseThrottleRates('  ');
    assert.ok(parsed.ok);
    assert.equal(parsed.value.size, 0);
  });

  it('reports every problem at once', () => {
    const parsed = parseThrottleRates('anon=1000/min,,user,bad scope=1/s,anon=5/s,x=0/s');
    assert.equal(parsed.ok, false);
    if (parsed.ok) return;
    assert.equal(parsed.errors.length, 5, parsed.errors.join('\n'));
    assert.match(parsed.errors[0]!, /entry 2 is empty/);
    assert.match(parsed.errors[1]!, /scope=rate/);
    assert.match(parsed.errors[2]!, /must be a word/);
    assert.match(parsed.errors[3]!, /given twice/);
    assert.match(parsed.errors[4]!, /x\): the request count/);
  });

  it('never throws (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.anything()), (input) => {
        const parsed = parseThrottleRates(input);
        assert.equal(typeof parsed.ok, 'boolean');
      }),
    );
  });
});
