import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodePaddedBase64, decodeUnpaddedBase64 } from '../../../src/auth/passwords/strict-base64.js';

describe('strict base64', () => {
  it('decodes canonical unpadded base64 (PHC salts and hashes)', () => {
    assert.deepEqual(decodeUnpaddedBase64('c29tZXNhbHQ'), Buffer.from('somesalt'));
    assert.deepEqual(decodeUnpaddedBase64('+/+/'), Buffer.from([0xfb, 0xff, 0xbf]));
  });

  it('refuses padding, the URL-safe alphabet, stray characters and non-canonical tails', () => {
    assert.equal(decodeUnpaddedBase64('c29tZXNhbHQ='), null);
    assert.equal(decodeUnpaddedBase64('-_-_'), null);
    assert.equal(decodeUnpaddedBase64('c29t ZXNhbHQ'), null);
    assert.equal(decodeUnpaddedBase64('c29tZ'), null); // length 1 mod 4
    assert.equal(decodeUnpaddedBase64('c29tZXNhbHR'), null); // same bytes as ...HQ with extra low bits
  });

  it('decodes canonical padded base64 (Django pbkdf2 hashes) and refuses the rest', () => {
    assert.deepEqual(decodePaddedBase64('c29tZXNhbHQ='), Buffer.from('somesalt'));
    assert.equal(decodePaddedBase64('c29tZXNhbHQ'), null);
    assert.equal(decodePaddedBase64('c29tZXNhbHR='), null);
    assert.equal(decodePaddedBase64('c29tZXNh=bHQ'), null);
  });
});
