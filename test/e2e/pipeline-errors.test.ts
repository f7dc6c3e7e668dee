/**
 * Every row of the contract's 401/403/429 table, for each authentication scheme — jwt (simplejwt), basic and
 * apikey (DRF), and a custom scheme registered through the public API — against the real cluster (supervisor and
 * two worker processes): exact status, body, WWW-Authenticate (present, and the route's first scheme's, or
 * absent), Allow and Retry-After. Plus the 401/403 rule for a route whose first scheme has no challenge.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGatehouse, tempDataDir, type GatehouseProcess } from '../support/gatehouse-process.js';
import { request } from '../support/http.js';
import {
  accessClaims,
  accessTokenFor,
  assertAnswer,
  assertThrottled,
  basicHeader,
  createPipelineUsers,
  NOT_PROVIDED,
  obtainAccess,
  PERMISSION_DENIED,
  PIPELINE_APP,
  signHs256,
  throttleRates,
  unsignedToken,
  type PipelineUser,
} from '../support/pipeline-fixtures.js';

type Headers = Record<string, string>;

/** What differs between schemes: how to present credentials, and what each kind of mistake answers. */
interface SchemeRows {
  readonly challenge: string;
  readonly valid: (user: PipelineUser) => Headers;
  /** Requests the scheme does not recognise: anonymous, so 401 "not provided" on a protected route. */
  readonly notRecognised: Headers[];
  /** Also recognised (DRF compares the keyword case-insensitively for Basic and Token). */
  readonly otherCase: ((user: PipelineUser) => Headers) | null;
  /** Recognised but malformed or invalid: [headers, exact body]. */
  readonly refused: (users: Users) => [Headers, string][];
  /** Valid credentials of an inactive user, and of a user that does not exist: [headers, exact body]. */
  readonly inactive: (users: Users) => [Headers, string];
  readonly unknownUser: [Headers, string] | null;
}

interface Users {
  readonly alice: PipelineUser;
  readonly root: PipelineUser;
  readonly ivan: PipelineUser;
  readonly aliceAccess: string;
  readonly aliceRefresh: string;
}

const tokenNotValid = (message: string): string =>
  JSON.stringify({
    detail: 'Given token not valid for any token type',
    code: 'token_not_valid',
    messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
  });
const BAD_AUTHORIZATION_HEADER =
  '{"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}';

/** The contract's rows for access tokens that are well-formed JWTs with something wrong. */
function jwtClaimRows(userId: number): [Headers, string][] {
  const now = Math.floor(Date.now() / 1000);
  const claims = accessClaims(userId);
  const without = (name: string): Record<string, unknown> =>
    Object.fromEntries(Object.entries(claims).filter(([k]) => k !== name));
  const row = (token: string, body: string): [Headers, string] => [
    { authorization: `Bearer ${token}` },
    body,
  ];
  const invalid = tokenNotValid('Token is invalid or expired');
  const [header, payload, signature] = signHs256(claims).split('.');
  const tampered = Buffer.from(JSON.stringify({ ...claims, user_id: userId + 1 })).toString('base64url');
  return [
    row(signHs256(claims, 'another-key-0123456789abcdef0123456789abcdef'), invalid),
    row(unsignedToken(claims), invalid),
    row(`${header}.${tampered}.${signature}`, invalid),
    row(`${header}.${payload}.${signature!.slice(0, -4)}AAAA`, invalid),
    row(signHs256({ ...claims, exp: now - 10 }), invalid),
    row(signHs256({ ...claims, nbf: now + 3600 }), invalid),
    row(signHs256({ ...claims, iat: now + 3600 }), invalid),
    row(signHs256(without('jti')), tokenNotValid('Token has no id')),
    row(signHs256(without('token_type')), tokenNotValid('Token has no type')),
    row(signHs256(without('exp')), tokenNotValid("Token has no 'exp' claim")),
    row(
      signHs256(without('user_id')),
      '{"detail":"Token contained no recognizable user identification","code":"token_not_valid"}',
    ),
  ];
}

