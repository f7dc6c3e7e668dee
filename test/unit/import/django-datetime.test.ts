import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDjangoDatetime } from '../../../src/store/import/django-datetime.js';

describe('parseDjangoDatetime', () => {
  it('reads what Django SQLite/MySQL columns, dumpdata and PostgreSQL exports hold', () => {
    const cases: Array<[string, string]> = [
      ['2024-01-02 03:04:05.678901', '2024-01-02T03:04:05.678Z'], // SQLite / MySQL (UTC, no offset)
      ['2024-01-02 03:04:05', '2024-01-02T03:04:05.000Z'],
      ['2024-01-02T03:04:05.678Z', '2024-01-02T03:04:05.678Z'], // dumpdata
      ['2024-01-02T03:04:05Z', '2024-01-02T03:04:05.000Z'],
      ['2019-08-09 00:30:37.431999+00', '2019-08-09T00:30:37.431Z'], // PostgreSQL COPY
      ['2019-08-10 12:00:00+05:30', '2019-08-10T06:30:00.000Z'],
      ['2019-08-10T12:00:00-0700', '2019-08-10T19:00:00.000Z'],
      ['2024-02-29 23:59:59.9', '2024-02-29T23:59:59.900Z'],
      ['0099-01-01 00:00:00', '0099-01-01T00:00:00.000Z'],
      [' 2024-01-02 03:04 ', '2024-01-02T03:04:00.000Z'],
    ];
    for (const [input, expected] of cases) assert.equal(parseDjangoDatetime(input), expected, input);
  });

  it('refuses impossible or foreign values', () => {
    for (const input of [
      '',
      'never',
      '2024-01-02',
      '1700000000',
      '2023-02-29 00:00:00',
      '2024-13-01 00:00:00',
      '2024-01-02 24:00:00',
      '2024-01-02 23:60:00',
      '2024-01-02 23:59:60',
      '0000-01-01 00:00:00',
      '2024-01-02 03:04:05+24:00',
      '02/01/2024 03:04',
    ]) {
      assert.equal(parseDjangoDatetime(input), null, input);
    }
  });
});
