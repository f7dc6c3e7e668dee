/**
 * userIdFromClaim against what the reference does with the claim (Django's int() cast in
 * User.objects.get(id=…)): the user it names, "no such user", or a claim it cannot cast at all.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_SUCH_USER, userIdFromClaim } from '../../../src/auth/user-id.js';

describe('userIdFromClaim', () => {
  const cases: [string, unknown, number | null][] = [
    ['an integer', 42, 42],
    ['a float with no fraction (1.0 in JSON)', 1.0, 1],
    ['a float with a fraction, truncated like int()', 1.9, 1],
    ['true, which Python counts as 1', true, 1],
    ['false', false, NO_SUCH_USER],
    ['null', null, NO_SUCH_USER],
    ['zero', 0, NO_SUCH_USER],
    ['a negative integer', -5, NO_SUCH_USER],
    ['a float beyond any id', 1e300, NO_SUCH_USER],
    ['a decimal string', '42', 42],
    ['leading zeros', '007', 7],
    ['surrounding whitespace', ' \t7\n', 7],
    ['a plus sign', '+7', 7],
    ['underscores between digits', '1_000', 1000],
    ['a negative string', '-7', NO_SUCH_USER],
    ['"0"', '0', NO_SUCH_USER],
    ['more than 15 significant digits', '1234567890123456', NO_SUCH_USER],
    ['many leading zeros', `${'0'.repeat(40)}9`, 9],
    ['letters', 'alice', null],
    ['a decimal fraction as text', '1.0', null],
    ['an empty string', '', null],
    ['a doubled underscore', '1__0', null],
    ['a trailing underscore', '10_', null],
    ['hexadecimal', '0x10', null],
    ['Arabic-Indic digits (Python accepts, Gatehouse does not)', '٧', null],
    ['a list', [1], null],
    ['an object', { id: 1 }, null],
    ['missing', undefined, null],
    ['infinity', Infinity, null],
  ];
  for (const [name, claim, expected] of cases) {
    it(`${name} -> ${expected === null ? 'unrecognizable' : expected === NO_SUCH_USER ? 'no such user' : expected}`, () => {
      assert.equal(userIdFromClaim(claim), expected);
    });
  }
});
