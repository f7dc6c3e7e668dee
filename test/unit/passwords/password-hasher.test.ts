import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hash as packageArgon2Hash } from 'argon2';
import { ARGON2_VERSION_1_3, deriveArgon2, encodeArgon2Phc } from '../../../src/auth/passwords/argon2-phc.js';
import { DEFAULT_PASSWORD_HASHING } from '../../../src/auth/passwords/password-hashing-settings.js';
import { createPasswordHasher } from '../../../src/auth/passwords/password-hasher.js';
import type { PasswordHasher } from '../../../src/auth/passwords/password-hasher.js';
import { PasswordTooLongError } from '../../../src/auth/passwords/password-length.js';
import {
  DJANGO_32_PBKDF2,
  DJANGO_ARGON2I,
  DJANGO_ARGON2I_WITHOUT_VERSION,
  DJANGO_ARGON2ID,
  djangoPbkdf2Sha256,
} from './django-hash-vectors.js';

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

describe('PasswordHasher', () => {
  let hasher: PasswordHasher;
  let aliceHash: string;

  before(async () => {
    hasher = await createPasswordHasher(DEFAULT_PASSWORD_HASHING);
    aliceHash = await hasher.hash('correct horse battery staple');
  });

  describe('hash', () => {
    it('writes a canonical argon2id PHC string with the current parameters, 16-byte salt and 32-byte tag', () => {
      const match = PHC.exec(aliceHash);
      assert.ok(match, aliceHash);
      assert.deepEqual(match.slice(1, 4), ['19456', '2', '1']);
      assert.equal(Buffer.from(match[4]!, 'base64').length, 16);
      assert.equal(Buffer.from(match[5]!, 'base64').length, 32);
    });

    it('salts every hash', async () => {
      assert.notEqual(await hasher.hash('correct horse battery staple'), aliceHash);
    });

    it('refuses a too-long password with an error that does not contain it', async () => {
      const password = 'x'.repeat(1024) + 'SECRET';
      await assert.rejects(hasher.hash(password), (error: unknown) => {
        assert.ok(error instanceof PasswordTooLongError);
        assert.equal(error.code, 'password_too_long');
        assert.ok(!error.message.includes('SECRET'));
        return true;
      });
      await hasher.hash('y'.repeat(1024)); // the limit itself is allowed
    });
  });

  describe('verify', () => {
    it('accepts the right password and refuses a wrong one', async () => {
      assert.equal(await hasher.verify(aliceHash, 'correct horse battery staple'), true);
      assert.equal(await hasher.verify(aliceHash, 'correct horse battery stapler'), false);
      assert.equal(await hasher.verify(aliceHash, ''), false);
    });

    it('hashes non-ASCII passwords as UTF-8', async () => {
      const encoded = await hasher.hash('pässwörd 🔑');
      assert.equal(await hasher.verify(encoded, 'pässwörd 🔑'), true);
      assert.equal(await hasher.verify(encoded, 'passwörd 🔑'), false);
    });

    it('reads argon2id strings with parameters in any order (the argon2 package writes m,p,t)', async () => {
      const encoded = await packageArgon2Hash('hunter2', { memoryCost: 1024, timeCost: 1, parallelism: 1 });
      assert.match(encoded, /m=1024,p=1,t=1/);
      assert.equal(await hasher.verify(encoded, 'hunter2'), true);
      assert.equal(await hasher.verify(encoded, 'hunter3'), false);
    });

    it("verifies Django 3.2's published pbkdf2_sha256 vector", async () => {
      assert.equal(await hasher.verify(DJANGO_32_PBKDF2.encoded, DJANGO_32_PBKDF2.password), true);
      assert.equal(await hasher.verify(DJANGO_32_PBKDF2.encoded, 'lètmeinz'), false);
      assert.equal(await hasher.verify(DJANGO_32_PBKDF2.encoded, 'letmein'), false);
    });

    it('verifies pbkdf2_sha256 hashes built with Django’s algorithm', async () => {
      const salt = 'Vg2nQ7kJ3YpXc8LsT1wRzA'; // Django 4+ salts: 22 characters of [a-zA-Z0-9]
      const encoded = djangoPbkdf2Sha256('Tr0ub4dor&3 – ü', salt, 1000);
      assert.equal(await hasher.verify(encoded, 'Tr0ub4dor&3 – ü'), true);
      assert.equal(await hasher.verify(encoded, 'Tr0ub4dor&3 – u'), false);
      // Salts are UTF-8 too, and any character but `$` is allowed in them.
      const oddSalt = djangoPbkdf2Sha256('pw', 'sél+/=', 1000);
      assert.equal(await hasher.verify(oddSalt, 'pw'), true);
    });

    it('verifies Django argon2 hashes: argon2id, argon2i, and argon2i without a version field', async () => {
      for (const vector of [DJANGO_ARGON2ID, DJANGO_ARGON2I, DJANGO_ARGON2I_WITHOUT_VERSION]) {
        assert.equal(await hasher.verify(vector.encoded, vector.password), true, vector.encoded);
        assert.equal(await hasher.verify(vector.encoded, vector.password + '!'), false, vector.encoded);
      }
    });

    it('answers false, never rejects, for unusable, unknown or damaged hashes', async () => {
      const { encoded: pbkdf2 } = DJANGO_32_PBKDF2;
      const native = aliceHash;
      const refused = [
        '',
        '!',
        '!' + native, // Django set_unusable_password() marker
        '!Xc9pLZrK2HhQ4yWm1NvB8sTa0dEfGuJiOkLl',
        'md5$seasalt$f5531bef9f3687d0ccf0f617f0e25573',
        'pbkdf2_sha1$260000$seasalt$Gm0J6s1oVkqU1T0CxX9bZ3z4G+Q=',
        'bcrypt_sha256$$2b$12$LxI7xS2ZzB5h2n4Rbm1xOe1F3lq8hq5v8y5Qm6zq1n1n1n1n1n1n1',
        'plaintext',
        native.replace('$argon2id$', '$argon2d$'),
        native.replace('$argon2id$', '$argon2i$'), // native format is argon2id only
        'argon2' + native.replace('$argon2id$', '$argon2d$'),
        native.replace('$v=19$', '$v=18$'),
        native.replace('m=19456', 'm=019456'),
        native.replace('t=2', 't=2,t=2'),
        native.replace('p=1', 'p=1,data=YWJj'),
        native + '$extra',
        native.slice(0, -1) + '=', // padding is not PHC base64
        native.replace(/\$([^$]+)$/, '$not*base64'),
        pbkdf2.replace('260000', '-260000'),
        pbkdf2.replace('260000', 'NaN'),
        pbkdf2.replace('260000', '0'),
        pbkdf2.replace('seasalt', ''),
        pbkdf2.slice(0, -1), // padding missing
        pbkdf2.replace('=', 'A='), // 33 bytes
        pbkdf2 + '$x',
      ];
      for (const encoded of refused) {
        assert.equal(await hasher.verify(encoded, DJANGO_32_PBKDF2.password), false, encoded);
        assert.equal(await hasher.verify(encoded, 'correct horse battery staple'), false, encoded);
      }
      assert.equal(await hasher.verify(undefined as unknown as string, 'x'), false);
      assert.equal(await hasher.verify(aliceHash, undefined as unknown as string), false);
    });

    it('refuses a too-long password before hashing: even its own correct hash does not match', async () => {
      const roomy = await createPasswordHasher({ ...DEFAULT_PASSWORD_HASHING, maxPasswordLength: 2048 });
      const long = 'z'.repeat(1500);
      const encoded = await roomy.hash(long);
      assert.equal(await roomy.verify(encoded, long), true);
      assert.equal(await hasher.verify(encoded, long), false);
    });

    it('does not verify a hash whose cost parameters exceed the limits, even with the right password', async () => {
      // 65 lanes is over MAX_ARGON2_PARALLELISM yet cheap to compute, so the tag here is genuine.
      const params = {
        variant: 'argon2id',
        version: ARGON2_VERSION_1_3,
        memoryCostKiB: 65 * 8,
        timeCost: 1,
        parallelism: 65,
      } as const;
      const salt = Buffer.from('0123456789abcdef');
      const encoded = encodeArgon2Phc({ ...params, salt, hash: await deriveArgon2('pw', params, salt, 32) });
      assert.equal(await hasher.verify(encoded, 'pw'), false);
      const allowed = { ...params, parallelism: 64, memoryCostKiB: 64 * 8 };
      const allowedEncoded = encodeArgon2Phc({
        ...allowed,
        salt,
        hash: await deriveArgon2('pw', allowed, salt, 32),
      });
      assert.equal(await hasher.verify(allowedEncoded, 'pw'), true);
    });
  });

  describe('needsRehash', () => {
    it('is false only for argon2id with the current parameters', async () => {
      assert.equal(hasher.needsRehash(aliceHash), false);
      const cheaper = await createPasswordHasher({ ...DEFAULT_PASSWORD_HASHING, memoryCostKiB: 8192 });
      const cheaperHash = await cheaper.hash('pw');
      assert.equal(hasher.needsRehash(cheaperHash), true);
      assert.equal(cheaper.needsRehash(cheaperHash), false);
      assert.equal(cheaper.needsRehash(aliceHash), true);
      for (const changed of [{ timeCost: 3 }, { parallelism: 2 }]) {
        const other = await createPasswordHasher({ ...DEFAULT_PASSWORD_HASHING, ...changed });
        assert.equal(other.needsRehash(aliceHash), true, JSON.stringify(changed));
      }
    });

    it('ignores the password length limit, which is no hash parameter', async () => {
      const other = await createPasswordHasher({ ...DEFAULT_PASSWORD_HASHING, maxPasswordLength: 64 });
      assert.equal(other.needsRehash(aliceHash), false);
    });

    it('is true for argon2 version 1.0, other tag lengths and the argon2 package’s m,p,t order with current values', async () => {
      const match = PHC.exec(aliceHash)!;
      assert.equal(hasher.needsRehash(aliceHash.replace('$v=19$', '$')), true);
      assert.equal(hasher.needsRehash(aliceHash.replace(/\$[^$]+$/, '$' + match[5]!.slice(0, 22))), true);
      // Same parameters, other order: equal values, so no rehash is needed.
      assert.equal(hasher.needsRehash(aliceHash.replace('m=19456,t=2,p=1', 'm=19456,p=1,t=2')), false);
    });

    it('is true for every Django format and for anything unknown', () => {
      for (const encoded of [
        DJANGO_32_PBKDF2.encoded,
        DJANGO_ARGON2ID.encoded,
        DJANGO_ARGON2I.encoded,
        'argon2' + aliceHash, // Django's wrapping of exactly the current parameters
        '!unusable',
        '',
        'garbage',
      ]) {
        assert.equal(hasher.needsRehash(encoded), true, encoded);
      }
    });
  });

  describe('verifyDummy', () => {
    it('answers false whatever the password', async () => {
      assert.equal(await hasher.verifyDummy('correct horse battery staple'), false);
      assert.equal(await hasher.verifyDummy(''), false);
      assert.equal(await hasher.verifyDummy('x'.repeat(5000)), false);
      assert.equal(await hasher.verifyDummy(undefined as unknown as string), false);
    });
  });

  describe('createPasswordHasher', () => {
    it('refuses invalid settings, naming every problem', async () => {
      await assert.rejects(
        createPasswordHasher({ memoryCostKiB: 0, timeCost: 0, parallelism: 1, maxPasswordLength: 10 }),
        (error: unknown) => {
          assert.ok(error instanceof TypeError);
          assert.match(error.message, /memoryCostKiB/);
          assert.match(error.message, /timeCost/);
          return true;
        },
      );
    });
  });
});
