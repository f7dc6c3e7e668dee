/**
 * The JWT table against the real cluster: forged, tampered, malformed and misused tokens and Authorization
 * headers, each with the exact 401 of CONTRACT.md, each followed by a good request. One cluster signs HS256
 * with an audience and an issuer configured; a second one signs RS256, for HS/RS algorithm confusion.
 * Tokens are forged with node:crypto, claims in simplejwt's order.
 */
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createUsers,
  openTestStores,
  startGatehouse,
  tempDataDir,
  TEST_SIGNING_KEY,
  type GatehouseProcess,
  type TestUser,
} from '../support/gatehouse-process.js';
import { request } from '../support/http.js';

const b64 = (data: string | Buffer): string => Buffer.from(data).toString('base64url');
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const HS256_HEADER = '{"alg":"HS256","typ":"JWT"}';
const AUDIENCE = 'gatehouse-api';
const ISSUER = 'https://auth.example';

const accessError = (message: string): string =>
  JSON.stringify({
    detail: 'Given token not valid for any token type',
    code: 'token_not_valid',
    messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
  });
const INVALID = accessError('Token is invalid or expired');
const NO_EXP = accessError("Token has no 'exp' claim");
const NO_ID = accessError('Token has no id');
const NO_TYPE = accessError('Token has no type');
const WRONG_TYPE = accessError('Token has wrong type');
const NO_USER_ID =
  '{"detail":"Token contained no recognizable user identification","code":"token_not_valid"}';
const USER_NOT_FOUND = '{"detail":"User not found","code":"user_not_found"}';
const USER_INACTIVE = '{"detail":"User is inactive","code":"user_inactive"}';
const NOT_PROVIDED = '{"detail":"Authentication credentials were not provided."}';
const BAD_HEADER =
  '{"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}';
const REFRESH_INVALID = '{"detail":"Token is invalid or expired","code":"token_not_valid"}';
const REFRESH_WRONG_TYPE = '{"detail":"Token has wrong type","code":"token_not_valid"}';

/** Signs `header.payload` with HMAC-SHA-* (the secret's UTF-8 bytes, as PyJWT does). */
function hmacToken(
  header: string,
  payload: string,
  secret: string | Buffer = TEST_SIGNING_KEY,
  hash = 'sha256',
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

/** Re-signs a signing input given as text (possibly not canonical base64url). */
function resign(input: string, secret: string = TEST_SIGNING_KEY): string {
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** The next base64url character with the same high bits: a second spelling of the same bytes. */
function otherSpellingOfLast(segment: string): string {
  const value = ALPHABET.indexOf(segment.at(-1)!);
  return segment.slice(0, -1) + ALPHABET[value ^ 1];
}

/** Sends one GET with the given header lines exactly (duplicates, odd spacing), and returns status and body. */
function rawGet(port: number, path: string, headerLines: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const length = Number(/content-length:\s*(\d+)/i.exec(text)?.[1] ?? -1);
      if (split >= 0 && length >= 0 && Buffer.byteLength(text.slice(split + 4)) >= length) {
        socket.destroy();
        resolve({ status: Number(text.slice(9, 12)), text: text.slice(split + 4) });
      }
    });
    socket.on('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n${headerLines}\r\n`);
  });
}

interface JwtCase {
  readonly name: string;
  /** The Authorization header value, or a raw set of header lines (then `raw` is true). */
  readonly authorization: () => string;
  readonly raw?: boolean;
  readonly path?: string;
  readonly status: number;
  readonly body: string;
}

