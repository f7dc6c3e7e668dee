/**
 * Gatekeeper mode: the /auth/check endpoint on its own, then Gatehouse in front of another backend through a
 * real Nginx running the shipped ops/nginx/gatekeeper.conf (ports and paths changed only) and a tiny upstream
 * HTTP server that records what reaches it: allowed requests arrive with the user's id and staff flag,
 * refused ones (401, 403, 429) never arrive and the client gets the contract's answer.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  createUsers,
  startGatehouse,
  type GatehouseProcess,
  type TestUser,
} from '../support/gatehouse-process.js';
import { bearer, request, type JsonResponse } from '../support/http.js';
import {
  adaptSite,
  freePort,
  nginxBinary,
  shippedSite,
  startNginx,
  type NginxProcess,
} from '../support/nginx.js';

const NGINX = nginxBinary();
const RATES = 'anon=1000/min,user=100000/min,limited=5/min,backend=3/min';
const NOT_AUTHENTICATED = '{"detail":"Authentication credentials were not provided."}';
const PERMISSION_DENIED = '{"detail":"You do not have permission to perform this action."}';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** The protected backend: answers 200 with what it saw, and remembers every request. */
async function startUpstream(): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ backend: true, path: req.url }));
    });
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
  return { server, port, seen };
}

async function token(base: string, user: TestUser): Promise<string> {
  const r = await request(`${base}/api/token/`, {
    body: { username: user.username, password: user.password },
  });
  assert.equal(r.status, 200, r.text);
  return (r.body as { access: string }).access;
}

function check(gatehouse: GatehouseProcess, headers: Record<string, string>): Promise<JsonResponse> {
  return request(`${gatehouse.url}/auth/check`, { headers });
}

describe('gatekeeper endpoint (direct)', () => {
  let gatehouse: GatehouseProcess;
  let alice: TestUser;
  let access: string;

  before(async () => {
    gatehouse = await startGatehouse({ workers: 1, env: { GATEHOUSE_GATEKEEPER: 'true' } });
    [alice] = await createUsers(gatehouse.dataDir, [{ username: 'alice' }]);
    access = await token(gatehouse.url, alice!);
  });
  after(() => gatehouse.stop());

  it('answers 204 without a body, with the user id and staff flag', async () => {
    const r = await check(gatehouse, {
      'x-original-method': 'GET',
      'x-original-uri': '/anything/?a=1',
      ...bearer(access),
    });
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    assert.equal(r.headers.get('content-type'), null);
    assert.equal(r.headers.get('x-gatehouse-user-id'), String(alice!.id));
    assert.equal(r.headers.get('x-gatehouse-is-staff'), 'false');
  });

  it('refuses with the contract body, repeated in X-Gatehouse-Error-Body', async () => {
    const anonymous = await check(gatehouse, { 'x-original-method': 'GET', 'x-original-uri': '/anything/' });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.text, NOT_AUTHENTICATED);
    assert.equal(anonymous.headers.get('x-gatehouse-error-body'), NOT_AUTHENTICATED);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="api"');
    const bad = await check(gatehouse, {
      'x-original-method': 'GET',
      'x-original-uri': '/anything/',
      ...bearer(access + 'x'),
    });
    assert.equal(bad.status, 401);
    assert.equal((bad.body as { code: string }).code, 'token_not_valid');
    assert.equal(bad.headers.get('x-gatehouse-error-body'), bad.text);
  });

  it('refuses a request that does not describe the original one', async () => {
    const r = await check(gatehouse, bearer(access));
    assert.equal(r.status, 400);
    assert.equal((r.body as { code: string }).code, 'gatekeeper_request_incomplete');
  });

  it('only answers GET (the verdict is framed for the carrying request)', async () => {
    const r = await request(`${gatehouse.url}/auth/check`, {
      method: 'HEAD',
      headers: { 'x-original-method': 'GET', 'x-original-uri': '/' },
    });
    assert.equal(r.status, 404);
  });
});

