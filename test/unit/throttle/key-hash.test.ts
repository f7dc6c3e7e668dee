import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyHasher } from '../../../src/store/throttle/key-hash.js';

/** HalfSipHash-2-4, 64-bit output, key 00..07, message 00..(n-1): vectors.h of github.com/veorq/SipHash (even n). */
const REFERENCE: readonly string[] = [
  '218d1f59b9b83cc8',
  '064f39ef7c50eb57',
  'd5e78a175be52ea1',
  'ce3e91358aa2bc25',
  'edfee820bce4858c',
  '95b0469f06a6f2ee',
  '7bc71f9faef5c799',
  '3bb1a870eae8e658',
  '7336aad25f7bf3b5',
  'c9b2db2b9a3e42f9',
  '1bf52b0a6feea7db',
  'e20103fa1ba776ef',
  '70741045ae3fa6f1',
  '0d899ed8112923f0',
  '2d925ffb1e0016b5',
  '291aaf864898179d',
  '28709d46d811626c',
  '8324e4d7528f9830',
  '86d67a40ec4276dc',
  'cbd92ee724d42109',
  '5b38c81c67c8ae4c',
  'a91a52c025327024',
  '1e30f3ad27dcb15a',
  '495c0f995557dc38',
  'a9eaa8c04ba93e3e',
  '912d568fd8f65a49',
  '02445a7998f550e1',
  '359569e7d289e3bc',
  'a1a492f942f15f1d',
  '5d1b5ea1b231d89d',
  'd6762890bf26e460',
  'f90b3ab572d46693',
];

function hex(hasher: KeyHasher): string {
  const bytes = Buffer.alloc(8);
  bytes.writeInt32LE(hasher.a, 0);
  bytes.writeInt32LE(hasher.b, 4);
  return bytes.toString('hex');
}

describe('KeyHasher (HalfSipHash-2-4-64)', () => {
  it('matches the reference vectors (UTF-16 units as little-endian byte pairs)', () => {
    const hasher = new KeyHasher(0x03020100, 0x07060504);
    REFERENCE.forEach((expected, index) => {
      const bytes = 2 * index;
      let key = '';
      for (let unit = 0; unit < bytes / 2; unit++)
        key += String.fromCharCode((2 * unit) | ((2 * unit + 1) << 8));
      hasher.hash(key);
      assert.equal(hex(hasher), expected, `length ${bytes}`);
    });
  });

  it('depends on the key', () => {
    const one = new KeyHasher(1, 2);
    const other = new KeyHasher(1, 3);
    one.hash('ip:203.0.113.7');
    other.hash('ip:203.0.113.7');
    assert.notEqual(hex(one), hex(other));
  });

  it('spreads similar keys (no collisions among 200,000 addresses)', () => {
    const hasher = new KeyHasher(0x1234567, 0x7654321);
    const seen = new Set<string>();
    for (let i = 0; i < 200_000; i++) {
      hasher.hash(`ip:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      seen.add(hex(hasher));
    }
    assert.equal(seen.size, 200_000);
  });
});
