/**
 * GET /metrics against the real cluster (supervisor + 2 worker processes): counts add up over the workers, each
 * authentication failure reason has its own series, token operations and throttling are counted, a worker's
 * counts survive its crash, and the endpoint is closed to clients outside `metricsAllow`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSigner, JWT_SETTINGS_DEFAULTS } from '../../src/auth/jwt/index.js';
import { newJti } from '../../src/auth/tokens/token-service.js';
import {
  createUsers,
  startGatehouse,
  TEST_SIGNING_KEY,
  type GatehouseProcess,
  type TestUser,
} from '../support/gatehouse-process.js';
import { startInProcess } from '../support/in-process-app.js';
import { bearer, rawRequest, request } from '../support/http.js';
import { parsePrometheusText, samplesOf, valueOf, type Sample } from '../unit/metrics/prometheus-text.js';

const signer = createSigner({
  ...JWT_SETTINGS_DEFAULTS,
  signingKey: { algorithm: 'HS256', secret: TEST_SIGNING_KEY },
  verifyingKeys: [],
  cacheSize: 0,
});
const otherKeySigner = createSigner({
  ...JWT_SETTINGS_DEFAULTS,
  signingKey: { algorithm: 'HS256', secret: 'another-key-0123456789abcdef0123456789abcdef' },
  verifyingKeys: [],
  cacheSize: 0,
});

function accessToken(claims: Record<string, unknown>, sign = signer): string {
  const now = Math.floor(Date.now() / 1000);
  return sign.sign({ token_type: 'access', exp: now + 300, iat: now, jti: newJti(), ...claims });
}

/** One request on its own connection, so that the kernel spreads them over the workers (SO_REUSEPORT). */
async function getOnNewConnection(port: number, path: string): Promise<number> {
  const response = await rawRequest(
    port,
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
  );
  return response.status;
}

async function scrape(server: { url: string }): Promise<Sample[]> {
  const response = await request(`${server.url}/metrics`);
  assert.equal(response.status, 200, response.text);
  assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(response.text);
}

const requestsOf = (samples: Sample[], route: string, status: string, method = 'GET') =>
  valueOf(samples, 'gatehouse_http_requests_total', { route, method, status });