const ROWS: Record<'jwt' | 'basic' | 'apikey' | 'testkey', SchemeRows> = {
  jwt: {
    challenge: 'Bearer realm="api"',
    // alice's token comes from POST /api/token/; others' are signed with the same key (as "issued elsewhere").
    valid: (u) => ({
      authorization: `Bearer ${u.id === users.alice.id ? users.aliceAccess : accessTokenFor(u.id)}`,
    }),
    notRecognised: [
      {},
      { authorization: '' },
      { authorization: 'Basic YWxpY2U6eA==' },
      { authorization: 'JWT abc' },
      { authorization: `bearer ${'x'.repeat(20)}` },
    ],
    otherCase: null,
    refused: (u) => [
      [{ authorization: 'Bearer' }, BAD_AUTHORIZATION_HEADER],
      [{ authorization: 'Bearer a b' }, BAD_AUTHORIZATION_HEADER],
      [{ authorization: 'Bearer garbage' }, tokenNotValid('Token is invalid or expired')],
      [
        { authorization: `Bearer ${u.aliceAccess.slice(0, -2)}xx` },
        tokenNotValid('Token is invalid or expired'),
      ],
      [{ authorization: `Bearer ${u.aliceRefresh}` }, tokenNotValid('Token has wrong type')],
      [
        { authorization: `Bearer ${accessTokenFor(u.alice.id).replace(/\.[^.]*$/, '.')}` },
        tokenNotValid('Token is invalid or expired'),
      ],
      ...jwtClaimRows(u.alice.id),
    ],
    inactive: (u) => [
      { authorization: `Bearer ${accessTokenFor(u.ivan.id)}` },
      '{"detail":"User is inactive","code":"user_inactive"}',
    ],
    unknownUser: [
      { authorization: `Bearer ${accessTokenFor(987654)}` },
      '{"detail":"User not found","code":"user_not_found"}',
    ],
  },
  basic: {
    challenge: 'Basic realm="api"',
    valid: (u) => ({ authorization: basicHeader(u.username, u.password) }),
    notRecognised: [
      {},
      { authorization: '' },
      { authorization: 'Bearer abc' },
      { authorization: 'Token abc' },
    ],
    otherCase: (u) => ({ authorization: basicHeader(u.username, u.password).replace('Basic', 'bASIC') }),
    refused: (u) => [
      [{ authorization: 'Basic' }, '{"detail":"Invalid basic header. No credentials provided."}'],
      [
        { authorization: 'Basic a b' },
        '{"detail":"Invalid basic header. Credentials string should not contain spaces."}',
      ],
      [
        { authorization: 'Basic YQ' },
        '{"detail":"Invalid basic header. Credentials not correctly base64 encoded."}',
      ],
      [{ authorization: basicHeader(u.alice.username, 'wrong') }, '{"detail":"Invalid username/password."}'],
    ],
    // Django's ModelBackend refuses inactive users like unknown ones.
    inactive: (u) => [
      { authorization: basicHeader(u.ivan.username, u.ivan.password) },
      '{"detail":"Invalid username/password."}',
    ],
    unknownUser: [{ authorization: basicHeader('nobody', 'pw') }, '{"detail":"Invalid username/password."}'],
  },
  apikey: {
    challenge: 'Token',
    valid: (u) => ({ authorization: `Token ${u.apiKey}` }),
    notRecognised: [
      {},
      { authorization: '' },
      { authorization: 'Bearer abc' },
      { authorization: 'Basic YWxpY2U6eA==' },
      { authorization: 'Tokens abc' },
    ],
    otherCase: (u) => ({ authorization: `token ${u.apiKey}` }),
    refused: (u) => [
      [{ authorization: 'Token' }, '{"detail":"Invalid token header. No credentials provided."}'],
      [
        { authorization: 'Token a b' },
        '{"detail":"Invalid token header. Token string should not contain spaces."}',
      ],
      [{ authorization: 'Token gh_not-a-key' }, '{"detail":"Invalid token."}'],
      [{ authorization: `Token ${u.alice.apiKey}x` }, '{"detail":"Invalid token."}'],
    ],
    inactive: (u) => [{ authorization: `Token ${u.ivan.apiKey}` }, '{"detail":"User inactive or deleted."}'],
    unknownUser: null,
  },
  testkey: {
    challenge: 'TestKey realm="tests"',
    valid: (u) => ({ 'x-test-key': `test-key-${u.id}` }),
    notRecognised: [{}, { 'x-test-key': '' }, { authorization: 'Bearer abc' }],
    otherCase: null,
    refused: () => [[{ 'x-test-key': 'nope' }, '{"detail":"Invalid test key."}']],
    inactive: (u) => [
      { 'x-test-key': `test-key-${u.ivan.id}` },
      '{"detail":"Test key of an inactive user."}',
    ],
    unknownUser: [{ 'x-test-key': 'test-key-987654' }, '{"detail":"Invalid test key."}'],
  },
};

let server: GatehouseProcess;
let users: Users;

