import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exceedsCodePoints } from '../../../src/text/code-points.js';

describe("exceedsCodePoints (Python's len())", () => {
  it('counts code points, not UTF-16 units', () => {
    assert.equal(exceedsCodePoints('abc', 3), false);
    assert.equal(exceedsCodePoints('abcd', 3), true);
    assert.equal(exceedsCodePoints('🍮🍮🍮', 3), false); // 6 units, 3 code points
    assert.equal(exceedsCodePoints('🍮🍮🍮a', 3), true);
    assert.equal(exceedsCodePoints('\ud800\ud800\ud800', 3), false); // lone surrogates count one each
    assert.equal(exceedsCodePoints('', 0), false);
    assert.equal(exceedsCodePoints('x', 0), true);
  });

  it('agrees with counting the whole text', () => {
    const pieces = ['a', '🍮', '\ud800', 'é', '\udc00'];
    for (let i = 0; i < 2000; i++) {
      let text = '';
      const n = i % 23;
      for (let j = 0; j < n; j++) text += pieces[(i * 7 + j * 3) % pieces.length];
      const count = [...text].length;
      for (const max of [0, 3, 7, 11, 20])
        assert.equal(exceedsCodePoints(text, max), count > max, JSON.stringify({ text, max }));
    }
  });
});
