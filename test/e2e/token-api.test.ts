/**
 * The simplejwt token API against the real cluster (supervisor + 2 worker processes, SQLite file): the flows of
 * CONTRACT.md with exact bodies, claims and headers, rotation and its atomicity across worker processes.
 */
import assert from 'node:assert/strict';
import { createHmac, pbkdf2Sync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  createUsers,
  openTestStores,
  startGatehouse,
  TEST_SIGNING_KEY,
  type GatehouseProcess,
  type TestUser,
} from '../support/gatehouse-process.js';
import { bearer, request, requestOnNewConnection, type JsonResponse } from '../support/http.js';

const HEADER_SEGMENT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9';

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

/** Signs a token the way PyJWT does with the shared key (for tokens "issued elsewhere"). */
function signHs256(payload: Record<string, unknown>, key = TEST_SIGNING_KEY): string {
  const input = `${HEADER_SEGMENT}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

function assertUnauthorized(r: JsonResponse, body: string): void {
  assert.equal(r.status, 401, r.text);
  assert.equal(r.text, body);
  assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api"');
  assert.equal(r.headers.get('allow'), 'POST, OPTIONS');
}

const INVALID = '{"detail":"Token is invalid or expired","code":"token_not_valid"}';
const BLACKLISTED = '{"detail":"Token is blacklisted","code":"token_not_valid"}';

describe('token API (simplejwt wire contract)', () => {
  let server: GatehouseProcess;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  const obtain = (username: string, password: string): Promise<JsonResponse> =>
    request(`${server.url}/api/token/`, { body: { username, password } });
  const pairOf = async (user: TestUser): Promise<{ access: string; refresh: string }> => {
    const r = await obtain(user.username, user.password);
    assert.equal(r.status, 200, r.text);
    return r.body as { access: string; refresh: string };
  };

  before(async () => {
    server = await startGatehouse({
      workers: 2,
      env: {
        GATEHOUSE_ACCESS_LOG: 'true',
        GATEHOUSE_LOGIN_RATE_BY_USERNAME: '1000/min',
        GATEHOUSE_LOGIN_RATE_BY_IP: '1000/min',
      },
    });
    [alice, bob, carol] = await createUsers(server.dataDir, [
      { username: 'alice' },
      { username: 'bob' },
      { username: 'carol' },
    ]);
  });
  after(() => server.stop());

  it('obtains a pair with simplejwt claims in simplejwt order', async () => {
    const r = await obtain('alice', alice.password);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.deepEqual(Object.keys(r.body as object), ['refresh', 'access']);
    const { access, refresh } = r.body as { access: string; refresh: string };
    assert.ok(access.startsWith(HEADER_SEGMENT + '.') && refresh.startsWith(HEADER_SEGMENT + '.'));
    const a = claimsOf(access);
    const f = claimsOf(refresh);
    assert.deepEqual(Object.keys(a), ['token_type', 'exp', 'iat', 'jti', 'user_id']);
    assert.deepEqual(Object.keys(f), ['token_type', 'exp', 'iat', 'jti', 'user_id']);
    assert.equal(a['token_type'], 'access');
    assert.equal(f['token_type'], 'refresh');
    assert.equal(a['user_id'], alice.id);
    assert.equal(a['iat'], f['iat']);
    assert.equal((a['exp'] as number) - (a['iat'] as number), 300);
    assert.equal((f['exp'] as number) - (f['iat'] as number), 86_400);
    assert.match(a['jti'] as string, /^[0-9a-f]{32}$/);
    assert.notEqual(a['jti'], f['jti']);
    // The signature is HMAC-SHA256 over the first two segments with the configured key, as PyJWT computes it.
    const [h, p, s] = access.split('.');
    assert.equal(createHmac('sha256', TEST_SIGNING_KEY).update(`${h}.${p}`).digest('base64url'), s);
    const me = await request(`${server.url}/api/me/`, { headers: bearer(access) });
    assert.equal(me.text, `{"id":${alice.id},"username":"alice","is_staff":false}`);
  });

  it('refuses wrong passwords, unknown and inactive users alike', async () => {
    const [inactive] = await createUsers(server.dataDir, [{ username: 'ivan', isActive: false }]);
    const body = '{"detail":"No active account found with the given credentials"}';
    assertUnauthorized(await obtain('alice', 'wrong'), body);
    assertUnauthorized(await obtain('nobody', 'whatever'), body);
    assertUnauthorized(await obtain('ivan', inactive!.password), body);
    // Over-long credentials fail like the reference's (no length limit there), before any hashing.
    assertUnauthorized(await obtain('a'.repeat(151), 'x'), body);
    assertUnauthorized(await obtain('alice', alice.password + 'x'.repeat(1024)), body);
    assertUnauthorized(await obtain('alice', 'p'.repeat(1025)), body);
  });

  it('validates fields like DRF serializers', async () => {
    const cases: [unknown, string][] = [
      [{}, '{"username":["This field is required."],"password":["This field is required."]}'],
      [{ username: '', password: 'x' }, '{"username":["This field may not be blank."]}'],
      [{ username: '   ', password: 'x' }, '{"username":["This field may not be blank."]}'],
      [{ username: null, password: 'x' }, '{"username":["This field may not be null."]}'],
      [
        { username: ['a'], password: { b: 1 } },
        '{"username":["Not a valid string."],"password":["Not a valid string."]}',
      ],
      [{ username: true, password: 'x' }, '{"username":["Not a valid string."]}'],
      [{ username: 'al\u0000ice', password: 'x' }, '{"username":["Null characters are not allowed."]}'],
      // PBKDF2's HMAC pads its key with zero bytes: without this check "password\0" would pass a Django hash.
      [{ username: 'alice', password: 'p\u0000' }, '{"password":["Null characters are not allowed."]}'],
      [
        { username: 'x\ud800', password: '\udfff\ud83c\udf6e' },
        '{"username":["Surrogate characters are not allowed: U+D800."],"password":["Surrogate characters are not allowed: U+DFFF."]}',
      ],
      [{ username: '\u001c\u0085 ', password: 'x' }, '{"username":["This field may not be blank."]}'],
    ];
    for (const [body, expected] of cases) {
      const r = await request(`${server.url}/api/token/`, { body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.text, expected);
      assert.equal(r.headers.get('www-authenticate'), null);
    }
    // Numbers are taken as their decimal text; surrounding whitespace is trimmed; extra fields are ignored.
    const [numeric] = await createUsers(server.dataDir, [{ username: '12345', password: '67890' }]);
    assert.equal(
      (await request(`${server.url}/api/token/`, { body: { username: 12345, password: 67890, extra: 1 } }))
        .status,
      200,
    );
    assert.equal(
      (
        await request(`${server.url}/api/token/`, {
          body: { username: ' 12345 ', password: ` ${numeric!.password} ` },
        })
      ).status,
      200,
    );
  });

  it('refreshes with rotation, blacklisting the presented token', async () => {
    const pair = await pairOf(alice);
    const r = await request(`${server.url}/api/token/refresh/`, { body: { refresh: pair.refresh } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.body as object), ['access', 'refresh']);
    const next = r.body as { access: string; refresh: string };
    const access = claimsOf(next.access);
    assert.deepEqual(Object.keys(access), ['token_type', 'exp', 'iat', 'jti', 'user_id']);
    assert.equal(access['user_id'], alice.id);
    assert.ok(
      Math.abs((access['iat'] as number) - Date.now() / 1000) < 5,
      'a refreshed access token gets iat = now',
    );
    assert.equal(claimsOf(next.refresh)['token_type'], 'refresh');
    assert.notEqual(claimsOf(next.refresh)['jti'], claimsOf(pair.refresh)['jti']);
    assert.equal((await request(`${server.url}/api/hello/`, { headers: bearer(next.access) })).status, 200);
    // Its successor works…
    assert.equal(
      (await request(`${server.url}/api/token/refresh/`, { body: { refresh: next.refresh } })).status,
      200,
    );
    // …and the presented token is now blacklisted.
    assertUnauthorized(
      await request(`${server.url}/api/token/refresh/`, { body: { refresh: pair.refresh } }),
      BLACKLISTED,
    );
  });

  it('revokes the whole family when a rotated token is reused', async () => {
    const first = await pairOf(bob);
    const second = (await request(`${server.url}/api/token/refresh/`, { body: { refresh: first.refresh } }))
      .body as { refresh: string };
    const third = (await request(`${server.url}/api/token/refresh/`, { body: { refresh: second.refresh } }))
      .body as { refresh: string };
    // A replay of the first token: refused, and every descendant is revoked with it.
    assertUnauthorized(
      await request(`${server.url}/api/token/refresh/`, { body: { refresh: first.refresh } }),
      BLACKLISTED,
    );
    assertUnauthorized(
      await request(`${server.url}/api/token/refresh/`, { body: { refresh: third.refresh } }),
      BLACKLISTED,
    );
    // Other sessions of the same user are untouched.
    const other = await pairOf(bob);
    assert.equal(
      (await request(`${server.url}/api/token/refresh/`, { body: { refresh: other.refresh } })).status,
      200,
    );
  });

  it('refuses refresh with bad tokens, access tokens, and for users no longer active', async () => {
    const pair = await pairOf(carol);
    assertUnauthorized(
      await request(`${server.url}/api/token/refresh/`, { body: { refresh: 'garbage' } }),
      INVALID,
    );
    assertUnauthorized(
      await request(`${server.url}/api/token/refresh/`, { body: { refresh: pair.access } }),
      '{"detail":"Token has wrong type","code":"token_not_valid"}',
    );
    const noId = signHs256({
      token_type: 'refresh',
      exp: Math.floor(Date.now() / 1000) + 60,
      iat: Math.floor(Date.now() / 1000),
      user_id: carol.id,
    });
    assertUnauthorized(
      await request(`${server.url}/api/token/refresh/`, { body: { refresh: noId } }),
      '{"detail":"Token has no id","code":"token_not_valid"}',
    );
    const stores = openTestStores(server.dataDir);
    stores.users.setActive(carol.id, false);
    stores.close();
    assertUnauthorized(
      await request(`${server.url}/api/token/refresh/`, { body: { refresh: pair.refresh } }),
      '{"detail":"No active account found for the given token.","code":"no_active_account"}',
    );
    const missing = await request(`${server.url}/api/token/refresh/`, { body: {} });
    assert.equal(missing.status, 400);
    assert.equal(missing.text, '{"refresh":["This field is required."]}');
  });

  it('verifies tokens of both types and answers 400 for a blacklisted refresh token', async () => {
    const pair = await pairOf(alice);
    for (const token of [pair.access, pair.refresh]) {
      const r = await request(`${server.url}/api/token/verify/`, { body: { token } });
      assert.equal(r.status, 200);
      assert.equal(r.text, '{}');
    }
    assertUnauthorized(
      await request(`${server.url}/api/token/verify/`, { body: { token: pair.access + 'x' } }),
      INVALID,
    );
    const untyped = signHs256({
      exp: Math.floor(Date.now() / 1000) + 60,
      iat: Math.floor(Date.now() / 1000),
      jti: 'a'.repeat(32),
      user_id: alice.id,
    });
    assertUnauthorized(
      await request(`${server.url}/api/token/verify/`, { body: { token: untyped } }),
      '{"detail":"Token has no type","code":"token_not_valid"}',
    );
    assert.equal(
      (await request(`${server.url}/api/token/blacklist/`, { body: { refresh: pair.refresh } })).status,
      200,
    );
    const r = await request(`${server.url}/api/token/verify/`, { body: { token: pair.refresh } });
    assert.equal(r.status, 400);
    assert.equal(r.text, '{"non_field_errors":["Token is blacklisted"]}');
    assert.equal(r.headers.get('www-authenticate'), null);
  });

  it('blacklists refresh tokens, including well-formed ones issued elsewhere, but not access tokens', async () => {
    const pair = await pairOf(alice);
    const first = await request(`${server.url}/api/token/blacklist/`, { body: { refresh: pair.refresh } });
    assert.equal(first.status, 200);
    assert.equal(first.text, '{}');
    assertUnauthorized(
      await request(`${server.url}/api/token/blacklist/`, { body: { refresh: pair.refresh } }),
      BLACKLISTED,
    );
    assertUnauthorized(
      await request(`${server.url}/api/token/refresh/`, { body: { refresh: pair.refresh } }),
      BLACKLISTED,
    );
    // Blacklisting does not revoke access tokens.
    assert.equal((await request(`${server.url}/api/hello/`, { headers: bearer(pair.access) })).status, 200);

    const now = Math.floor(Date.now() / 1000);
    const foreign = signHs256({
      token_type: 'refresh',
      exp: now + 3600,
      iat: now,
      jti: 'f'.repeat(32),
      user_id: 424242,
    });
    assert.equal(
      (await request(`${server.url}/api/token/blacklist/`, { body: { refresh: foreign } })).status,
      200,
    );
    assertUnauthorized(
      await request(`${server.url}/api/token/refresh/`, { body: { refresh: foreign } }),
      BLACKLISTED,
    );
    assertUnauthorized(
      await request(`${server.url}/api/token/blacklist/`, { body: { refresh: pair.access } }),
      '{"detail":"Token has wrong type","code":"token_not_valid"}',
    );
  });

  it('accepts tokens signed elsewhere with the same key (user_id as int or decimal string, extra aud, extra spaces)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const base = { token_type: 'access', exp: now + 60, iat: now, jti: 'b'.repeat(32) };
    for (const token of [
      signHs256({ ...base, user_id: alice.id }),
      signHs256({ ...base, user_id: String(alice.id) }),
      signHs256({ ...base, user_id: alice.id, aud: 'someone' }),
    ]) {
      assert.equal((await request(`${server.url}/api/hello/`, { headers: bearer(token) })).status, 200);
    }
    const token = signHs256({ ...base, user_id: alice.id });
    assert.equal(
      (await request(`${server.url}/api/hello/`, { headers: { authorization: `Bearer    ${token}` } }))
        .status,
      200,
    );
  });

  it('lets exactly one of 50 concurrent refreshes of one token win, across the worker processes', async () => {
    const pair = await pairOf(alice);
    // Separate connections, so the kernel spreads them over both workers' listening sockets.
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        requestOnNewConnection(`${server.url}/api/token/refresh/`, { body: { refresh: pair.refresh } }),
      ),
    );
    const wins = responses.filter((r) => r.status === 200);
    assert.equal(wins.length, 1, JSON.stringify(responses.map((r) => r.status)));
    for (const r of responses.filter((x) => x.status !== 200)) {
      assert.equal(r.status, 401);
      assert.equal(r.text, BLACKLISTED);
    }
    // The access log shows which worker answered each refresh: both took part.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pids = new Set(
      server.logs
        .filter((l) => l.msg === 'request' && l['path'] === '/api/token/refresh/')
        .map((l) => l['pid']),
    );
    assert.equal(pids.size, 2, 'refreshes were answered by both worker processes');
  });

  it('revoke-all invalidates every token of the user in every worker on the next request', async () => {
    const [dave] = await createUsers(server.dataDir, [{ username: 'dave' }]);
    const older = await pairOf(dave!);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // tokens carry whole-second iat
    const r = await request(`${server.url}/api/token/revoke-all/`, {
      method: 'POST',
      headers: bearer(older.access),
    });
    assert.equal(r.status, 200, r.text);
    // Many fresh connections: some land on the other worker, which must refuse at once too.
    for (let i = 0; i < 10; i++) {
      const res = await requestOnNewConnection(`${server.url}/api/hello/`, { headers: bearer(older.access) });
      assert.equal(res.status, 401);
    }
    assertUnauthorized(
      await request(`${server.url}/api/token/refresh/`, { body: { refresh: older.refresh } }),
      BLACKLISTED,
    );
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const fresh = await pairOf(dave!);
    assert.equal((await request(`${server.url}/api/hello/`, { headers: bearer(fresh.access) })).status, 200);
  });

  it('accepts Django password hashes and rehashes them to argon2id on login', async () => {
    const salt = 'seasalt1234';
    const iterations = 1000;
    const hash = pbkdf2Sync('django-pw', salt, iterations, 32, 'sha256').toString('base64');
    const stores = openTestStores(server.dataDir);
    const user = stores.users.create({
      username: 'erin',
      passwordHash: `pbkdf2_sha256$${iterations}$${salt}$${hash}`,
      isActive: true,
      isStaff: false,
      isSuperuser: false,
    });
    stores.close();
    assert.equal((await obtain('erin', 'django-pw')).status, 200);
    const after = openTestStores(server.dataDir);
    const stored = after.users.findById(user.id)!;
    after.close();
    assert.match(stored.passwordHash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    assert.ok(stored.lastLogin !== null, 'last_login was updated');
    assert.equal((await obtain('erin', 'django-pw')).status, 200);
  });
});