describe('GET /metrics on a 2-worker cluster', () => {
  let server: GatehouseProcess;
  let alice: TestUser;
  let inactive: TestUser;

  before(async () => {
    server = await startGatehouse({
      workers: 2,
      env: { GATEHOUSE_THROTTLE_RATES: 'anon=1000/min,user=100000/min,limited=2/min' },
    });
    [alice, inactive] = await createUsers(server.dataDir, [
      { username: 'alice' },
      { username: 'idle', isActive: false },
    ]);
  });
  after(() => server.stop());

  it('adds up requests spread over every worker', async () => {
    const before = await scrape(server);
    const n = 40;
    for (let i = 0; i < n; i++) assert.equal(await getOnNewConnection(server.port, '/api/public/'), 200);
    const samples = await scrape(server);
    assert.equal(requestsOf(samples, '/api/public/', '200') - requestsOf(before, '/api/public/', '200'), n);
    assert.equal(
      valueOf(samples, 'gatehouse_http_request_duration_seconds_count', { route: '/api/public/' }),
      requestsOf(samples, '/api/public/', '200'),
    );
    // Both workers answered some of them: each reports its own count under its worker label.
    const perWorker = samplesOf(samples, 'gatehouse_worker_requests_total');
    assert.equal(perWorker.length, 2, JSON.stringify(perWorker));
    for (const sample of perWorker)
      assert.ok(sample.value > 0, `worker ${sample.labels['worker']} served nothing`);
    // Per-process series keep one line per worker (and the supervisor), not an average.
    assert.deepEqual(
      samplesOf(samples, 'nodejs_eventloop_lag_p99_seconds')
        .map((s) => s.labels['worker'])
        .sort(),
      ['1', '2', 'supervisor'],
    );
    assert.equal(valueOf(samples, 'gatehouse_worker_starts_total', { reason: 'initial' }), 2);
    assert.equal(valueOf(samples, 'gatehouse_workers', { state: 'serving' }), 2);
  });

  it('counts each authentication failure reason in its own series', async () => {
    const now = Math.floor(Date.now() / 1000);
    const refresh = signer.sign({
      token_type: 'refresh',
      exp: now + 300,
      iat: now,
      jti: newJti(),
      user_id: alice.id,
    });
    const attempts: Record<string, Record<string, string>> = {
      missing_credentials: {},
      bad_header: { authorization: 'Bearer a b' },
      expired: bearer(accessToken({ user_id: alice.id, exp: now - 60, iat: now - 400 })),
      invalid: bearer(accessToken({ user_id: alice.id }, otherKeySigner)),
      wrong_type: bearer(refresh),
      no_user_id: bearer(accessToken({})),
      user_not_found: bearer(accessToken({ user_id: 999_999 })),
      user_inactive: bearer(accessToken({ user_id: inactive.id })),
    };
    const before = await scrape(server);
    const reasons = Object.keys(attempts);
    // Reason i is sent i + 1 times, so a reason counted under another's series cannot go unnoticed.
    for (const [i, reason] of reasons.entries()) {
      for (let k = 0; k <= i; k++) {
        const response = await request(`${server.url}/api/hello/`, { headers: attempts[reason]! });
        assert.equal(response.status, 401, `${reason}: ${response.text}`);
      }
    }
    const samples = await scrape(server);
    for (const [i, reason] of reasons.entries()) {
      const counted =
        valueOf(samples, 'gatehouse_auth_failures_total', { reason }) -
        valueOf(before, 'gatehouse_auth_failures_total', { reason });
      assert.equal(counted, i + 1, reason);
    }
    assert.equal(
      requestsOf(samples, '/api/hello/', '401') - requestsOf(before, '/api/hello/', '401'),
      (reasons.length * (reasons.length + 1)) / 2,
    );
  });

  it('counts logins, token operations, issued tokens and throttle rejections', async () => {
    const before = await scrape(server);
    const delta = (samples: Sample[], name: string, labels: Record<string, string>) =>
      valueOf(samples, name, labels) - valueOf(before, name, labels);
    const login = await request(`${server.url}/api/token/`, {
      body: { username: 'alice', password: alice.password },
    });
    assert.equal(login.status, 200);
    assert.equal(
      (await request(`${server.url}/api/token/`, { body: { username: 'alice', password: 'wrong' } })).status,
      401,
    );
    const { refresh, access } = login.body as { refresh: string; access: string };
    const refreshed = await request(`${server.url}/api/token/refresh/`, { body: { refresh } });
    assert.equal(refreshed.status, 200);
    assert.equal(
      (await request(`${server.url}/api/token/refresh/`, { body: { refresh } })).status,
      401,
      'reuse of a rotated token',
    );
    assert.equal((await request(`${server.url}/api/token/verify/`, { body: { token: access } })).status, 200);
    // Not the rotated successor: the reuse above revoked its whole family.
    const now = Math.floor(Date.now() / 1000);
    const unrelated = signer.sign({
      token_type: 'refresh',
      exp: now + 300,
      iat: now,
      jti: newJti(),
      user_id: alice.id,
    });
    assert.equal(
      (await request(`${server.url}/api/token/blacklist/`, { body: { refresh: unrelated } })).status,
      200,
    );
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await request(`${server.url}/api/limited/`, { headers: bearer(access) })).status);
    assert.deepEqual(statuses, [200, 200, 429]);

    const samples = await scrape(server);
    assert.equal(delta(samples, 'gatehouse_logins_total', { outcome: 'success' }), 1);
    assert.equal(delta(samples, 'gatehouse_logins_total', { outcome: 'failure' }), 1);
    assert.equal(delta(samples, 'gatehouse_token_refreshes_total', { outcome: 'success' }), 1);
    assert.equal(delta(samples, 'gatehouse_token_refreshes_total', { outcome: 'blacklisted' }), 1);
    assert.equal(delta(samples, 'gatehouse_token_verifications_total', { outcome: 'valid' }), 1);
    assert.equal(delta(samples, 'gatehouse_token_revocations_total', { kind: 'blacklist' }), 1);
    assert.equal(delta(samples, 'gatehouse_tokens_issued_total', { type: 'access' }), 2);
    assert.equal(delta(samples, 'gatehouse_tokens_issued_total', { type: 'refresh' }), 2);
    assert.equal(delta(samples, 'gatehouse_throttle_rejections_total', { scope: 'limited' }), 1);
    assert.ok(
      delta(samples, 'gatehouse_password_hash_seconds_count', { operation: 'verify' }) >= 2,
      'password verifications are timed',
    );
    assert.ok(
      delta(samples, 'gatehouse_db_query_seconds_count', { store: 'users', operation: 'findByUsername' }) >=
        2,
      'store calls are timed',
    );
  });

  it("keeps a crashed worker's counts in the totals and counts the crash and the restart", async () => {
    const before = await scrape(server);
    const served = requestsOf(before, '/api/public/', '200');
    const victim = server.workerPids()[0]!;
    const replaced = server.waitForLog((l) => l.msg === 'worker replaced');
    process.kill(victim, 'SIGKILL');
    await replaced;
    const samples = await scrape(server);
    assert.equal(requestsOf(samples, '/api/public/', '200'), served, 'the totals did not fall back');
    assert.equal(valueOf(samples, 'gatehouse_worker_exits_total', { reason: 'crash' }), 1);
    assert.equal(valueOf(samples, 'gatehouse_worker_restarts_total'), 1);
    assert.equal(valueOf(samples, 'gatehouse_worker_starts_total', { reason: 'restart' }), 1);
    assert.equal(
      samplesOf(samples, 'gatehouse_worker_requests_total').length,
      2,
      'the dead worker has no per-process series',
    );
  });

  it('refuses a request relayed by a proxy that is not trusted', async () => {
    const response = await request(`${server.url}/metrics`, { headers: { 'x-forwarded-for': '127.0.0.1' } });
    assert.equal(response.status, 403);
    assert.equal(response.text, '{"detail":"You do not have permission to perform this action."}');
  });
});