describe(
  'gatekeeper through Nginx (ops/nginx/gatekeeper.conf)',
  { skip: NGINX === null ? 'nginx is not installed' : false },
  () => {
    let gatehouse: GatehouseProcess;
    let nginx: NginxProcess;
    let upstream: Awaited<ReturnType<typeof startUpstream>>;
    let base: string;
    let alice: TestUser;
    let admin: TestUser;

    before(async () => {
      upstream = await startUpstream();
      gatehouse = await startGatehouse({
        workers: 2,
        env: {
          GATEHOUSE_GATEKEEPER: 'true',
          GATEHOUSE_GATEKEEPER_PERMISSION: 'isAdmin',
          GATEHOUSE_GATEKEEPER_THROTTLES: 'backend',
          GATEHOUSE_THROTTLE_RATES: RATES,
          GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1/32',
        },
      });
      [alice, admin] = await createUsers(gatehouse.dataDir, [
        { username: 'alice' },
        { username: 'admin', isStaff: true },
      ]);
      const port = await freePort();
      const site = adaptSite(shippedSite('gatekeeper.conf'), {
        ports: { 80: port, 8000: gatehouse.port, 9000: upstream.port },
      });
      nginx = await startNginx(NGINX!, site, [port]);
      base = `http://127.0.0.1:${port}`;
    });
    after(async () => {
      await nginx?.stop();
      await gatehouse?.stop();
      upstream?.server.close();
    });

    it('serves the token endpoints of Gatehouse itself', async () => {
      const r = await request(`${base}/api/token/`, {
        body: { username: alice!.username, password: alice!.password },
      });
      assert.equal(r.status, 200);
      assert.deepEqual(Object.keys(r.body as object), ['refresh', 'access']);
    });

    it('refuses an anonymous request with 401 and the contract body; the backend never sees it', async () => {
      const before = upstream.seen.length;
      const r = await request(`${base}/orders/`);
      assert.equal(r.status, 401);
      assert.equal(r.text, NOT_AUTHENTICATED);
      assert.equal(r.headers.get('content-type'), 'application/json');
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api"');
      const bad = await request(`${base}/orders/`, { headers: bearer('not-a-token') });
      assert.equal(bad.status, 401);
      assert.equal((bad.body as { code: string }).code, 'token_not_valid');
      assert.equal(upstream.seen.length, before);
    });

    it('refuses a user the policy does not allow with 403', async () => {
      const before = upstream.seen.length;
      const r = await request(`${base}/orders/`, { headers: bearer(await token(base, alice!)) });
      assert.equal(r.status, 403);
      assert.equal(r.text, PERMISSION_DENIED);
      assert.equal(r.headers.get('www-authenticate'), null);
      assert.equal(upstream.seen.length, before);
    });

    it('passes an allowed request with its method, URI and body, and Gatehouse’s user headers only', async () => {
      const access = await token(base, admin!);
      // A client cannot pass itself off as another user: Nginx replaces these headers with Gatehouse's values.
      const spoofed = { 'x-gatehouse-user-id': '999', 'x-gatehouse-is-staff': 'true' };
      const get = await request(`${base}/orders/?page=2`, { headers: { ...bearer(access), ...spoofed } });
      assert.equal(get.status, 200);
      assert.deepEqual(get.body, { backend: true, path: '/orders/?page=2' });
      const post = await request(`${base}/orders/`, { headers: bearer(access), body: { item: 'tea' } });
      assert.equal(post.status, 200);
      const [seenGet, seenPost] = upstream.seen.slice(-2);
      assert.equal(seenGet!.method, 'GET');
      assert.equal(seenGet!.url, '/orders/?page=2');
      assert.equal(seenGet!.headers['x-gatehouse-user-id'], String(admin!.id));
      assert.equal(seenGet!.headers['x-gatehouse-is-staff'], 'true');
      assert.equal(seenPost!.method, 'POST');
      assert.equal(seenPost!.body, '{"item":"tea"}');
      assert.equal(seenPost!.headers['x-gatehouse-user-id'], String(admin!.id));
    });

    it('throttles with 429, Retry-After and the contract body (mapped from auth_request’s 500)', async () => {
      // The two requests above used 2 of the 3 per minute of the "backend" scope.
      const access = await token(base, admin!);
      assert.equal((await request(`${base}/orders/`, { headers: bearer(access) })).status, 200);
      const before = upstream.seen.length;
      const r = await request(`${base}/orders/`, { headers: bearer(access) });
      assert.equal(r.status, 429);
      assert.match(r.text, /^\{"detail":"Request was throttled\. Expected available in \d+ seconds?\."\}$/);
      assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
      assert.equal(r.headers.get('content-type'), 'application/json');
      assert.equal(upstream.seen.length, before);
    });

    it('refuses every request with 503 when Gatehouse is down (fails closed)', async () => {
      await gatehouse.stop();
      const before = upstream.seen.length;
      const r = await request(`${base}/orders/`);
      assert.equal(r.status, 503);
      assert.equal((r.body as { code: string }).code, 'service_unavailable');
      assert.equal(upstream.seen.length, before);
    });
  },
);

describe(
  'gatekeeper judges the original method (isAuthenticatedOrReadOnly)',
  { skip: NGINX === null ? 'nginx is not installed' : false },
  () => {
    let gatehouse: GatehouseProcess;
    let nginx: NginxProcess;
    let upstream: Awaited<ReturnType<typeof startUpstream>>;
    let base: string;

    before(async () => {
      upstream = await startUpstream();
      gatehouse = await startGatehouse({
        workers: 1,
        env: {
          GATEHOUSE_GATEKEEPER: 'true',
          GATEHOUSE_GATEKEEPER_PERMISSION: 'isAuthenticatedOrReadOnly',
          GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1/32',
        },
      });
      const port = await freePort();
      nginx = await startNginx(
        NGINX!,
        adaptSite(shippedSite('gatekeeper.conf'), {
          ports: { 80: port, 8000: gatehouse.port, 9000: upstream.port },
        }),
        [port],
      );
      base = `http://127.0.0.1:${port}`;
    });
    after(async () => {
      await nginx?.stop();
      await gatehouse?.stop();
      upstream?.server.close();
    });

    it('lets anonymous reads through without user headers and refuses anonymous writes', async () => {
      const get = await request(`${base}/articles/`, { headers: { 'x-gatehouse-user-id': '1' } });
      assert.equal(get.status, 200);
      assert.equal(upstream.seen.at(-1)!.headers['x-gatehouse-user-id'], undefined);
      const head = await request(`${base}/articles/`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      const seen = upstream.seen.length;
      const post = await request(`${base}/articles/`, { body: { title: 'x' } });
      assert.equal(post.status, 401);
      assert.equal(post.text, NOT_AUTHENTICATED);
      const del = await request(`${base}/articles/1/`, { method: 'DELETE' });
      assert.equal(del.status, 401);
      assert.equal(upstream.seen.length, seen);
    });
  },
);
