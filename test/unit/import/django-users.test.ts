import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PASSWORD_HASHING } from '../../../src/auth/passwords/password-hashing-settings.js';
import { createPasswordHasher } from '../../../src/auth/passwords/password-hasher.js';
import { DjangoImportError, readDjangoUsers } from '../../../src/store/import/django-users.js';
import { djangoFixture } from './fixture-path.js';

const PBKDF2 = 'pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=';
const ARGON2ID = 'argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw';
const ARGON2I = 'argon2$argon2i$v=19$m=256,t=1,p=1$c29tZXNhbHQ$AJFIsNZTMKTAewB4+ETN1A';
const UNUSABLE = '!Xc9pLZrK2HhQ4yWm1NvB8sTa0dEfGuJiOkLlMnOpQrSt';

let scratch: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'gatehouse-import-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('readDjangoUsers: CSV', () => {
  it('reads every column, quoting, CRLF, multi-line fields and the boolean spellings', () => {
    const { users, problems } = readDjangoUsers(djangoFixture('users.csv'));
    assert.deepEqual(problems, []);
    assert.deepEqual(users, [
      {
        id: 1,
        username: 'alice',
        passwordHash: PBKDF2,
        isActive: true,
        isStaff: true,
        isSuperuser: true,
        dateJoined: '2021-04-06T10:11:12.123Z',
        lastLogin: '2024-01-02T03:04:05.678Z',
      },
      {
        id: 2,
        username: 'bob',
        passwordHash: ARGON2ID,
        isActive: true,
        isStaff: false,
        isSuperuser: false,
        dateJoined: '2022-02-03T04:05:06.000Z',
        lastLogin: null,
      },
      {
        id: 5,
        username: 'carol+admin@example.com',
        passwordHash: ARGON2I,
        isActive: true,
        isStaff: false,
        isSuperuser: false,
        dateJoined: '2019-08-09T00:30:37.431Z',
        lastLogin: '2019-08-10T06:30:00.000Z',
      },
      {
        id: 7,
        username: 'dave',
        passwordHash: UNUSABLE,
        isActive: false,
        isStaff: false,
        isSuperuser: false,
        dateJoined: '2020-01-01T00:00:00.000Z',
        lastLogin: null,
      },
      {
        id: 8,
        username: 'erin',
        passwordHash: '',
        isActive: false,
        isStaff: true,
        isSuperuser: false,
        dateJoined: '2020-01-01T00:00:00.000Z',
        lastLogin: null,
      },
    ]);
  });

  it('keeps hashes intact: the original passwords verify after import', async () => {
    const hasher = await createPasswordHasher(DEFAULT_PASSWORD_HASHING);
    const { users } = readDjangoUsers(djangoFixture('users.csv'));
    const byName = new Map(users.map((u) => [u.username, u.passwordHash]));
    assert.equal(await hasher.verify(byName.get('alice')!, 'lètmein'), true);
    assert.equal(await hasher.verify(byName.get('bob')!, 'secret'), true);
    assert.equal(await hasher.verify(byName.get('carol+admin@example.com')!, 'password'), true);
    assert.equal(await hasher.verify(byName.get('dave')!, ''), false);
    assert.equal(await hasher.verify(byName.get('erin')!, ''), false);
  });

  it('reports each bad row with its number and every problem, and imports the rest', () => {
    const { users, problems } = readDjangoUsers(djangoFixture('users-bad.csv'));
    assert.deepEqual(
      users.map((u) => u.username),
      ['ok'],
    );
    const expected: Array<[number, RegExp]> = [
      [3, /^row 3 \(id 2, username "nobool"\): is_active must be a boolean/],
      [4, /^row 4 \(id 3\): username is missing or empty$/],
      [5, /^row 5 \(id 4, username "oldmd5"\): password hash algorithm "md5" is not supported/],
      [
        6,
        /^row 6 \(id 5, username "plain"\): password is not a password hash in a format Gatehouse verifies$/,
      ],
      [7, /^row 7 \(id 6, username "slow"\): password hash cost parameters exceed the limits/],
      [8, /^row 8 \(id 7, username "baddate"\): date_joined is not a datetime$/],
      [9, /^row 9: has 4 fields where the header has 6$/],
      [10, /^row 10 \(id 9, username "ok"\): username already used in row 2$/],
      [11, /^row 11 \(id 1, username "dupid"\): id already used in row 2$/],
      [12, /^row 12: malformed CSV: a quote appears inside an unquoted field$/],
      [13, /^row 13 \(id -3, username "negid"\): id must be a positive integer$/],
      [
        14,
        /^row 14 \(id 12, username "multi"\): password hash algorithm "md5".*; is_active .*; date_joined /,
      ],
    ];
    assert.equal(problems.length, expected.length, problems.join('\n'));
    expected.forEach(([, pattern], index) => assert.match(problems[index]!, pattern));
  });

  it('never quotes a password or a hash in a problem', () => {
    const { problems } = readDjangoUsers(djangoFixture('users-bad.csv'));
    const text = problems.join('\n');
    for (const secret of ['hunter2', 'seasalt', 'YlZ2Vggt', 'f5531bef'])
      assert.ok(!text.includes(secret), secret);
  });

  it('requires username and password columns, in any case and order', () => {
    const path = join(scratch, 'no-password.csv');
    writeFileSync(path, 'ID,UserName,email\n1,alice,a@example.com\n');
    assert.throws(
      () => readDjangoUsers(path),
      (error: unknown) => {
        assert.ok(error instanceof DjangoImportError);
        assert.match(error.message, /lacks the column\(s\) password/);
        return true;
      },
    );
    const upper = join(scratch, 'upper.csv');
    writeFileSync(upper, `\uFEFFPassword , USERNAME\n${PBKDF2},alice\n`);
    const { users, problems } = readDjangoUsers(upper);
    assert.deepEqual(problems, []);
    assert.deepEqual(users[0], {
      id: null,
      username: 'alice',
      passwordHash: PBKDF2,
      isActive: true, // Django's defaults when the column is absent
      isStaff: false,
      isSuperuser: false,
      dateJoined: null,
      lastLogin: null,
    });
  });

  it('refuses a header naming a column twice, and an empty file', () => {
    const twice = join(scratch, 'twice.csv');
    writeFileSync(twice, 'username,password,username\n');
    assert.throws(() => readDjangoUsers(twice), /names "username" twice/);
    const empty = join(scratch, 'empty.csv');
    writeFileSync(empty, '');
    assert.throws(() => readDjangoUsers(empty), DjangoImportError);
  });
});