describe('GET /metrics access and switch', () => {
  it('is refused to a client outside metricsAllow, and judged on the forwarded client behind a trusted proxy', async () => {
    const server = await startInProcess({
      env: { GATEHOUSE_METRICS_ALLOW: '10.0.0.0/8', GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1' },
    });
    try {
      assert.equal((await request(`${server.url}/metrics`)).status, 403, 'loopback is not in 10.0.0.0/8');
      assert.equal(
        (await request(`${server.url}/metrics`, { headers: { 'x-forwarded-for': '10.1.2.3' } })).status,
        200,
      );
      assert.equal(
        (await request(`${server.url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status,
        403,
      );
    } finally {
      await server.close();
    }
  });

  it('is absent when metrics are switched off', async () => {
    const server = await startInProcess({ env: { GATEHOUSE_METRICS: 'false' } });
    try {
      assert.equal((await request(`${server.url}/metrics`)).status, 404);
      assert.equal((await request(`${server.url}/api/public/`)).status, 200);
    } finally {
      await server.close();
    }
  });

  it("answers a single process's own metrics when it runs outside the cluster", async () => {
    const server = await startInProcess();
    try {
      await request(`${server.url}/api/public/`);
      const samples = await scrape(server);
      assert.equal(requestsOf(samples, '/api/public/', '200'), 1);
      assert.equal(samplesOf(samples, 'gatehouse_worker_requests_total').length, 1);
    } finally {
      await server.close();
    }
  });
});
