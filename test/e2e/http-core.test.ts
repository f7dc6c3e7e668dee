/**
 * The HTTP core against the real uWS server: router outcomes, the error bodies and headers of CONTRACT.md,
 * body handling, a throwing handler, and clients that go away mid-request.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineRoute } from '../../src/pipeline/define-route.js';
import { json } from '../../src/pipeline/replies.js';
import { startInProcess, type InProcessApp } from '../support/in-process-app.js';
import { rawRequest, request } from '../support/http.js';

const SECURITY = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

function assertSecurityHeaders(headers: Headers): void {
  for (const [name, value] of Object.entries(SECURITY)) assert.equal(headers.get(name), value, name);
  assert.ok(headers.get('x-request-id'), 'x-request-id');
  assert.equal(headers.get('vary'), null);
}

describe('HTTP core', () => {
  let server: InProcessApp;
  let slowStarted = 0;
  let slowFinished = 0;

  before(async () => {
    server = await startInProcess({
      routes: () => [
        defineRoute({
          method: 'GET',
          path: '/test/boom/',
          authentication: [],
          handler: () => {
            throw new Error('handler exploded with a secret inside');
          },
        }),
        defineRoute({
          method: 'GET',
          path: '/test/async-boom/',
          authentication: [],
          handler: async () => {
            await sleep(1);
            throw new Error('async handler exploded');
          },
        }),
        defineRoute({
          method: 'GET',
          path: '/test/slow/',
          authentication: [],
          handler: async () => {
            slowStarted++;
            await sleep(300);
            slowFinished++;
            return json(200, { slow: true });
          },
        }),
        defineRoute({
          method: 'POST',
          path: '/test/echo/',
          authentication: [],
          handler: (ctx) => json(200, ctx.body),
        }),
        defineRoute({
          method: 'GET',
          path: '/test/items/:id/',
          authentication: [],
          handler: (ctx) => json(200, { id: ctx.params[0], query: ctx.query }),
        }),
        defineRoute({
          method: 'GET',
          path: '/test/search/',
          authentication: [],
          query: true,
          handler: (ctx) => json(200, { query: ctx.query }),
        }),
      ],
    });
  });
  after(() => server.close());

  it('answers an unknown path with a JSON 404 and no Allow', async () => {
    const r = await request(`${server.url}/nope/`);
    assert.equal(r.status, 404);
    assert.equal(r.text, '{"detail":"Not found."}');
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.headers.get('allow'), null);
    assertSecurityHeaders(r.headers);
  });

  it('redirects a known path without its trailing slash, keeping the query', async () => {
    const r = await request(`${server.url}/api/public?x=1&y=2`);
    assert.equal(r.status, 301);
    assert.equal(r.headers.get('location'), '/api/public/?x=1&y=2');
    assert.equal(r.text, '');
    // Django's HttpResponsePermanentRedirect: an empty HTML body.
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    const head = await request(`${server.url}/api/public`, { method: 'HEAD' });
    assert.equal(head.status, 301);
  });

  it('matches route parameters', async () => {
    const r = await request(`${server.url}/test/items/a%2Fb/?x=1`);
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body,
      { id: 'a/b', query: '' },
      'the query string is copied only for routes that declare it',
    );
    const search = await request(`${server.url}/test/search/?q=gate&page=2`);
    assert.deepEqual(search.body, { query: 'q=gate&page=2' });
  });

  it('answers 405 with the route Allow after the pipeline', async () => {
    const r = await request(`${server.url}/api/public/`, { method: 'DELETE' });
    assert.equal(r.status, 405);
    assert.equal(r.text, '{"detail":"Method \\"DELETE\\" not allowed."}');
    assert.equal(r.headers.get('allow'), 'GET, HEAD, OPTIONS');
    assertSecurityHeaders(r.headers);
    // An anonymous PUT on a route for users is refused by authentication first (DRF order).
    const anonymous = await request(`${server.url}/api/me/`, { method: 'PUT' });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('allow'), 'GET, HEAD, OPTIONS');
  });

  it('answers HEAD like GET without a body', async () => {
    const get = await request(`${server.url}/api/public/`);
    const head = await request(`${server.url}/api/public/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(get.text)));
    assert.equal(head.headers.get('allow'), 'GET, HEAD, OPTIONS');
  });

  it('answers OPTIONS with the view metadata', async () => {
    const r = await request(`${server.url}/api/token/`, { method: 'OPTIONS' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('allow'), 'POST, OPTIONS');
    const body = r.body as Record<string, unknown>;
    // DRF's SimpleMetadata adds the serializer's fields ("actions") for a view that has one, as simplejwt's do.
    assert.deepEqual(Object.keys(body), ['name', 'description', 'renders', 'parses', 'actions']);
    assert.equal(body['name'], 'Token Obtain Pair');
    assert.deepEqual(body['renders'], ['application/json']);
    assert.deepEqual(body['parses'], ['application/json']);
    assert.deepEqual(body['actions'], {
      POST: {
        username: { type: 'string', required: true, read_only: false, label: 'Username' },
        password: { type: 'string', required: true, read_only: false, label: 'Password' },
      },
    });
    const notes = await request(`${server.url}/api/notes/`, { method: 'OPTIONS' });
    assert.equal(notes.headers.get('allow'), 'GET, POST, HEAD, OPTIONS');
    assert.deepEqual(Object.keys(notes.body as object), ['name', 'description', 'renders', 'parses']);
  });

  it('refuses an Accept header that excludes JSON with 406', async () => {
    const r = await request(`${server.url}/api/public/`, { headers: { accept: 'text/html' } });
    assert.equal(r.status, 406);
    assert.equal(r.text, '{"detail":"Could not satisfy the request Accept header."}');
    assert.equal(r.headers.get('allow'), 'GET, HEAD, OPTIONS');
    for (const accept of ['application/json', '*/*', 'text/html, application/json;q=0.5', 'application/*']) {
      assert.equal((await request(`${server.url}/api/public/`, { headers: { accept } })).status, 200, accept);
    }
    assert.equal(
      (await request(`${server.url}/api/public/`, { headers: { accept: 'application/json;q=0' } })).status,
      406,
    );
  });

  it('refuses a body over the limit with 413, declared or streamed', async () => {
    const limit = server.app.services.config.maxBodyBytes;
    const declared = await request(`${server.url}/test/echo/`, {
      rawBody: 'x'.repeat(limit + 1),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(declared.status, 413);
    assert.match(declared.text, /"detail":"Request body is larger than the limit of \d+ bytes\."/);
    assert.equal(declared.headers.get('allow'), 'POST, OPTIONS');
    const chunk = `${'x'.repeat(64 * 1024).length.toString(16)}\r\n${'x'.repeat(64 * 1024)}\r\n`;
    const chunks = chunk.repeat(Math.ceil(limit / (64 * 1024)) + 1);
    const streamed = await rawRequest(
      server.port,
      `POST /test/echo/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`,
    );
    assert.equal(streamed.status, 413);
    assert.equal((await request(`${server.url}/healthz`)).status, 200);
  });

  it('refuses a body that is not JSON with 415, naming the content type', async () => {
    const r = await request(`${server.url}/test/echo/`, {
      rawBody: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(r.status, 415);
    assert.equal(r.text, '{"detail":"Unsupported media type \\"text/plain\\" in request."}');
    const missing = await rawRequest(
      server.port,
      'POST /test/echo/ HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}',
    );
    assert.equal(missing.status, 415);
    assert.equal(missing.body, '{"detail":"Unsupported media type \\"\\" in request."}');
  });

  it('takes a POST without body and content type as an empty object', async () => {
    const r = await request(`${server.url}/test/echo/`, { method: 'POST' });
    assert.equal(r.status, 200);
    assert.equal(r.text, '{}');
    const token = await request(`${server.url}/api/token/`, { method: 'POST' });
    assert.equal(token.status, 400);
    assert.equal(
      token.text,
      '{"username":["This field is required."],"password":["This field is required."]}',
    );
  });

  it('answers malformed JSON and JSON that is not an object with 400', async () => {
    const malformed = await request(`${server.url}/test/echo/`, {
      rawBody: '{"a":',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(malformed.status, 400);
    assert.match((malformed.body as { detail: string }).detail, /^JSON parse error - /);
    assert.doesNotMatch(malformed.text, /\{"a":/, 'the body is not echoed');
    const cases: [string, string][] = [
      ['[1]', 'list'],
      ['"s"', 'str'],
      ['1', 'int'],
      ['1.5', 'float'],
      ['true', 'bool'],
      ['null', 'NoneType'],
    ];
    for (const [body, type] of cases) {
      const r = await request(`${server.url}/test/echo/`, {
        rawBody: body,
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
      assert.equal(r.status, 400, body);
      assert.equal(r.text, `{"non_field_errors":["Invalid data. Expected a dictionary, but got ${type}."]}`);
      assert.equal(r.headers.get('allow'), 'POST, OPTIONS');
    }
    const badUtf8 = await request(`${server.url}/test/echo/`, {
      rawBody: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(badUtf8.status, 400);
  });

  it('answers 500 when a handler throws, without internals, and keeps serving', async () => {
    for (const path of ['/test/boom/', '/test/async-boom/']) {
      const r = await request(`${server.url}${path}`);
      assert.equal(r.status, 500);
      assert.equal(r.text, '{"detail":"A server error occurred."}');
      assert.doesNotMatch(r.text, /secret|exploded|at /);
      assertSecurityHeaders(r.headers);
      assert.equal((await request(`${server.url}/api/public/`)).status, 200);
    }
  });

  it('survives a client that disconnects mid-body and one that leaves during an async handler', async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.write(
          'POST /test/echo/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":',
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
    const before = slowFinished;
    await new Promise<void>((resolve) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.write('GET /test/slow/ HTTP/1.1\r\nHost: x\r\n\r\n');
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
    await sleep(400);
    assert.ok(slowStarted >= 1);
    assert.equal(slowFinished, before + 1, 'the handler ran to completion after the client left');
    assert.equal((await request(`${server.url}/api/public/`)).status, 200);
    assert.equal(server.app.server.requestsInFlight, 0);
  });
});
