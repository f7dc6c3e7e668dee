import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DjangoImportError, readDjangoUsers } from '../../../src/store/import/django-users.js';

/** auth_user exactly as `manage.py migrate` creates it in SQLite with Django 3.1 and later. */
const DJANGO_AUTH_USER_DDL =
  'CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, ' +
  '"last_login" datetime NULL, "is_superuser" bool NOT NULL, "username" varchar(150) NOT NULL UNIQUE, ' +
  '"last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" bool NOT NULL, ' +
  '"is_active" bool NOT NULL, "date_joined" datetime NOT NULL, "first_name" varchar(150) NOT NULL)';

const PBKDF2 = 'pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=';
const ARGON2ID = 'argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw';

let scratch: string;
let dbPath: string;

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'gatehouse-django-db-'));
  dbPath = join(scratch, 'db.sqlite3');
  const db = new Database(dbPath);
  db.exec(DJANGO_AUTH_USER_DDL);
  const insert = db.prepare(
    'INSERT INTO auth_user (id, password, last_login, is_superuser, username, last_name, email, is_staff, ' +
      'is_active, date_joined, first_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  // Rows as Django writes them: booleans 0/1, datetimes as UTC text with microseconds.
  insert.run(3, ARGON2ID, null, 0, 'bob', 'B', 'bob@example.com', 0, 0, '2022-02-03 04:05:06.000001', 'Bob');
  insert.run(
    1,
    PBKDF2,
    '2024-01-02 03:04:05.678901',
    1,
    'alice',
    'A',
    'a@example.com',
    1,
    1,
    '2021-04-06 10:11:12',
    'Alice',
  );
  // What a hand-edited or hostile database can hold, since SQLite columns are dynamically typed:
  insert.run(4, PBKDF2, null, 0, 'textbool', '', '', 'yes', 1, '2020-01-01 00:00:00', '');
  insert.run(2 ** 60, PBKDF2, null, 0, 'hugeid', '', '', 0, 1, '2020-01-01 00:00:00', '');
  insert.run(
    5,
    'md5$seasalt$f5531bef9f3687d0ccf0f617f0e25573',
    null,
    0,
    'oldhash',
    '',
    '',
    0,
    1,
    '2020-01-01 00:00:00',
    '',
  );
  db.close();
});

after(() => rmSync(scratch, { recursive: true, force: true }));

describe('readDjangoUsers: SQLite', () => {
  it("reads Django's auth_user in id order and reports the rows it cannot import", () => {
    const { users, problems } = readDjangoUsers(dbPath);
    assert.deepEqual(users, [
      {
        id: 1,
        username: 'alice',
        passwordHash: PBKDF2,
        isActive: true,
        isStaff: true,
        isSuperuser: true,
        dateJoined: '2021-04-06T10:11:12.000Z',
        lastLogin: '2024-01-02T03:04:05.678Z',
      },
      {
        id: 3,
        username: 'bob',
        passwordHash: ARGON2ID,
        isActive: false,
        isStaff: false,
        isSuperuser: false,
        dateJoined: '2022-02-03T04:05:06.000Z',
        lastLogin: null,
      },
    ]);
    assert.deepEqual(problems, [
      'row 3 (id 4, username "textbool"): is_staff must be a boolean (1/0/true/false)',
      'row 4 (id 5, username "oldhash"): password hash algorithm "md5" is not supported (Gatehouse verifies pbkdf2_sha256 and argon2)',
      'row 5 (id 1152921504606846976, username "hugeid"): id must be a positive integer',
    ]);
  });

  it('opens the database read-only and leaves the file unchanged', () => {
    const digest = () => createHash('sha256').update(readFileSync(dbPath)).digest('hex');
    const before = digest();
    readDjangoUsers(dbPath);
    assert.equal(digest(), before);
  });

  it('detects SQLite by its header whatever the file is called', () => {
    const renamed = join(scratch, 'users-backup.json');
    copyFileSync(dbPath, renamed);
    assert.equal(readDjangoUsers(renamed).users.length, 2);
  });

  it('explains a database without auth_user (custom user model) or a file that is no database', () => {
    const other = join(scratch, 'other.sqlite3');
    const db = new Database(other);
    db.exec('CREATE TABLE accounts_user (id integer PRIMARY KEY, username text, password text)');
    db.close();
    assert.throws(
      () => readDjangoUsers(other),
      (error: unknown) => {
        assert.ok(error instanceof DjangoImportError);
        assert.match(error.message, /no auth_user table/);
        return true;
      },
    );
    const notDb = join(scratch, 'not-a-db.sqlite3');
    writeFileSync(notDb, 'username,password\n');
    assert.throws(() => readDjangoUsers(notDb), DjangoImportError);
  });

  it('refuses an auth_user without username or password columns', () => {
    const path = join(scratch, 'odd.sqlite3');
    const db = new Database(path);
    db.exec('CREATE TABLE auth_user (id integer PRIMARY KEY, username text)');
    db.close();
    assert.throws(() => readDjangoUsers(path), /lacks the column\(s\) password/);
  });
});
