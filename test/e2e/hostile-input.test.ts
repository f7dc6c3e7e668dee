/**
 * The bad-input catalogue, against the real cluster (supervisor + 2 worker processes, SQLite file): every case
 * sends one hostile request and asserts the exact status and body of CONTRACT.md, then that the server answers
 * the next good request. At the end the database must hold exactly what the good requests wrote.
 *
 * Covered: malformed and truncated JSON, JSON that is not an object, wrong field types, missing fields, unknown
 * content types, bodies over the limit (declared and streamed), request headers over uWS's limits, ambiguous
 * framing, invalid UTF-8, over-long usernames and passwords (refused before any password hashing), odd
 * methods and paths.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  createUsers,
  openTestStores,
  startGatehouse,
  type GatehouseProcess,
  type TestUser,
} from '../support/gatehouse-process.js';
import { bearer, request } from '../support/http.js';

interface Answer {
  readonly status: number;
  readonly text: string;
}

interface Case {
  readonly name: string;
  readonly send: () => Promise<Answer>;
  readonly status: number;
  /** Exact body, or null when the server must answer nothing (it closes the connection or stalls). */
  readonly body: string | null;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const LIMIT = 1_048_576;
const TOO_LARGE = `{"detail":"Request body is larger than the limit of ${LIMIT} bytes.","code":"payload_too_large"}`;
const REQUIRED = 'This field is required.';
const NOT_A_STRING = 'Not a valid string.';
const fieldErrors = (errors: Record<string, string>): string =>
  JSON.stringify(Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, [v]])));
const notADictionary = (type: string): string =>
  `{"non_field_errors":["Invalid data. Expected a dictionary, but got ${type}."]}`;
const parseError = (what: string): string => JSON.stringify({ detail: `JSON parse error - ${what}` });
const NO_ACCOUNT = '{"detail":"No active account found with the given credentials"}';
const INVALID_UTF8 = '{"detail":"JSON parse error - the body is not valid UTF-8"}';

/**
 * Writes raw bytes and collects what comes back within `waitMs`: an answer, a close without one (status 0), or
 * nothing at all (uWS keeps some malformed requests waiting until its idle timeout; status 0 as well). With
 * `untilClosed` it waits for the server to close the connection after answering (or for `waitMs`).
 */
function rawExchange(
  port: number,
  bytes: string | Buffer | readonly string[],
  waitMs = 1500,
  untilClosed = false,
): Promise<Answer & { closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    let settled = false;
    const parse = (): Answer | null => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return null;
      const length = Number(/content-length:\s*(\d+)/i.exec(text.slice(0, split))?.[1] ?? 0);
      const body = Buffer.from(text.slice(split + 4), 'latin1');
      if (body.length < length) return null;
      return { status: Number(text.slice(9, 12)), text: body.subarray(0, length).toString('utf8') };
    };
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...(parse() ?? { status: 0, text: '' }), closed });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (!untilClosed && parse() !== null) finish();
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', () => {});
    if (typeof bytes === 'string' || Buffer.isBuffer(bytes)) socket.write(bytes);
    else {
      // Separate writes with a pause between them arrive as separate reads on the server.
      const parts = [...bytes];
      const writeNext = (): void => {
        if (parts.length > 0 && !socket.destroyed)
          socket.write(parts.shift()!, () => setTimeout(writeNext, 50));
      };
      writeNext();
    }
  });
}

