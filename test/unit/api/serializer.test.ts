/**
 * validateCharFields against DRF 3.14's CharField: what it trims (Python's str.strip()), what it refuses and
 * in which order it lists the failures. The messages are DRF's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateCharFields } from '../../../src/api/serializer.js';

const TEXT = [{ name: 'text', maxLength: 5 }];

function errorsOf(value: unknown): unknown {
  const result = validateCharFields({ text: value }, TEXT);
  return result.ok ? result.values['text'] : JSON.parse(result.error.body as string);
}

describe('validateCharFields (DRF CharField)', () => {
  it("trims what Python's str.strip() trims, and only that", () => {
    // Every character str.isspace() is true for (U+001C-U+001F and U+0085 included, unlike String.trim()).
    const pythonSpaces =
      '\t\n\v\f\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000';
    assert.equal(errorsOf(`${pythonSpaces}ab${pythonSpaces}`), 'ab');
    // U+FEFF is whitespace to String.trim(), not to Python; U+200B is neither.
    assert.equal(errorsOf('\ufeffab'), '\ufeffab');
    assert.equal(errorsOf('\u200bab'), '\u200bab');
    assert.equal(errorsOf('a  b'), 'a  b');
    assert.deepEqual(errorsOf(pythonSpaces), { text: ['This field may not be blank.'] });
  });

  it('takes numbers as their decimal text and refuses other non-strings', () => {
    assert.equal(errorsOf(12), '12');
    assert.deepEqual(errorsOf(true), { text: ['Not a valid string.'] });
    assert.deepEqual(errorsOf(null), { text: ['This field may not be null.'] });
    assert.deepEqual(validateCharFields({}, TEXT).ok, false);
  });

  it('runs every validator and lists each failure in DRF order', () => {
    assert.deepEqual(errorsOf('abcdef'), { text: ['Ensure this field has no more than 5 characters.'] });
    assert.deepEqual(errorsOf('a\u0000b'), { text: ['Null characters are not allowed.'] });
    assert.deepEqual(errorsOf('abcdef\u0000\ud800'), {
      text: [
        'Ensure this field has no more than 5 characters.',
        'Null characters are not allowed.',
        'Surrogate characters are not allowed: U+D800.',
      ],
    });
  });

  it('counts code points, and names the first lone surrogate only', () => {
    assert.equal(errorsOf('🍮🍮🍮🍮🍮'), '🍮🍮🍮🍮🍮');
    assert.deepEqual(errorsOf('🍮🍮🍮🍮🍮🍮'), {
      text: ['Ensure this field has no more than 5 characters.'],
    });
    assert.deepEqual(errorsOf('a\udf6e\ud83c'), { text: ['Surrogate characters are not allowed: U+DF6E.'] });
    assert.deepEqual(errorsOf('\ud83c\udf6e\ud83c'), {
      text: ['Surrogate characters are not allowed: U+D83C.'],
    });
  });

  it('strips a long run of spaces in linear time (no backtracking)', () => {
    const long = `a${' '.repeat(1_000_000)}b${' '.repeat(1_000_000)}`;
    const result = validateCharFields({ text: long }, [{ name: 'text' }]);
    assert.ok(result.ok);
    assert.equal(result.values['text']!.length, 1_000_002);
  });
});
