/**
 * HTTP Basic (DRF's BasicAuthentication): header recognition and messages, Python's lenient base64 decoding,
 * the UTF-8 / latin-1 fallback, and the password check (argon2 through the PasswordHasher, verifyDummy for
 * unknown users, inactive users refused like wrong passwords, Django hashes upgraded).
 */
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { describe, it } from 'node:test';
import { createPasswordHasher, type PasswordHasher } from '../../../src/auth/passwords/index.js';
import {
  createBasicAuthentication,
  parseBasicHeader,
} from '../../../src/auth/schemes/basic-authentication.js';
import { pythonB64Decode } from '../../../src/auth/schemes/python-base64.js';
import { ERRORS } from '../../../src/errors.js';
import type { UserRecord, UserStore } from '../../../src/store/types.js';
import { fakeContext } from './fake-context.js';

const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');

describe("Python's base64.b64decode (validate=False)", () => {
  // Expected values as CPython 3.11 answers them; null where it raises binascii.Error.
  const cases: [string, string | null][] = [
    ['YWxpY2U6cHc=', 'alice:pw'],
    ['YWJj', 'abc'],
    ['YQ==', 'a'],
    ['YWI=', 'ab'],
    ['', ''],
    ['YWxpY2U6cHc', null], // three characters left without their pad: "Incorrect padding"
    ['YQ', null],
    ['YQ=', null],
    ['Y', null], // one character more than a multiple of four
    ['!!!!', ''], // characters outside the alphabet are skipped
    ['Y!W!J!j', 'abc'],
    ['-_-_', ''], // the URL-safe alphabet is not the standard one
    ['YQ==YWJj', 'a'], // a completed pad ends the data
    ['Y=Q==', 'a'], // a pad too early is skipped
    ['YWJj=', 'abc'], // a pad after a complete quantum is skipped
    ['YWJj====', 'abc'],
    ['YW\u00e9Jj', 'abc'], // non-ASCII characters (one per header byte) are skipped
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected === null ? 'error' : JSON.stringify(expected)}`, () => {
      const decoded = pythonB64Decode(input);
      assert.equal(decoded === null ? null : decoded.toString('latin1'), expected);
    });
  }

  it('agrees with Buffer on canonical base64 of random bytes', () => {
    for (let n = 0; n < 64; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));
      assert.deepEqual(pythonB64Decode(bytes.toString('base64')), bytes);
    }
  });
});

describe('Basic header parsing (DRF messages)', () => {
  it('is not recognised without the Basic word', () => {
    for (const header of ['', 'Bearer abc', 'Basicx YQ==', 'Token YQ==', '   '])
      assert.equal(parseBasicHeader(header), null, header);
  });

  it('recognises the word in any case and around any ASCII whitespace (bytes.split().lower())', () => {
    for (const header of [
      `Basic ${b64('alice:pw')}`,
      `basic ${b64('alice:pw')}`,
      `BASIC\t${b64('alice:pw')}`,
      `  Basic   ${b64('alice:pw')}  `,
    ]) {
      assert.deepEqual(parseBasicHeader(header), { username: 'alice', password: 'pw' }, header);
    }
  });

  it('answers DRF’s messages for a missing credential, spaces, and bad base64', () => {
    assert.equal(parseBasicHeader('Basic'), ERRORS.basic_no_credentials);
    assert.equal(parseBasicHeader('Basic a b'), ERRORS.invalid_basic_header);
    assert.equal(parseBasicHeader('Basic YQ'), ERRORS.invalid_basic_encoding);
    assert.equal(
      ERRORS.basic_no_credentials.body,
      '{"detail":"Invalid basic header. No credentials provided."}',
    );
    assert.equal(
      ERRORS.invalid_basic_header.body,
      '{"detail":"Invalid basic header. Credentials string should not contain spaces."}',
    );
    assert.equal(
      ERRORS.invalid_basic_encoding.body,
      '{"detail":"Invalid basic header. Credentials not correctly base64 encoded."}',
    );
  });

  it('splits at the first colon (str.partition), an absent colon meaning an empty password', () => {
    assert.deepEqual(parseBasicHeader(`Basic ${b64('a:b:c')}`), { username: 'a', password: 'b:c' });
    assert.deepEqual(parseBasicHeader(`Basic ${b64('alice')}`), { username: 'alice', password: '' });
    assert.deepEqual(parseBasicHeader(`Basic ${b64(':pw')}`), { username: '', password: 'pw' });
  });

  it('decodes UTF-8, and latin-1 when the bytes are not UTF-8', () => {
    assert.deepEqual(parseBasicHeader(`Basic ${b64('josé:pässword')}`), {
      username: 'josé',
      password: 'pässword',
    });
    assert.deepEqual(parseBasicHeader(`Basic ${b64(Buffer.from([0x6a, 0xe9, 0x3a, 0x78]))}`), {
      username: 'j\u00e9',
      password: 'x',
    });
  });
});

describe('Basic authentication (the password check)', () => {
  const FAST = { memoryCostKiB: 1024, timeCost: 1, parallelism: 1, maxPasswordLength: 1024 };

  async function setUp(users: { username: string; password: string; isActive?: boolean; hash?: string }[]) {
    const real = await createPasswordHasher(FAST);
    const calls = { verify: 0, dummy: 0 };
    const hasher: PasswordHasher = {
      ...real,
      verify: (encoded, password) => (calls.verify++, real.verify(encoded, password)),
      verifyDummy: (password) => (calls.dummy++, real.verifyDummy(password)),
    };
    const records = new Map<string, UserRecord>();
    let id = 0;
    for (const u of users) {
      records.set(u.username, {
        id: ++id,
        username: u.username,
        passwordHash: u.hash ?? (await real.hash(u.password)),
        isActive: u.isActive ?? true,
        isStaff: false,
        isSuperuser: false,
        dateJoined: '2024-01-01T00:00:00Z',
        lastLogin: null,
        tokensNotBefore: 0,
      });
    }
    const rehashed: string[] = [];
    const store = {
      findByUsername: (name: string) => records.get(name) ?? null,
      setPasswordHash: (userId: number, hash: string) => void rehashed.push(`${userId}:${hash}`),
    } as unknown as UserStore;
    const scheme = createBasicAuthentication({ users: store, passwords: hasher });
    const authenticate = (username: string, password: string) =>
      scheme.authenticate(fakeContext({ authorization: `Basic ${b64(`${username}:${password}`)}` }));
    return { scheme, authenticate, calls, rehashed };
  }

  it('has the DRF challenge and authenticates asynchronously (argon2)', async () => {
    const { scheme, authenticate } = await setUp([{ username: 'alice', password: 'pw-alice' }]);
    assert.equal(scheme.name, 'basic');
    assert.equal(scheme.challenge, 'Basic realm="api"');
    const pending = authenticate('alice', 'pw-alice');
    assert.ok(pending instanceof Promise);
    const credentials = await pending;
    assert.deepEqual(credentials, {
      user: { id: 1, username: 'alice', isActive: true, isStaff: false, isSuperuser: false },
      scheme: 'basic',
      token: null,
    });
  });

  it('refuses a wrong password, an unknown user (after a dummy verification) and an inactive user alike', async () => {
    const { authenticate, calls } = await setUp([
      { username: 'alice', password: 'pw-alice' },
      { username: 'ivan', password: 'pw-ivan', isActive: false },
    ]);
    assert.equal(await authenticate('alice', 'wrong'), ERRORS.invalid_basic_credentials);
    assert.equal(await authenticate('nobody', 'pw'), ERRORS.invalid_basic_credentials);
    assert.equal(calls.dummy, 1);
    assert.equal(await authenticate('ivan', 'pw-ivan'), ERRORS.invalid_basic_credentials);
    assert.equal(ERRORS.invalid_basic_credentials.body, '{"detail":"Invalid username/password."}');
  });

  it('answers header errors without touching the password hasher', async () => {
    const { scheme, calls } = await setUp([]);
    assert.equal(scheme.authenticate(fakeContext({ authorization: 'Basic' })), ERRORS.basic_no_credentials);
    assert.equal(scheme.authenticate(fakeContext({ authorization: 'Bearer x' })), null);
    assert.deepEqual(calls, { verify: 0, dummy: 0 });
  });

  it('upgrades a Django pbkdf2 hash to argon2id after a successful check', async () => {
    const salt = 'saltsaltsalt';
    const django = `pbkdf2_sha256$1000$${salt}$${pbkdf2Sync('pw-dora', salt, 1000, 32, 'sha256').toString('base64')}`;
    const { authenticate, rehashed } = await setUp([{ username: 'dora', password: 'pw-dora', hash: django }]);
    const credentials = await authenticate('dora', 'pw-dora');
    assert.equal((credentials as { scheme: string }).scheme, 'basic');
    assert.equal(rehashed.length, 1);
    assert.match(rehashed[0]!, /^1:\$argon2id\$/);
  });
});