describe('hostile input: the catalogue', () => {
  let server: GatehouseProcess;
  let alice: TestUser;
  let access: string;
  let baseline: { notes: number; outstanding: number; blacklisted: number; users: number };
  let goodWrites = { notes: 0, logins: 0 };

  const post = (
    path: string,
    rawBody: string | Buffer,
    headers: Record<string, string> = JSON_TYPE,
  ): Promise<Answer> => request(`${server.url}${path}`, { method: 'POST', rawBody, headers });
  const postJson = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> =>
    request(`${server.url}${path}`, { method: 'POST', body, headers });
  const token = (rawBody: string | Buffer, headers?: Record<string, string>): Promise<Answer> =>
    post('/api/token/', rawBody, headers);
  const raw = (bytes: string | Buffer | readonly string[], waitMs?: number): Promise<Answer> =>
    rawExchange(server.port, bytes, waitMs);
  const rawPost = (path: string, headers: string, body: string | Buffer): Buffer =>
    Buffer.concat([
      Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\n${headers}\r\n`, 'latin1'),
      Buffer.from(body),
    ]);

  before(async () => {
    server = await startGatehouse({
      workers: 2,
      // The catalogue logs in many times; the login-abuse throttle has its own test (hostile-login-throttle).
      env: { GATEHOUSE_LOGIN_RATE_BY_USERNAME: '', GATEHOUSE_LOGIN_RATE_BY_IP: '' },
    });
    [alice] = await createUsers(server.dataDir, [{ username: 'alice' }, { username: 'bob' }]);
    const r = await postJson('/api/token/', { username: 'alice', password: alice.password });
    assert.equal(r.status, 200, r.text);
    access = (JSON.parse(r.text) as { access: string }).access;
    goodWrites = { notes: 0, logins: 1 };
    const stores = openTestStores(server.dataDir);
    baseline = {
      notes: stores.db.prepare('SELECT count(*) AS n FROM notes').pluck().get() as number,
      outstanding: stores.db.prepare('SELECT count(*) AS n FROM outstanding_tokens').pluck().get() as number,
      blacklisted: stores.db.prepare('SELECT count(*) AS n FROM blacklisted_tokens').pluck().get() as number,
      users: stores.db.prepare('SELECT count(*) AS n FROM users').pluck().get() as number,
    };
    stores.close();
  });
  after(() => server.stop());

  const cases: Case[] = [
    // ---- malformed and truncated JSON ----
    {
      name: 'truncated object',
      send: () => token('{"username":'),
      status: 400,
      body: parseError('the JSON text ends too early'),
    },
    {
      name: 'unterminated string',
      send: () => token('{"username":"alice'),
      status: 400,
      body: parseError('the JSON text ends too early'),
    },
    {
      name: 'trailing comma',
      send: () => token('{"username": "a",}'),
      status: 400,
      body: parseError('invalid JSON at character 17'),
    },
    {
      name: 'single quotes',
      send: () => token("{'username': 'a'}"),
      status: 400,
      body: parseError('invalid JSON at character 1'),
    },
    {
      name: 'garbage after the object',
      send: () => token('{"a":1}garbage'),
      status: 400,
      body: parseError('invalid JSON at character 7'),
    },
    {
      name: 'leading zero',
      send: () => token('{"a":01}'),
      status: 400,
      body: parseError('invalid JSON at character 6'),
    },
    {
      name: 'raw control character in a string',
      send: () => token('{"a":"\t"}'),
      status: 400,
      body: parseError('invalid JSON at character 6'),
    },
    {
      name: 'whitespace only',
      send: () => token('   \n '),
      status: 400,
      body: parseError('the body is empty or only whitespace'),
    },
    {
      name: 'NaN (DRF refuses constants)',
      send: () => token('NaN'),
      status: 400,
      body: parseError('the body is not valid JSON'),
    },
    {
      name: 'Infinity',
      send: () => token('{"a":Infinity}'),
      status: 400,
      body: parseError('the body is not valid JSON'),
    },
    {
      name: 'byte-order mark',
      send: () => token('\ufeff{}'),
      status: 400,
      body: parseError('the body is not valid JSON'),
    },
    // ---- JSON that is not an object (Python's type names) ----
    {
      name: 'a list',
      send: () => token('[{"username":"alice"}]'),
      status: 400,
      body: notADictionary('list'),
    },
    { name: 'a string', send: () => token('"alice"'), status: 400, body: notADictionary('str') },
    { name: 'an int', send: () => token('42'), status: 400, body: notADictionary('int') },
    {
      name: 'minus zero (an int to Python)',
      send: () => token('-0'),
      status: 400,
      body: notADictionary('int'),
    },
    { name: 'a float', send: () => token('4.2'), status: 400, body: notADictionary('float') },
    { name: '1.0 (a float to Python)', send: () => token('1.0'), status: 400, body: notADictionary('float') },
    { name: '1e3 (a float to Python)', send: () => token('1e3'), status: 400, body: notADictionary('float') },
    { name: 'a bool', send: () => token('true'), status: 400, body: notADictionary('bool') },
    { name: 'null', send: () => token('null'), status: 400, body: notADictionary('NoneType') },
    {
      name: '100,000 nested lists',
      send: () => token('['.repeat(100_000) + ']'.repeat(100_000)),
      status: 400,
      body: notADictionary('list'),
    },
    // ---- wrong field types and missing fields ----
    {
      name: 'empty object',
      send: () => token('{}'),
      status: 400,
      body: fieldErrors({ username: REQUIRED, password: REQUIRED }),
    },
    {
      name: 'password missing',
      send: () => postJson('/api/token/', { username: 'alice' }),
      status: 400,
      body: fieldErrors({ password: REQUIRED }),
    },
    {
      name: 'fields null',
      send: () => postJson('/api/token/', { username: null, password: null }),
      status: 400,
      body: fieldErrors({ username: 'This field may not be null.', password: 'This field may not be null.' }),
    },
    {
      name: 'fields blank',
      send: () => postJson('/api/token/', { username: '', password: '  ' }),
      status: 400,
      body: fieldErrors({
        username: 'This field may not be blank.',
        password: 'This field may not be blank.',
      }),
    },
    {
      name: 'bool and list',
      send: () => postJson('/api/token/', { username: true, password: ['x'] }),
      status: 400,
      body: fieldErrors({ username: NOT_A_STRING, password: NOT_A_STRING }),
    },
    {
      name: 'object fields',
      send: () => postJson('/api/token/', { username: { $ne: null }, password: { $gt: '' } }),
      status: 400,
      body: fieldErrors({ username: NOT_A_STRING, password: NOT_A_STRING }),
    },
    {
      name: 'numbers are taken as their text',
      send: () => postJson('/api/token/', { username: 12, password: 1.5e300 }),
      status: 401,
      body: NO_ACCOUNT,
    },
    {
      name: 'username nested 50,000 objects deep',
      send: () => token(`{"username":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)},"password":"x"}`),
      status: 400,
      body: fieldErrors({ username: NOT_A_STRING }),
    },
    {
      name: 'note text missing',
      send: () => postJson('/api/notes/', { owner: 'bob' }, bearer(access)),
      status: 400,
      body: fieldErrors({ text: REQUIRED }),
    },
    {
      name: 'note text a list',
      send: () => postJson('/api/notes/', { text: ['x'] }, bearer(access)),
      status: 400,
      body: fieldErrors({ text: NOT_A_STRING }),
    },
    {
      name: 'note text over 200 characters',
      send: () => postJson('/api/notes/', { text: 'n'.repeat(201) }, bearer(access)),
      status: 400,
      body: fieldErrors({ text: 'Ensure this field has no more than 200 characters.' }),
    },
    // ---- unknown content types ----
    {
      name: 'text/plain',
      send: () => token('{"username":"alice"}', { 'content-type': 'text/plain' }),
      status: 415,
      body: '{"detail":"Unsupported media type \\"text/plain\\" in request."}',
    },
    {
      name: 'form-encoded credentials',
      send: () => token('username=alice&password=x', { 'content-type': 'application/x-www-form-urlencoded' }),
      status: 415,
      body: '{"detail":"Unsupported media type \\"application/x-www-form-urlencoded\\" in request."}',
    },
    {
      name: 'multipart',
      send: () => token('--b\r\n\r\n--b--', { 'content-type': 'multipart/form-data; boundary=b' }),
      status: 415,
      body: '{"detail":"Unsupported media type \\"multipart/form-data; boundary=b\\" in request."}',
    },
    {
      name: 'application/json-patch+json',
      send: () => token('{}', { 'content-type': 'application/json-patch+json' }),
      status: 415,
      body: '{"detail":"Unsupported media type \\"application/json-patch+json\\" in request."}',
    },
    {
      name: 'a body without a content type',
      send: () => raw(rawPost('/api/token/', 'Content-Length: 2\r\n', '{}')),
      status: 415,
      body: '{"detail":"Unsupported media type \\"\\" in request."}',
    },
    // ---- bodies over the limit ----
    {
      name: 'declared Content-Length over the limit',
      send: () =>
        raw(
          rawPost('/api/token/', `Content-Type: application/json\r\nContent-Length: ${LIMIT + 1}\r\n`, '{'),
        ),
      status: 413,
      body: TOO_LARGE,
    },
    {
      name: 'chunked body streaming past the limit',
      send: () => {
        const chunk = 'x'.repeat(65_536);
        const framed =
          `${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(LIMIT / 65_536 + 2) + '0\r\n\r\n';
        return raw(
          rawPost('/api/token/', 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n', framed),
          5000,
        );
      },
      status: 413,
      body: TOO_LARGE,
    },
    {
      name: 'a username of almost 1 MiB',
      send: () => postJson('/api/token/', { username: 'u'.repeat(LIMIT - 100), password: 'x' }),
      status: 401,
      body: NO_ACCOUNT,
    },
    {
      // Python's strip() from both ends, linear: a regular expression anchored at the end would take minutes.
      name: 'almost 1 MiB of inner spaces in a username',
      send: () => postJson('/api/token/', { username: `a${' '.repeat(LIMIT - 100)}b`, password: 'x' }),
      status: 401,
      body: NO_ACCOUNT,
    },
    // ---- framing ----
    {
      name: 'Content-Length twice (RFC 9112 §6.3)',
      send: () =>
        raw(
          rawPost(
            '/api/token/',
            'Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 30\r\n',
            '{}',
          ),
        ),
      status: 400,
      body: '{"detail":"Content-Length must be sent once.","code":"bad_request_framing"}',
    },
    {
      name: 'Content-Length and Transfer-Encoding',
      send: () =>
        raw(
          rawPost(
            '/api/token/',
            'Content-Type: application/json\r\nContent-Length: 7\r\nTransfer-Encoding: chunked\r\n',
            '2\r\n{}\r\n0\r\n\r\n',
          ),
        ),
      status: 0,
      body: null,
    },
    {
      name: 'Content-Length not a number',
      send: () =>
        raw(rawPost('/api/token/', 'Content-Type: application/json\r\nContent-Length: abc\r\n', '{}')),
      status: 0,
      body: null,
    },
    {
      name: 'negative Content-Length',
      send: () =>
        raw(rawPost('/api/token/', 'Content-Type: application/json\r\nContent-Length: -1\r\n', '{}')),
      status: 0,
      body: null,
    },
    {
      name: 'Transfer-Encoding gzip',
      send: () =>
        raw(rawPost('/api/token/', 'Content-Type: application/json\r\nTransfer-Encoding: gzip\r\n', '{}')),
      status: 0,
      body: null,
    },
    // ---- request headers over uWS's limits (Nginx in front answers 400/431 itself) ----
    {
      // uWS keeps at most 4 KB of headers that arrive over several reads; more closes the connection. (Headers
      // that arrive in one read are parsed in its 512 KB receive buffer, so the limit depends on segmentation:
      // docs/security.md.)
      name: '8 KB of headers arriving in two reads (uWS closes the connection)',
      send: () => {
        const head = `POST /api/notes/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${access}\r\nX-Big: ${'a'.repeat(8000)}\r\n`;
        return raw([head, 'Content-Type: application/json\r\nContent-Length: 12\r\n\r\n{"text":"h"}']);
      },
      status: 0,
      body: null,
    },
    {
      name: '100 header lines (uWS answers nothing; the request is never run)',
      send: () => {
        const many = Array.from({ length: 100 }, (_, i) => `X-H${i}: v`).join('\r\n');
        return raw(
          `POST /api/notes/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${access}\r\n${many}\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{"text":"h"}`,
          1000,
        );
      },
      status: 0,
      body: null,
    },
    {
      name: 'a 60 KB token in Authorization (over maxTokenLength)',
      send: () => request(`${server.url}/api/me/`, { headers: bearer('a'.repeat(60_000)) }),
      status: 401,
      body: '{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is invalid or expired"}]}',
    },
    // ---- invalid UTF-8 ----
    {
      name: 'a 0xFF byte',
      send: () => token(Buffer.from([0x7b, 0x22, 0x75, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])),
      status: 400,
      body: INVALID_UTF8,
    },
    {
      name: 'an overlong encoding of "/"',
      send: () =>
        token(
          Buffer.concat([
            Buffer.from('{"username":"'),
            Buffer.from([0xc0, 0xaf]),
            Buffer.from('","password":"x"}'),
          ]),
        ),
      status: 400,
      body: INVALID_UTF8,
    },
    {
      name: 'an encoded UTF-16 surrogate',
      send: () =>
        token(
          Buffer.concat([
            Buffer.from('{"username":"'),
            Buffer.from([0xed, 0xa0, 0x80]),
            Buffer.from('","password":"x"}'),
          ]),
        ),
      status: 400,
      body: INVALID_UTF8,
    },
    {
      name: 'a truncated multi-byte sequence',
      send: () =>
        token(
          Buffer.concat([
            Buffer.from('{"username":"'),
            Buffer.from([0xe2, 0x98]),
            Buffer.from('","password":"x"}'),
          ]),
        ),
      status: 400,
      body: INVALID_UTF8,
    },
    {
      // uWS reads header bytes as Latin-1 and trims trailing bytes >= 0x80 as if they were spaces (signed char),
      // so the header arrives as "Bearer" alone. simplejwt would answer token_not_valid; both are 401.
      name: 'non-ASCII bytes as the token',
      send: () =>
        raw(
          Buffer.concat([
            Buffer.from('GET /api/me/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer '),
            Buffer.from([0xe9, 0xff, 0x80]),
            Buffer.from('\r\n\r\n'),
          ]),
        ),
      status: 401,
      body: '{"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}',
    },
    {
      name: 'non-ASCII bytes inside a token',
      send: () =>
        raw(
          Buffer.concat([
            Buffer.from(`GET /api/me/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${access.slice(0, 20)}`),
            Buffer.from([0xe9, 0xff]),
            Buffer.from(`${access.slice(20)}\r\n\r\n`),
          ]),
        ),
      status: 401,
      body: '{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is invalid or expired"}]}',
    },
    // ---- over-long credentials: a failed login, answered before the user lookup and any hashing ----
    {
      name: 'username of 151 characters',
      send: () => postJson('/api/token/', { username: 'u'.repeat(151), password: 'x' }),
      status: 401,
      body: NO_ACCOUNT,
    },
    {
      name: 'username of 151 snowmen (characters, not bytes)',
      send: () => postJson('/api/token/', { username: '☃'.repeat(151), password: 'x' }),
      status: 401,
      body: NO_ACCOUNT,
    },
    {
      name: 'username of 150 snowmen is long enough to be looked up',
      send: () => postJson('/api/token/', { username: '☃'.repeat(150), password: 'x' }),
      status: 401,
      body: NO_ACCOUNT,
    },
    {
      name: 'password of 1025 characters',
      send: () => postJson('/api/token/', { username: 'alice', password: 'p'.repeat(1025) }),
      status: 401,
      body: NO_ACCOUNT,
    },
    {
      // A verification of the right password would answer 200: the 401 shows the password was never verified.
      name: "alice's correct password followed by 1024 more characters",
      send: () => postJson('/api/token/', { username: 'alice', password: alice.password + 'x'.repeat(1024) }),
      status: 401,
      body: NO_ACCOUNT,
    },
    // ---- characters DRF's CharField refuses ----
    {
      name: "alice's correct password followed by a NUL (HMAC would ignore it)",
      send: () => postJson('/api/token/', { username: 'alice', password: `${alice.password}\u0000` }),
      status: 400,
      body: fieldErrors({ password: 'Null characters are not allowed.' }),
    },
    {
      name: 'a lone surrogate in the username',
      send: () => postJson('/api/token/', { username: 'a\udc00', password: 'x' }),
      status: 400,
      body: fieldErrors({ username: 'Surrogate characters are not allowed: U+DC00.' }),
    },
    // ---- methods and paths ----
    {
      name: 'PUT on the token endpoint',
      send: () => request(`${server.url}/api/token/`, { method: 'PUT', rawBody: '{}', headers: JSON_TYPE }),
      status: 405,
      body: '{"detail":"Method \\"PUT\\" not allowed."}',
    },
    {
      name: 'TRACE',
      send: () => raw('TRACE /api/token/ HTTP/1.1\r\nHost: x\r\n\r\n'),
      status: 405,
      body: '{"detail":"Method \\"TRACE\\" not allowed."}',
    },
    {
      name: 'an invented method (uWS closes)',
      send: () => raw('BREW /api/token/ HTTP/1.1\r\nHost: x\r\n\r\n'),
      status: 0,
      body: null,
    },
    {
      name: 'a lowercase method (uWS closes)',
      send: () => raw('get /api/public/ HTTP/1.1\r\nHost: x\r\n\r\n'),
      status: 0,
      body: null,
    },
    {
      name: 'dot segments are not resolved',
      send: () => raw('GET /api/notes/../public/ HTTP/1.1\r\nHost: x\r\n\r\n'),
      status: 404,
      body: '{"detail":"Not found."}',
    },
    {
      name: 'a bad percent-encoding',
      send: () => raw('GET /api/%ff%zz/ HTTP/1.1\r\nHost: x\r\n\r\n'),
      status: 404,
      body: '{"detail":"Not found."}',
    },
    {
      name: 'a 30 KB path',
      send: () => raw(`GET /${'a/'.repeat(15_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
      status: 404,
      body: '{"detail":"Not found."}',
    },
    {
      name: 'HTTP/1.0 (uWS does not answer it; Nginx must use proxy_http_version 1.1)',
      send: () => raw('GET /api/public/ HTTP/1.0\r\nHost: x\r\n\r\n', 1000),
      status: 0,
      body: null,
    },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.status === 0 ? 'no answer' : c.status}, then the next good request is answered`, async () => {
      const answer = await c.send();
      assert.equal(answer.status, c.status, answer.text);
      if (c.body !== null) assert.equal(answer.text, c.body);
      const next = await request(`${server.url}/api/me/`, { headers: bearer(access) });
      assert.equal(next.status, 200, next.text);
      assert.equal(next.text, `{"id":${alice.id},"username":"alice","is_staff":false}`);
    });
  }

  it('the bodies that must stay closed-off are closed: 413 and framing errors end the connection', async () => {
    const declared = await rawExchange(
      server.port,
      rawPost('/api/token/', `Content-Type: application/json\r\nContent-Length: ${LIMIT + 1}\r\n`, '{'),
      3000,
      true,
    );
    assert.equal(declared.status, 413);
    assert.ok(declared.closed, 'closed after 413');
    const framing = await rawExchange(
      server.port,
      rawPost(
        '/api/token/',
        'Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 2\r\n',
        '{}',
      ),
      3000,
      true,
    );
    assert.equal(framing.status, 400);
    assert.ok(framing.closed, 'closed after a repeated Content-Length');
    // A chunked body past the limit, still streaming (no last chunk sent): answered and cut off at once,
    // instead of reading and discarding whatever else the client sends.
    const chunk = 'x'.repeat(65_536);
    const streaming = await rawExchange(
      server.port,
      rawPost(
        '/api/token/',
        'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n',
        `${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(LIMIT / 65_536 + 1),
      ),
      3000,
      true,
    );
    assert.equal(streaming.status, 413);
    assert.equal(streaming.text, TOO_LARGE);
    assert.ok(streaming.closed, 'closed after a streamed 413');
  });

  it('good requests in between still work: extra and __proto__ fields are ignored', async () => {
    const note = await post('/api/notes/', '{"text":"kept","owner":"bob","__proto__":{"owner":"bob"}}', {
      ...JSON_TYPE,
      ...bearer(access),
    });
    assert.equal(note.status, 201, note.text);
    assert.equal((JSON.parse(note.text) as { owner: string }).owner, 'alice');
    goodWrites.notes++;
    const login = await request(`${server.url}/api/token/`, {
      method: 'POST',
      rawBody: `{"username":"alice","password":${JSON.stringify(alice.password)},"__proto__":{"is_staff":true},"is_staff":true}`,
      headers: JSON_TYPE,
    });
    assert.equal(login.status, 200, login.text);
    goodWrites.logins++;
  });

  it(`nothing but the good requests changed the database (${cases.length} hostile cases)`, () => {
    const stores = openTestStores(server.dataDir);
    const count = (table: string): number =>
      stores.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    try {
      assert.equal(count('notes'), baseline.notes + goodWrites.notes);
      assert.equal(count('outstanding_tokens'), baseline.outstanding + goodWrites.logins - 1);
      assert.equal(count('blacklisted_tokens'), baseline.blacklisted);
      assert.equal(count('users'), baseline.users);
      assert.equal(stores.db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      stores.close();
    }
    assert.deepEqual(
      server.logs.filter(
        (l) => l.msg === 'worker died' || l.msg === 'request failed' || l.msg === 'uncaught exception',
      ),
      [],
      'no worker crashed and no request failed with a 500',
    );
  });
});
