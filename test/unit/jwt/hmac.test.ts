import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createHmacTagger, type HmacHash } from '../../../src/auth/jwt/hmac.js';

const HASHES: readonly HmacHash[] = ['sha256', 'sha384', 'sha512'];
const printable = (length: number): Buffer =>
  Buffer.from(Array.from({ length }, (_, i) => 0x21 + ((i * 7 + length) % 94)));

function expected(hash: HmacHash, key: Buffer, message: string): string {
  return createHmac(hash, key).update(message, 'latin1').digest('base64url');
}

describe('HMAC tagger (RFC 2104 over crypto.hash)', () => {
  for (const hash of HASHES) {
    it(`${hash}: equals createHmac for ASCII keys of every length around the block size`, () => {
      for (let length = 1; length <= 300; length++) {
        const key = printable(length);
        const tagger = createHmacTagger(hash, key);
        for (const message of ['', 'a', 'eyJhbGciOiJIUzI1NiJ9.e30', 'x'.repeat(length * 3)]) {
          assert.equal(tagger.tag(message), expected(hash, key, message), `key length ${length}`);
        }
      }
    });

    it(`${hash}: equals createHmac for random and non-ASCII keys (the createHmac fallback)`, () => {
      for (let i = 0; i < 200; i++) {
        const key =
          i % 2 === 0 ? randomBytes(1 + (i % 150)) : Buffer.from(`clé ${i} ☃`.repeat(1 + (i % 9)), 'utf8');
        const tagger = createHmacTagger(hash, key);
        const message =
          randomBytes(20 + i).toString('base64url') + '.' + randomBytes(i).toString('base64url');
        assert.equal(tagger.tag(message), expected(hash, key, message));
      }
    });

    it(`${hash}: tag length is the base64url length of the digest`, () => {
      const tagger = createHmacTagger(hash, printable(20));
      assert.equal(tagger.tag('m').length, tagger.tagLength);
      assert.equal(tagger.tagLength, { sha256: 43, sha384: 64, sha512: 86 }[hash]);
    });
  }

  it('gives the same tag when called repeatedly (the in-place outer buffer is rewritten fully)', () => {
    const tagger = createHmacTagger('sha256', printable(40));
    const first = tagger.tag('one');
    tagger.tag('another message entirely');
    assert.equal(tagger.tag('one'), first);
  });
});