describe('hostile JWTs and Authorization headers (HS256, audience and issuer configured)', () => {
  let server: GatehouseProcess;
  let alice: TestUser;
  let dave: TestUser;
  let erin: TestUser;
  let good: string;
  let refresh: string;
  let cases: JwtCase[] = [];
  const now = (): number => Math.floor(Date.now() / 1000);

  /** Claims in simplejwt's order, as Gatehouse issues them with audience and issuer configured. */
  const claims = (overrides: Record<string, unknown> = {}, userId = 1): Record<string, unknown> => {
    const base: Record<string, unknown> = {
      token_type: 'access',
      exp: now() + 300,
      iat: now() - 1,
      jti: 'a7d1e6c0b5f44c0e9a0b7c6d5e4f3a2b',
      user_id: userId,
      aud: AUDIENCE,
      iss: ISSUER,
    };
    for (const [k, v] of Object.entries(overrides)) {
      if (v === undefined) delete base[k];
      else base[k] = v;
    }
    return base;
  };
  const forge = (overrides: Record<string, unknown> = {}, header = HS256_HEADER, userId?: number): string =>
    hmacToken(header, JSON.stringify(claims(overrides, userId ?? alice.id)));

  const get = async (c: JwtCase): Promise<{ status: number; text: string }> => {
    const path = c.path ?? '/api/me/';
    if (c.raw) return rawGet(server.port, path, c.authorization());
    const r = await request(`${server.url}${path}`, { headers: { authorization: c.authorization() } });
    return { status: r.status, text: r.text };
  };
  const assertServing = async (): Promise<void> => {
    const r = await request(`${server.url}/api/me/`, { headers: { authorization: `Bearer ${good}` } });
    assert.equal(r.status, 200, r.text);
  };

  before(async () => {
    server = await startGatehouse({
      workers: 2,
      env: {
        GATEHOUSE_AUDIENCE: AUDIENCE,
        GATEHOUSE_ISSUER: ISSUER,
        GATEHOUSE_LOGIN_RATE_BY_USERNAME: '',
        GATEHOUSE_LOGIN_RATE_BY_IP: '',
      },
    });
    [alice, dave, erin] = await createUsers(server.dataDir, [
      { username: 'alice' },
      { username: 'dave' },
      { username: 'erin' },
    ]);
    const login = await request(`${server.url}/api/token/`, {
      body: { username: 'alice', password: alice.password },
    });
    assert.equal(login.status, 200, login.text);
    ({ access: good, refresh } = login.body as { access: string; refresh: string });
  });
  after(() => server.stop());

  it('the server issues tokens with the configured aud and iss, and accepts a forged token with the right key (control)', async () => {
    const payload = JSON.parse(Buffer.from(good.split('.')[1]!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    assert.equal(payload['aud'], AUDIENCE);
    assert.equal(payload['iss'], ISSUER);
    const r = await request(`${server.url}/api/me/`, { headers: { authorization: `Bearer ${forge()}` } });
    assert.equal(r.status, 200, r.text);
  });

  // The table is built lazily: it needs the users and the issued tokens.
  const table = (): JwtCase[] => {
    const [h, p, s] = good.split('.') as [string, string, string];
    const bearer = (token: string) => () => `Bearer ${token}`;
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const payloadText = JSON.stringify(claims({}, alice.id));
    return [
      // ---- algorithm ----
      {
        name: 'alg none, empty signature',
        authorization: bearer(`${b64('{"alg":"none","typ":"JWT"}')}.${b64(payloadText)}.`),
        status: 401,
        body: INVALID,
      },
      {
        name: 'alg none, with the original signature',
        authorization: bearer(`${b64('{"alg":"none","typ":"JWT"}')}.${p}.${s}`),
        status: 401,
        body: INVALID,
      },
      {
        name: 'alg None',
        authorization: bearer(`${b64('{"alg":"None"}')}.${b64(payloadText)}.`),
        status: 401,
        body: INVALID,
      },
      {
        name: 'alg hs256 (case differs)',
        authorization: bearer(hmacToken('{"alg":"hs256","typ":"JWT"}', payloadText)),
        status: 401,
        body: INVALID,
      },
      {
        name: 'alg HS512 with the right key (not the configured algorithm)',
        authorization: bearer(
          hmacToken('{"alg":"HS512","typ":"JWT"}', payloadText, TEST_SIGNING_KEY, 'sha512'),
        ),
        status: 401,
        body: INVALID,
      },
      {
        name: 'alg RS256 signed by an attacker key',
        authorization: bearer(
          `${b64('{"alg":"RS256","typ":"JWT"}')}.${b64(payloadText)}.${cryptoSign('sha256', Buffer.from(`${b64('{"alg":"RS256","typ":"JWT"}')}.${b64(payloadText)}`), attacker.privateKey).toString('base64url')}`,
        ),
        status: 401,
        body: INVALID,
      },
      // ---- key selection ----
      {
        name: 'unknown kid',
        authorization: bearer(hmacToken('{"alg":"HS256","kid":"nope","typ":"JWT"}', payloadText)),
        status: 401,
        body: INVALID,
      },
      {
        name: 'kid not a string',
        authorization: bearer(hmacToken('{"alg":"HS256","kid":1,"typ":"JWT"}', payloadText)),
        status: 401,
        body: INVALID,
      },
      {
        name: 'jwk header carrying the attacker key',
        authorization: bearer(
          hmacToken(
            JSON.stringify({ alg: 'HS256', jwk: { kty: 'oct', k: b64('attacker') } }),
            payloadText,
            'attacker',
          ),
        ),
        status: 401,
        body: INVALID,
      },
      {
        name: 'jku header pointing at the attacker',
        authorization: bearer(
          hmacToken(
            JSON.stringify({ alg: 'HS256', jku: 'https://attacker.example/jwks' }),
            payloadText,
            'attacker',
          ),
        ),
        status: 401,
        body: INVALID,
      },
      {
        name: 'crit header',
        authorization: bearer(hmacToken('{"alg":"HS256","crit":["exp"]}', payloadText)),
        status: 401,
        body: INVALID,
      },
      // ---- tampering ----
      {
        name: 'tampered header (a member added, signature kept)',
        authorization: bearer(`${b64('{"alg":"HS256","typ":"JWT","x":1}')}.${p}.${s}`),
        status: 401,
        body: INVALID,
      },
      {
        name: 'tampered payload (another user_id, signature kept)',
        authorization: bearer(`${h}.${b64(JSON.stringify(claims({}, dave.id)))}.${s}`),
        status: 401,
        body: INVALID,
      },
      {
        name: 'tampered signature (one character)',
        authorization: bearer(`${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`),
        status: 401,
        body: INVALID,
      },
      {
        name: 'signature of another key',
        authorization: bearer(hmacToken(HS256_HEADER, payloadText, 'another-key-0123456789')),
        status: 401,
        body: INVALID,
      },
      {
        name: 'signature truncated',
        authorization: bearer(`${h}.${p}.${s.slice(0, -4)}`),
        status: 401,
        body: INVALID,
      },
      { name: 'signature empty', authorization: bearer(`${h}.${p}.`), status: 401, body: INVALID },
      {
        name: 'header and payload swapped',
        authorization: bearer(`${p}.${h}.${s}`),
        status: 401,
        body: INVALID,
      },
      // ---- encoding ----
      {
        name: 'non-canonical base64url: spare bits in the signature',
        authorization: bearer(`${h}.${p}.${otherSpellingOfLast(s)}`),
        status: 401,
        body: INVALID,
      },
      {
        name: 'non-canonical base64url: spare bits in the payload (re-signed)',
        authorization: () => {
          for (let k = 0; ; k++) {
            const payload = b64(JSON.stringify(claims({ pad: 'x'.repeat(k) }, alice.id)));
            if (payload.length % 4 !== 0)
              return `Bearer ${resign(`${b64(HS256_HEADER)}.${otherSpellingOfLast(payload)}`)}`;
          }
        },
        status: 401,
        body: INVALID,
      },
      {
        // "???>>>" encodes to "Pz8_Pj4-": the same bytes in the base64 alphabet use '/' and '+'.
        name: "base64 '+' and '/' instead of '-' and '_' (re-signed)",
        authorization: bearer(
          resign(
            `${b64(HS256_HEADER)}.${b64(JSON.stringify(claims({ q: '???>>>' }, alice.id)))
              .replace(/-/g, '+')
              .replace(/_/g, '/')}`,
          ),
        ),
        status: 401,
        body: INVALID,
      },
      {
        name: "padding '=' after the signature",
        authorization: bearer(`${good}=`),
        status: 401,
        body: INVALID,
      },
      {
        name: "padding '=' in the payload (re-signed)",
        authorization: bearer(
          resign(
            `${b64(HS256_HEADER)}.${Buffer.from(JSON.stringify(claims({ p: 1 }, alice.id))).toString('base64')}`,
          ),
        ),
        status: 401,
        body: INVALID,
      },
      {
        name: 'header not JSON (re-signed)',
        authorization: bearer(resign(`${b64('{alg:HS256}')}.${p}`)),
        status: 401,
        body: INVALID,
      },
      {
        name: 'payload not an object (re-signed)',
        authorization: bearer(hmacToken(HS256_HEADER, '[1]')),
        status: 401,
        body: INVALID,
      },
      {
        name: 'payload not JSON (re-signed)',
        authorization: bearer(hmacToken(HS256_HEADER, 'user_id=1')),
        status: 401,
        body: INVALID,
      },
      // ---- shape ----
      { name: 'two segments', authorization: bearer(`${h}.${p}`), status: 401, body: INVALID },
      { name: 'four segments', authorization: bearer(`${good}.${s}`), status: 401, body: INVALID },
      { name: 'one segment', authorization: bearer(h), status: 401, body: INVALID },
      { name: 'only dots', authorization: bearer('..'), status: 401, body: INVALID },
      {
        name: 'huge token (5,000 characters, valid signature)',
        authorization: bearer(forge({ pad: 'x'.repeat(5000) })),
        status: 401,
        body: INVALID,
      },
      // ---- claims ----
      { name: 'no exp', authorization: bearer(forge({ exp: undefined })), status: 401, body: NO_EXP },
      { name: 'no jti', authorization: bearer(forge({ jti: undefined })), status: 401, body: NO_ID },
      { name: 'null jti', authorization: bearer(forge({ jti: null })), status: 401, body: NO_ID },
      { name: 'jti an object', authorization: bearer(forge({ jti: { id: 1 } })), status: 401, body: NO_ID },
      {
        name: 'no token_type',
        authorization: bearer(forge({ token_type: undefined })),
        status: 401,
        body: NO_TYPE,
      },
      {
        name: 'a refresh token as access token',
        authorization: bearer(refresh),
        status: 401,
        body: WRONG_TYPE,
      },
      {
        name: 'token_type "Access"',
        authorization: bearer(forge({ token_type: 'Access' })),
        status: 401,
        body: WRONG_TYPE,
      },
      {
        name: 'expired a second ago',
        authorization: bearer(forge({ exp: now() - 1 })),
        status: 401,
        body: INVALID,
      },
      {
        name: 'exp as a numeric string',
        authorization: bearer(forge({ exp: String(now() + 300) })),
        status: 401,
        body: INVALID,
      },
      {
        name: 'exp Infinity-like (1e999)',
        authorization: bearer(hmacToken(HS256_HEADER, payloadText.replace(/"exp":\d+/, '"exp":1e999'))),
        status: 401,
        body: INVALID,
      },
      {
        name: 'nbf in the future',
        authorization: bearer(forge({ nbf: now() + 120 })),
        status: 401,
        body: INVALID,
      },
      {
        name: 'iat in the future',
        authorization: bearer(forge({ iat: now() + 120 })),
        status: 401,
        body: INVALID,
      },
      { name: 'wrong aud', authorization: bearer(forge({ aud: 'other-api' })), status: 401, body: INVALID },
      { name: 'no aud', authorization: bearer(forge({ aud: undefined })), status: 401, body: INVALID },
      {
        name: 'aud list without ours',
        authorization: bearer(forge({ aud: ['a', 'b'] })),
        status: 401,
        body: INVALID,
      },
      {
        name: 'wrong iss',
        authorization: bearer(forge({ iss: 'https://evil.example' })),
        status: 401,
        body: INVALID,
      },
      { name: 'no iss', authorization: bearer(forge({ iss: undefined })), status: 401, body: INVALID },
      {
        name: 'no user_id',
        authorization: bearer(forge({ user_id: undefined })),
        status: 401,
        body: NO_USER_ID,
      },
      {
        name: 'user_id not a number',
        authorization: bearer(forge({ user_id: 'alice' })),
        status: 401,
        body: NO_USER_ID,
      },
      {
        name: 'user_id a decimal with a fraction as text',
        authorization: bearer(forge({ user_id: '1.0' })),
        status: 401,
        body: NO_USER_ID,
      },
      {
        name: 'user_id a list',
        authorization: bearer(forge({ user_id: [1] })),
        status: 401,
        body: NO_USER_ID,
      },
      {
        name: 'user_id null',
        authorization: bearer(forge({ user_id: null })),
        status: 401,
        body: USER_NOT_FOUND,
      },
      {
        name: 'user_id zero',
        authorization: bearer(forge({ user_id: 0 })),
        status: 401,
        body: USER_NOT_FOUND,
      },
      {
        name: 'user_id negative',
        authorization: bearer(forge({ user_id: '-3' })),
        status: 401,
        body: USER_NOT_FOUND,
      },
      {
        name: 'user_id beyond any id',
        authorization: bearer(forge({ user_id: 1e300 })),
        status: 401,
        body: USER_NOT_FOUND,
      },
      {
        name: 'user_id of nobody',
        authorization: bearer(forge({ user_id: 987654 })),
        status: 401,
        body: USER_NOT_FOUND,
      },
      // ---- the Authorization header ----
      {
        name: 'Authorization with no value',
        authorization: () => 'Authorization:\r\n',
        raw: true,
        status: 401,
        body: NOT_PROVIDED,
      },
      { name: '"Bearer" alone', authorization: () => 'Bearer', status: 401, body: BAD_HEADER },
      {
        name: '"Bearer" and two words',
        authorization: () => `Bearer ${good} extra`,
        status: 401,
        body: BAD_HEADER,
      },
      {
        name: 'unknown scheme (Basic)',
        authorization: () => `Basic ${b64('alice:secret')}`,
        status: 401,
        body: NOT_PROVIDED,
      },
      {
        name: 'unknown scheme (JWT) with a good token',
        authorization: () => `JWT ${good}`,
        status: 401,
        body: NOT_PROVIDED,
      },
      {
        name: 'lowercase scheme with a good token',
        authorization: () => `bearer ${good}`,
        status: 401,
        body: NOT_PROVIDED,
      },
      {
        // Joined with ',' as a WSGI server joins them: "Bearer <t>,Bearer <t>" has three parts.
        name: 'Authorization sent twice',
        authorization: () => `Authorization: Bearer ${good}\r\nAuthorization: Bearer ${good}\r\n`,
        raw: true,
        status: 401,
        body: BAD_HEADER,
      },
      {
        name: 'a good Bearer, then another scheme',
        authorization: () => `Authorization: Bearer ${good}\r\nAuthorization: Basic YTpi\r\n`,
        raw: true,
        status: 401,
        body: BAD_HEADER,
      },
      {
        name: 'an empty Authorization, then a good Bearer',
        authorization: () => `Authorization:\r\nAuthorization: Bearer ${good}\r\n`,
        raw: true,
        status: 401,
        body: NOT_PROVIDED,
      },
      {
        name: 'a bad token on a public route',
        authorization: bearer(forge({ exp: now() - 1 })),
        path: '/api/public/',
        status: 401,
        body: INVALID,
      },
      // ---- accepted variants (simplejwt accepts them too) ----
      {
        name: 'extra spaces between scheme and token',
        authorization: () => `Bearer    ${good}`,
        status: 200,
        body: `{"id":${alice.id},"username":"alice","is_staff":false}`,
      },
      {
        name: 'a tab between scheme and token',
        authorization: () => `Bearer\t${good}`,
        status: 200,
        body: `{"id":${alice.id},"username":"alice","is_staff":false}`,
      },
      {
        name: 'user_id as a decimal string',
        authorization: bearer(forge({ user_id: String(alice.id) })),
        status: 200,
        body: `{"id":${alice.id},"username":"alice","is_staff":false}`,
      },
    ];
  };

  it('runs the table: exact status and body, then a good request', async (t) => {
    cases = table();
    for (const c of cases) {
      await t.test(c.name, async () => {
        const r = await get(c);
        assert.equal(r.status, c.status, `${c.name}: ${r.text}`);
        assert.equal(r.text, c.body, c.name);
        await assertServing();
      });
    }
    t.diagnostic(`${cases.length} JWT / Authorization cases`);
  });

  it('refresh, verify and blacklist refuse forged tokens with their own messages', async () => {
    const none = `${b64('{"alg":"none","typ":"JWT"}')}.${b64(JSON.stringify(claims({ token_type: 'refresh' }, alice.id)))}.`;
    const expected: [string, Record<string, string>, string][] = [
      ['/api/token/refresh/', { refresh: none }, REFRESH_INVALID],
      ['/api/token/refresh/', { refresh: good }, REFRESH_WRONG_TYPE],
      [
        '/api/token/refresh/',
        { refresh: forge({ token_type: 'refresh', aud: 'other-api' }) },
        REFRESH_INVALID,
      ],
      ['/api/token/verify/', { token: none }, REFRESH_INVALID],
      ['/api/token/verify/', { token: `${good}=` }, REFRESH_INVALID],
      [
        '/api/token/blacklist/',
        { refresh: forge({ token_type: 'refresh', exp: now() - 1 }) },
        REFRESH_INVALID,
      ],
    ];
    for (const [path, body, text] of expected) {
      const r = await request(`${server.url}${path}`, { body });
      assert.equal(r.status, 401, `${path} ${r.text}`);
      assert.equal(r.text, text);
      await assertServing();
    }
  });

  /** Waits (bounded) for every worker to see a change made directly in SQLite (user cache poll: 100 ms). */
  const eventually = async (check: () => Promise<boolean>): Promise<void> => {
    for (let i = 0; i < 50; i++) {
      if (await check()) return;
      await sleep(100);
    }
    assert.fail('the change was not seen within 5 s');
  };

  it('a token of a user deleted after issue: 401 user_not_found', async () => {
    const token = forge({}, HS256_HEADER, dave.id);
    assert.equal(
      (await request(`${server.url}/api/me/`, { headers: { authorization: `Bearer ${token}` } })).status,
      200,
    );
    const stores = openTestStores(server.dataDir);
    stores.db.prepare('DELETE FROM users WHERE id = ?').run(dave.id);
    stores.close();
    // Several requests, on new connections, so that both workers answer.
    await eventually(async () => {
      const answers = await Promise.all(
        Array.from({ length: 6 }, () =>
          request(`${server.url}/api/me/`, {
            headers: { authorization: `Bearer ${token}`, connection: 'close' },
          }),
        ),
      );
      return answers.every((r) => r.status === 401 && r.text === USER_NOT_FOUND);
    });
    await assertServing();
  });

  it('a token of a user deactivated after issue: 401 user_inactive', async () => {
    const token = forge({}, HS256_HEADER, erin.id);
    assert.equal(
      (await request(`${server.url}/api/me/`, { headers: { authorization: `Bearer ${token}` } })).status,
      200,
    );
    const stores = openTestStores(server.dataDir);
    stores.users.setActive(erin.id, false);
    stores.close();
    await eventually(async () => {
      const answers = await Promise.all(
        Array.from({ length: 6 }, () =>
          request(`${server.url}/api/me/`, {
            headers: { authorization: `Bearer ${token}`, connection: 'close' },
          }),
        ),
      );
      return answers.every((r) => r.status === 401 && r.text === USER_INACTIVE);
    });
    await assertServing();
  });

  it('no worker crashed and no request failed', () => {
    assert.deepEqual(
      server.logs.filter((l) => l.msg === 'worker died' || l.msg === 'request failed'),
      [],
    );
  });
});

describe('HS/RS algorithm confusion against an RS256 server', () => {
  let server: GatehouseProcess;
  let access: string;
  let publicPem: string;
  const keyDir = tempDataDir();

  before(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = join(keyDir, 'signing.pem');
    writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    server = await startGatehouse({
      workers: 2,
      env: { GATEHOUSE_ALGORITHM: 'RS256', GATEHOUSE_SIGNING_KEY: '', GATEHOUSE_SIGNING_KEY_FILE: keyFile },
    });
    const [alice] = await createUsers(server.dataDir, [{ username: 'alice' }]);
    const login = await request(`${server.url}/api/token/`, {
      body: { username: 'alice', password: alice!.password },
    });
    assert.equal(login.status, 200, login.text);
    access = (login.body as { access: string }).access;
  });
  after(async () => {
    await server.stop();
    const { rmSync } = await import('node:fs');
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('issues RS256 tokens and accepts them (control)', async () => {
    assert.deepEqual(JSON.parse(Buffer.from(access.split('.')[0]!, 'base64url').toString()), {
      alg: 'RS256',
      typ: 'JWT',
    });
    assert.equal(
      (await request(`${server.url}/api/me/`, { headers: { authorization: `Bearer ${access}` } })).status,
      200,
    );
  });

  it('refuses HS256 tokens MACed with the public key (PEM, DER, trimmed) and other forgeries', async () => {
    const payload = Buffer.from(access.split('.')[1]!, 'base64url').toString();
    const secrets: [string, string | Buffer][] = [
      ['the public key PEM', publicPem],
      ['the public key PEM, trimmed', publicPem.trim()],
      ['the public key DER', Buffer.from(publicPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64')],
    ];
    const forged: [string, string][] = [
      ...secrets.map(([name, secret]): [string, string] => [
        `HS256 with ${name} as the secret`,
        hmacToken(HS256_HEADER, payload, secret),
      ]),
      [
        'HS512 with the public key PEM as the secret',
        hmacToken('{"alg":"HS512","typ":"JWT"}', payload, publicPem, 'sha512'),
      ],
      ['HS256 with the old shared test key', hmacToken(HS256_HEADER, payload)],
      ['alg none', `${b64('{"alg":"none","typ":"JWT"}')}.${b64(payload)}.`],
      [
        'RS256 header, HS256 MAC with the PEM',
        `${b64('{"alg":"RS256","typ":"JWT"}')}.${b64(payload)}.${createHmac('sha256', publicPem)
          .update(`${b64('{"alg":"RS256","typ":"JWT"}')}.${b64(payload)}`)
          .digest('base64url')}`,
      ],
    ];
    for (const [name, token] of forged) {
      const r = await request(`${server.url}/api/me/`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 401, name);
      assert.equal(r.text, INVALID, name);
      assert.equal(
        (await request(`${server.url}/api/me/`, { headers: { authorization: `Bearer ${access}` } })).status,
        200,
      );
    }
  });
});