describe('401 / 403 / 429 for every scheme (2 worker processes)', () => {
  before(async () => {
    const dataDir = tempDataDir();
    const created = await createPipelineUsers(dataDir);
    server = await startGatehouse({
      workers: 2,
      dataDir,
      env: { GATEHOUSE_APP_MODULE: PIPELINE_APP, GATEHOUSE_THROTTLE_RATES: throttleRates() },
    });
    const pair = await request(`${server.url}/api/token/`, {
      body: { username: created.alice.username, password: created.alice.password },
    });
    users = {
      ...created,
      aliceAccess: await obtainAccess(server.url, created.alice),
      aliceRefresh: (pair.body as { refresh: string }).refresh,
    };
  });
  after(() => server?.stop());

  for (const [scheme, rows] of Object.entries(ROWS)) {
    describe(scheme, () => {
      const url = (route: string): string => `${server.url}/t/${scheme}/${route}/`;

      it('valid credentials authenticate', async () => {
        const r = await request(url('me'), { headers: rows.valid(users.alice) });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.body, { id: users.alice.id, username: 'alice', scheme });
        if (rows.otherCase !== null) {
          const other = await request(url('me'), { headers: rows.otherCase(users.alice) });
          assert.equal(other.status, 200, `keyword in another case: ${other.text}`);
        }
      });

      it('no credentials, an empty header, another scheme: 401 "not provided" with this scheme’s challenge', async () => {
        for (const headers of rows.notRecognised) {
          assertAnswer(
            await request(url('me'), { headers }),
            401,
            NOT_PROVIDED,
            rows.challenge,
            undefined,
            JSON.stringify(headers),
          );
          // The same requests are anonymous, hence welcome, on a public route.
          assert.equal((await request(url('public'), { headers })).status, 200);
        }
      });

      it('malformed or invalid credentials: 401 with the scheme’s message and challenge — also on public routes', async () => {
        for (const [headers, body] of rows.refused(users)) {
          assertAnswer(
            await request(url('me'), { headers }),
            401,
            body,
            rows.challenge,
            undefined,
            JSON.stringify(headers),
          );
          assertAnswer(
            await request(url('public'), { headers }),
            401,
            body,
            rows.challenge,
            undefined,
            `public ${JSON.stringify(headers)}`,
          );
        }
      });

      it('credentials of an inactive or unknown user: 401', async () => {
        const [inactiveHeaders, inactiveBody] = rows.inactive(users);
        assertAnswer(
          await request(url('me'), { headers: inactiveHeaders }),
          401,
          inactiveBody,
          rows.challenge,
          undefined,
          'inactive',
        );
        if (rows.unknownUser !== null) {
          const [headers, body] = rows.unknownUser;
          assertAnswer(
            await request(url('me'), { headers }),
            401,
            body,
            rows.challenge,
            undefined,
            'unknown user',
          );
        }
      });

      it('authenticated but not permitted: 403, no WWW-Authenticate; staff is permitted', async () => {
        assertAnswer(
          await request(url('admin'), { headers: rows.valid(users.alice) }),
          403,
          PERMISSION_DENIED,
          null,
          undefined,
          'admin',
        );
        const staff = await request(url('admin'), { headers: rows.valid(users.root) });
        assert.equal(staff.status, 200, staff.text);
        assert.equal(staff.text, '{"message":"hello admin"}');
      });

      it('throttled: 429 with Retry-After after the scope’s limit (3/min), only for that user', async () => {
        const headers = rows.valid(users.alice);
        for (let i = 0; i < 3; i++) assert.equal((await request(url('limited'), { headers })).status, 200);
        const waits = [];
        for (let i = 0; i < 2; i++)
          waits.push(
            assertThrottled(await request(url('limited'), { headers }), 60, undefined, `request ${4 + i}`),
          );
        // Refused requests are not counted: the wait only shrinks.
        assert.ok(waits[1]! <= waits[0]!);
        // Another user has a bucket of their own.
        assert.equal((await request(url('limited'), { headers: rows.valid(users.root) })).status, 200);
      });
    });
  }

  it('a route whose first scheme has no challenge answers 403 instead of 401 (DRF), without WWW-Authenticate', async () => {
    const url = `${server.url}/t/quiet/me/`;
    assertAnswer(await request(url), 403, NOT_PROVIDED, null, undefined, 'anonymous');
    assertAnswer(
      await request(url, { headers: { 'x-quiet-key': 'nope' } }),
      403,
      '{"detail":"Invalid test key."}',
      null,
      undefined,
      'bad key',
    );
    const ok = await request(url, { headers: { 'x-quiet-key': `test-key-${users.alice.id}` } });
    assert.deepEqual(ok.body, { id: users.alice.id, username: 'alice', scheme: 'quiet' });
  });

  it('several schemes: the first that recognises the request decides; the challenge is always the first scheme’s', async () => {
    const url = `${server.url}/t/all/`;
    for (const [scheme, rows] of Object.entries(ROWS)) {
      const r = await request(url, { headers: rows.valid(users.alice) });
      assert.equal((r.body as { scheme: string }).scheme, scheme, r.text);
    }
    assertAnswer(await request(url), 401, NOT_PROVIDED, 'Bearer realm="api"', undefined, 'anonymous');
    // Basic recognised the request and refused it: the answer is Basic's message under JWT's challenge.
    assertAnswer(
      await request(url, { headers: { authorization: basicHeader('alice', 'wrong') } }),
      401,
      '{"detail":"Invalid username/password."}',
      'Bearer realm="api"',
    );
  });
});