describe('readDjangoUsers: JSON', () => {
  it('reads manage.py dumpdata auth.user', () => {
    const { users, problems } = readDjangoUsers(djangoFixture('users-dumpdata.json'));
    assert.deepEqual(problems, []);
    assert.deepEqual(users, [
      {
        id: 1,
        username: 'alice',
        passwordHash: PBKDF2,
        isActive: true,
        isStaff: true,
        isSuperuser: true,
        dateJoined: '2021-04-06T10:11:12.123Z',
        lastLogin: '2024-01-02T03:04:05.678Z',
      },
      {
        id: 2,
        username: 'bob',
        passwordHash: ARGON2ID,
        isActive: false,
        isStaff: false,
        isSuperuser: false,
        dateJoined: '2022-02-03T04:05:06.000Z',
        lastLogin: null,
      },
    ]);
  });

  it('reads an array of plain user objects, with defaults for what is missing', () => {
    const { users, problems } = readDjangoUsers(djangoFixture('users-plain.json'));
    assert.deepEqual(problems, []);
    assert.deepEqual(users, [
      {
        id: 10,
        username: 'alice',
        passwordHash: PBKDF2,
        isActive: true,
        isStaff: true,
        isSuperuser: false,
        dateJoined: '2021-04-06T10:11:12.000Z',
        lastLogin: null,
      },
      {
        id: null,
        username: 'nobody-knows-my-id',
        passwordHash: UNUSABLE,
        isActive: true,
        isStaff: false,
        isSuperuser: false,
        dateJoined: null,
        lastLogin: null,
      },
    ]);
  });

  it('reports bad entries, including entries of another model', () => {
    const { users, problems } = readDjangoUsers(djangoFixture('users-bad.json'));
    assert.deepEqual(users, []);
    assert.deepEqual(problems, [
      'row 1: is not a JSON object',
      'row 2: is a "accounts.user" entry, not auth.user',
      'row 3: has no "fields" object',
      'row 4 (id 5, username "maybe-staff"): is_staff must be a boolean (1/0/true/false)',
      'row 5 (id abc, username "textpk"): id must be a positive integer',
      'row 6 (id 6, username "fine"): date_joined is not a datetime',
      'row 7 (id 7, username "damaged"): password hash is not a well-formed pbkdf2_sha256 hash',
    ]);
  });

  it('refuses a file that is not JSON without quoting it', () => {
    const path = join(scratch, 'broken.json');
    writeFileSync(path, `[{"username": "x", "password": "${PBKDF2}",}]`);
    assert.throws(
      () => readDjangoUsers(path),
      (error: unknown) => {
        assert.ok(error instanceof DjangoImportError);
        assert.ok(!error.message.includes('seasalt'));
        assert.match(error.message, /is not valid JSON$/);
        return true;
      },
    );
    const object = join(scratch, 'object.json');
    writeFileSync(object, '{"username": "x"}');
    assert.throws(() => readDjangoUsers(object), /must hold a JSON array/);
  });
});

describe('readDjangoUsers: format', () => {
  it('follows an explicit format over the extension', () => {
    const path = join(scratch, 'export.txt');
    copyFileSync(djangoFixture('users-plain.json'), path);
    assert.throws(() => readDjangoUsers(path), /cannot tell the format/);
    assert.equal(readDjangoUsers(path, 'json').users.length, 2);
  });

  it('reports a missing file as a DjangoImportError', () => {
    for (const name of ['missing.csv', 'missing.json', 'missing.sqlite3']) {
      assert.throws(() => readDjangoUsers(join(scratch, name)), DjangoImportError);
    }
    assert.throws(() => readDjangoUsers(join(scratch, 'missing.db'), 'sqlite'), DjangoImportError);
  });
});
