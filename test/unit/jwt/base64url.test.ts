import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeBase64Url,
  encodeAsciiBase64Url,
  encodeBase64Url,
  isCanonicalBase64Url,
} from '../../../src/auth/jwt/base64url.js';

describe('strict base64url', () => {
  const cases: Array<[string, string, boolean]> = [
    ['empty (zero bytes)', '', true],
    ['one byte', 'AA', true],
    ['two bytes', 'AAA', true],
    ['three bytes', 'AAAA', true],
    ['URL-safe characters', '-_-_', true],
    ['whole alphabet', 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', true],
    ['length 1 mod 4', 'A', false],
    ['length 5', 'AAAAA', false],
    ['padding', 'AA==', false],
    ['one pad character', 'AAA=', false],
    ['standard alphabet +', 'AA+A', false],
    ['standard alphabet /', 'AA/A', false],
    ['space', 'AA A', false],
    ['newline', 'AAAA\n', false],
    ['dot', 'AA.A', false],
    ['non-ASCII', 'AAé', false],
    ['non-zero spare bits after 1 byte (AB)', 'AB', false],
    ['non-zero spare bits after 1 byte (AP)', 'AP', false],
    ['zero spare bits after 1 byte (AQ)', 'AQ', true],
    ['non-zero spare bits after 2 bytes (AAB)', 'AAB', false],
    ['zero spare bits after 2 bytes (AAE)', 'AAE', true],
    ['a 32-byte HMAC tag', '9EjVtmTxthUsNxfT6y0h0I4ywpYM8b0cLTAE6jiE9g0', true],
    ['the same tag with spare bits set (…9g1)', '9EjVtmTxthUsNxfT6y0h0I4ywpYM8b0cLTAE6jiE9g1', false],
  ];
  for (const [name, text, canonical] of cases) {
    it(`${canonical ? 'accepts' : 'refuses'} ${name}`, () => {
      assert.equal(isCanonicalBase64Url(text), canonical);
      assert.equal(decodeBase64Url(text) !== null, canonical);
    });
  }

  it('accepts exactly the texts that re-encode to themselves', () => {
    for (let length = 0; length <= 6; length++) {
      for (let i = 0; i < 2000; i++) {
        const bytes = Buffer.from(Array.from({ length }, () => Math.floor(Math.random() * 256)));
        const text = encodeBase64Url(bytes);
        assert.equal(isCanonicalBase64Url(text), true);
        assert.deepEqual(decodeBase64Url(text), bytes);
        // Flipping the last character to each other alphabet character keeps it canonical only if it
        // decodes to different bytes (never to the same bytes with other spare bits).
        if (text.length > 0) {
          const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
          const other = text.slice(0, -1) + alphabet[(alphabet.indexOf(text.at(-1)!) + 1 + (i % 63)) % 64];
          const decoded = decodeBase64Url(other);
          if (decoded !== null) assert.notDeepEqual(decoded, bytes);
        }
      }
    }
  });

  it('encodes without padding', () => {
    assert.equal(encodeBase64Url(Buffer.from([0xfb, 0xff])), '-_8');
    assert.equal(encodeAsciiBase64Url('{"alg":"HS256","typ":"JWT"}'), 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9');
    assert.equal(encodeBase64Url(new Uint8Array(Buffer.from('xyz!').buffer, 0, 0)), '');
  });
});
