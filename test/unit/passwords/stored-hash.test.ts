import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyStoredHash, parseStoredHash } from '../../../src/auth/passwords/stored-hash.js';
import { DJANGO_32_PBKDF2, DJANGO_ARGON2I_WITHOUT_VERSION, DJANGO_ARGON2ID } from './django-hash-vectors.js';

const NATIVE =
  '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$qVd5xSqFS5vuYXXmRNqZf+WgwwMMlmWWHiVXy3ZZ9lY';

describe('parseStoredHash', () => {
  it('reads Gatehouse argon2id', () => {
    const stored = parseStoredHash(NATIVE);
    assert.equal(stored?.format, 'argon2id');
    assert.ok(stored?.format === 'argon2id');
    assert.equal(stored.argon2.memoryCostKiB, 19456);
    assert.equal(stored.argon2.timeCost, 2);
    assert.equal(stored.argon2.parallelism, 1);
    assert.equal(stored.argon2.version, 0x13);
    assert.deepEqual(stored.argon2.salt, Buffer.from('somesaltsomesalt'));
    assert.equal(stored.argon2.hash.length, 32);
  });

  it('reads Django argon2, with version 1.0 when `v=` is missing', () => {
    const id = parseStoredHash(DJANGO_ARGON2ID.encoded);
    assert.ok(id?.format === 'django-argon2');
    assert.deepEqual(
      [
        id.argon2.variant,
        id.argon2.version,
        id.argon2.memoryCostKiB,
        id.argon2.timeCost,
        id.argon2.parallelism,
      ],
      ['argon2id', 0x13, 102400, 2, 8],
    );
    const old = parseStoredHash(DJANGO_ARGON2I_WITHOUT_VERSION.encoded);
    assert.ok(old?.format === 'django-argon2');
    assert.equal(old.argon2.variant, 'argon2i');
    assert.equal(old.argon2.version, 0x10);
  });

  it('reads Django pbkdf2_sha256', () => {
    const stored = parseStoredHash(DJANGO_32_PBKDF2.encoded);
    assert.ok(stored?.format === 'django-pbkdf2_sha256');
    assert.equal(stored.pbkdf2.iterations, 260000);
    assert.equal(stored.pbkdf2.salt, 'seasalt');
    assert.equal(stored.pbkdf2.hash.length, 32);
  });
});

describe('classifyStoredHash', () => {
  it('sorts hashes into usable, unusable, unsupported and over-limits', () => {
    assert.equal(classifyStoredHash(NATIVE), 'usable');
    assert.equal(classifyStoredHash(DJANGO_ARGON2ID.encoded), 'usable');
    assert.equal(classifyStoredHash(DJANGO_32_PBKDF2.encoded), 'usable');
    assert.equal(classifyStoredHash('!abcdefghijklmnopqrstuvwxyz0123456789ABCD'), 'unusable');
    assert.equal(classifyStoredHash('md5$salt$5f4dcc3b5aa765d61d8327deb882cf99'), 'unsupported');
    assert.equal(classifyStoredHash(''), 'unsupported');
  });

  it('flags cost parameters that could stall the server', () => {
    const pbkdf2 = DJANGO_32_PBKDF2.encoded;
    assert.equal(classifyStoredHash(pbkdf2.replace('260000', '10000000')), 'usable');
    assert.equal(classifyStoredHash(pbkdf2.replace('260000', '10000001')), 'over-limits');
    assert.equal(classifyStoredHash(pbkdf2.replace('260000', '9999999999')), 'over-limits');
    assert.equal(classifyStoredHash(NATIVE.replace('m=19456,t=2', 'm=1048576,t=4')), 'usable');
    assert.equal(classifyStoredHash(NATIVE.replace('m=19456', 'm=1048577')), 'over-limits');
    assert.equal(classifyStoredHash(NATIVE.replace('m=19456,t=2', 'm=1048576,t=5')), 'over-limits');
    assert.equal(classifyStoredHash(NATIVE.replace('m=19456,t=2,p=1', 'm=1024,t=1,p=65')), 'over-limits');
    assert.equal(classifyStoredHash(NATIVE.replace('m=19456,t=2,p=1', 'm=15,t=1,p=2')), 'over-limits');
    assert.equal(classifyStoredHash(NATIVE.replace('c29tZXNhbHRzb21lc2FsdA', 'c2FsdA')), 'over-limits'); // 4-byte salt
  });
});
