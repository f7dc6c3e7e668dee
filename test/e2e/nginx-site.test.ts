/**
 * The shipped Nginx site (ops/nginx/gatehouse.conf) in front of a real Gatehouse cluster, adapted only in ports
 * and paths: `nginx -t` passes, the token flow works over its TLS server block, plain HTTP redirects, bodies
 * over the limit stop at Nginx, and the throttle buckets requests by the real client address that Nginx
 * appends to X-Forwarded-For — not by Nginx's own address, and not by what the client wrote in the header.
 * Clients use loopback source addresses 127.0.0.2, 127.0.0.3, … (all of 127.0.0.0/8 is local on Linux).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createUsers,
  startGatehouse,
  type GatehouseProcess,
  type TestUser,
} from '../support/gatehouse-process.js';
import { request } from '../support/http.js';
import {
  adaptSite,
  freePort,
  nginxBinary,
  selfSignedCertificate,
  shippedSite,
  startNginx,
  testNginxConfig,
  type Certificate,
  type NginxProcess,
  type SiteAdaptation,
} from '../support/nginx.js';

const NGINX = nginxBinary();
const SKIP =
  NGINX === null
    ? 'nginx is not installed'
    : spawnSync('openssl', ['version']).status !== 0
      ? 'openssl is not installed'
      : false;
const ANON_PER_MINUTE = 5;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly body: unknown;
}

/**
 * One request on a new connection, from a chosen loopback source address: HTTPS trusting the test CA when
 * `ca` is given, plain HTTP otherwise.
 */
function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown; from?: string; ca?: string },
): Promise<Answer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const requestFn = options.ca === undefined ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = requestFn(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? (payload === undefined ? 'GET' : 'POST'),
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        agent: false,
        ...(options.from === undefined ? {} : { localAddress: options.from }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode!, headers: res.headers, text, body });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('ops/nginx/*.conf pass nginx -t', { skip: SKIP }, () => {
  let dir: string;
  let certificate: Certificate;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-nginx-t-'));
    certificate = selfSignedCertificate(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gatehouse.conf', () => {
    const site = adaptSite(
      shippedSite('gatehouse.conf'),
      siteAdaptation(dir, certificate, 18080, 18443, 18000),
    );
    const result = testNginxConfig(NGINX!, site);
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /test is successful/);
  });

  it('gatekeeper.conf', () => {
    const result = testNginxConfig(
      NGINX!,
      adaptSite(shippedSite('gatekeeper.conf'), { ports: { 80: 18080, 8000: 18000, 9000: 19000 } }),
    );
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /test is successful/);
  });
});

function siteAdaptation(
  dir: string,
  certificate: Certificate,
  http: number,
  https: number,
  gatehouse: number,
): SiteAdaptation {
  return {
    ports: { 80: http, 443: https, 8000: gatehouse },
    paths: {
      '/etc/ssl/gatehouse/fullchain.pem': certificate.certPath,
      '/etc/ssl/gatehouse/privkey.pem': certificate.keyPath,
      '/var/log/nginx/': dir + '/',
    },
  };
}

