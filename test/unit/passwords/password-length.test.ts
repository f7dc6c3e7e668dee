import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPasswordTooLong } from '../../../src/auth/passwords/password-length.js';

describe('isPasswordTooLong', () => {
  const limit = { maxPasswordLength: 8 };

  it('accepts up to the limit and refuses one more', () => {
    assert.equal(isPasswordTooLong('', limit), false);
    assert.equal(isPasswordTooLong('a'.repeat(8), limit), false);
    assert.equal(isPasswordTooLong('a'.repeat(9), limit), true);
    assert.equal(isPasswordTooLong('a'.repeat(100_000), limit), true);
  });

  it('counts Unicode code points, as Python len() does, not UTF-16 units', () => {
    const emoji = '\u{1F511}'; // one code point, two UTF-16 units
    assert.equal(isPasswordTooLong(emoji.repeat(8), limit), false);
    assert.equal(isPasswordTooLong(emoji.repeat(9), limit), true);
    assert.equal(isPasswordTooLong(emoji.repeat(7) + 'ab', limit), true);
    assert.equal(isPasswordTooLong(emoji.repeat(7) + 'a', limit), false);
  });
});