describe('Gatehouse behind ops/nginx/gatehouse.conf', { skip: SKIP }, () => {
  let dir: string;
  let certificate: Certificate;
  let gatehouse: GatehouseProcess;
  let nginx: NginxProcess;
  let httpPort: number;
  let httpsPort: number;
  let alice: TestUser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-nginx-site-'));
    certificate = selfSignedCertificate(dir);
    gatehouse = await startGatehouse({
      workers: 2,
      env: {
        GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1/32',
        GATEHOUSE_THROTTLE_RATES: `anon=${ANON_PER_MINUTE}/min,user=100000/min,limited=5/min`,
      },
    });
    [alice] = await createUsers(gatehouse.dataDir, [{ username: 'alice' }]);
    httpPort = await freePort();
    httpsPort = await freePort();
    const site = adaptSite(
      shippedSite('gatehouse.conf'),
      siteAdaptation(dir, certificate, httpPort, httpsPort, gatehouse.port),
    );
    nginx = await startNginx(NGINX!, site, [httpPort, httpsPort]);
  });
  after(async () => {
    await nginx?.stop();
    await gatehouse?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the token flow over TLS', async () => {
    const ca = certificate.pem;
    const pair = await send(httpsPort, '/api/token/', {
      ca,
      body: { username: alice!.username, password: alice!.password },
    });
    assert.equal(pair.status, 200, pair.text);
    const { access, refresh } = pair.body as { access: string; refresh: string };
    assert.equal(pair.headers['strict-transport-security'], 'max-age=63072000');
    // Gatehouse kept the request id Nginx generated (a trusted proxy's X-Request-Id): one id in both logs.
    assert.match(String(pair.headers['x-request-id']), /^[0-9a-f]{32}$/);
    // Neither Nginx's version nor uWS's "uWebSockets: 20" mark reaches the client.
    assert.equal(pair.headers['uwebsockets'], undefined);
    assert.equal(pair.headers['server'], 'nginx');

    const me = await send(httpsPort, '/api/me/', { ca, headers: { authorization: `Bearer ${access}` } });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, { id: alice!.id, username: 'alice', is_staff: false });

    const refreshed = await send(httpsPort, '/api/token/refresh/', { ca, body: { refresh } });
    assert.equal(refreshed.status, 200);
    const rotated = (refreshed.body as { refresh: string }).refresh;
    assert.equal((await send(httpsPort, '/api/token/verify/', { ca, body: { token: rotated } })).status, 200);
    assert.equal(
      (await send(httpsPort, '/api/token/blacklist/', { ca, body: { refresh: rotated } })).status,
      200,
    );
    const reused = await send(httpsPort, '/api/token/refresh/', { ca, body: { refresh: rotated } });
    assert.equal(reused.status, 401);
    assert.equal(reused.text, '{"detail":"Token is blacklisted","code":"token_not_valid"}');
  });

  it('redirects plain HTTP to HTTPS with 308 (method and body kept)', async () => {
    const r = await request(`http://127.0.0.1:${httpPort}/api/token/`, { body: {} });
    assert.equal(r.status, 308);
    assert.equal(r.headers.get('location'), 'https://127.0.0.1/api/token/');
  });

  it('does not expose /metrics to the Internet', async () => {
    assert.equal((await send(httpsPort, '/metrics', { ca: certificate.pem })).status, 404);
  });

  it('refuses a body over maxBodyBytes at Nginx', async () => {
    const r = await send(httpsPort, '/api/token/', {
      ca: certificate.pem,
      body: { username: 'x'.repeat(1_100_000), password: 'y' },
    });
    assert.equal(r.status, 413);
    assert.match(r.text, /nginx/);
  });

  it('throttles by the client address Nginx appends to X-Forwarded-For, whatever the client sends', async () => {
    const ca = certificate.pem;
    const get = (from: string, forwardedFor?: string): Promise<Answer> =>
      send(httpsPort, '/api/public/', {
        ca,
        from,
        headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
      });

    // 127.0.0.2 spends its anonymous quota, claiming another address each time: the claims are ignored.
    for (let i = 0; i < ANON_PER_MINUTE; i++)
      assert.equal((await get('127.0.0.2', `10.0.0.${i + 1}`)).status, 200);
    const throttled = await get('127.0.0.2', '10.9.9.9');
    assert.equal(throttled.status, 429);
    assert.match(
      throttled.text,
      /^\{"detail":"Request was throttled\. Expected available in \d+ seconds?\."\}$/,
    );
    // Nor can it borrow the bucket of an address it names.
    assert.equal((await get('127.0.0.2', '127.0.0.3')).status, 429);
    // Another client behind the same Nginx has its own bucket: the throttle does not see Nginx's 127.0.0.1.
    assert.equal((await get('127.0.0.3')).status, 200);
    assert.equal((await get('127.0.0.3', '127.0.0.2')).status, 200);
    // A client talking to Gatehouse directly is not a trusted proxy: its X-Forwarded-For is ignored too.
    const direct = await send(gatehouse.port, '/api/public/', {
      from: '127.0.0.4',
      headers: { 'x-forwarded-for': '127.0.0.2' },
    });
    assert.equal(direct.status, 200);
  });
});
