/**
 * The pipeline's settings against the real cluster (two worker processes): `authenticationSchemes` (the default
 * list and its first scheme's challenge, here API keys first), `ignoreInvalidCredentialsOnPublicRoutes`,
 * `rateLimitHeaders`; and DRF's ordering rules: an anonymous PUT on a route for users is 401 but an
 * authenticated one 405, an anonymous request refused by permissions uses no throttle quota, duplicate
 * Authorization headers are refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGatehouse, tempDataDir, type GatehouseProcess } from '../support/gatehouse-process.js';
import { rawRequest, request } from '../support/http.js';
import {
  accessTokenFor,
  assertAnswer,
  assertThrottled,
  basicHeader,
  createPipelineUsers,
  NOT_PROVIDED,
  PIPELINE_APP,
  throttleRates,
  type PipelineUser,
} from '../support/pipeline-fixtures.js';

describe('pipeline settings (API keys first, invalid credentials ignored on public routes, RateLimit headers)', () => {
  let server: GatehouseProcess;
  let alice: PipelineUser;

  before(async () => {
    const dataDir = tempDataDir();
    ({ alice } = await createPipelineUsers(dataDir));
    server = await startGatehouse({
      workers: 2,
      dataDir,
      env: {
        GATEHOUSE_APP_MODULE: PIPELINE_APP,
        GATEHOUSE_THROTTLE_RATES: throttleRates(),
        GATEHOUSE_AUTHENTICATION_SCHEMES: 'apikey,jwt,basic',
        GATEHOUSE_IGNORE_INVALID_CREDENTIALS_ON_PUBLIC_ROUTES: 'true',
        GATEHOUSE_RATE_LIMIT_HEADERS: 'true',
      },
    });
  });
  after(() => server?.stop());

  it('the example API uses the configured schemes, in order; its 401 carries the first one’s challenge', async () => {
    assertAnswer(await request(`${server.url}/api/me/`), 401, NOT_PROVIDED, 'Token');
    const me = '{"id":' + alice.id + ',"username":"alice","is_staff":false}';
    for (const authorization of [
      `Token ${alice.apiKey}`,
      `Bearer ${accessTokenFor(alice.id)}`,
      basicHeader(alice.username, alice.password),
    ]) {
      const r = await request(`${server.url}/api/me/`, { headers: { authorization } });
      assert.equal(r.text, me, authorization.split(' ')[0]);
    }
    assertAnswer(
      await request(`${server.url}/api/me/`, { headers: { authorization: 'Token nope' } }),
      401,
      '{"detail":"Invalid token."}',
      'Token',
    );
  });

  it('an anonymous PUT on a route for users is 401; an authenticated one is 405 (the method is checked last)', async () => {
    assertAnswer(await request(`${server.url}/api/me/`, { method: 'PUT' }), 401, NOT_PROVIDED, 'Token');
    const authenticated = await request(`${server.url}/api/me/`, {
      method: 'PUT',
      headers: { authorization: `Token ${alice.apiKey}` },
    });
    assertAnswer(authenticated, 405, '{"detail":"Method \\"PUT\\" not allowed."}', null);
  });

  it('ignoreInvalidCredentialsOnPublicRoutes: bad credentials are anonymous on AllowAny routes, refused elsewhere', async () => {
    for (const authorization of ['Token nope', 'Bearer garbage', basicHeader('alice', 'wrong'), 'Token']) {
      const open = await request(`${server.url}/api/public/`, { headers: { authorization } });
      assert.equal(open.status, 200, `${authorization}: ${open.text}`);
      assert.equal(open.text, '{"message":"hello"}');
    }
    assertAnswer(
      await request(`${server.url}/api/me/`, { headers: { authorization: 'Bearer garbage' } }),
      401,
      JSON.stringify({
        detail: 'Given token not valid for any token type',
        code: 'token_not_valid',
        messages: [
          { token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid or expired' },
        ],
      }),
      'Token',
    );
    // Read-only for anonymous users is not public: IsAuthenticatedOrReadOnly still refuses bad credentials.
    const notes = await request(`${server.url}/api/notes/`, { headers: { authorization: 'Token nope' } });
    assertAnswer(notes, 401, '{"detail":"Invalid token."}', 'Token', 'GET, POST, HEAD, OPTIONS');
  });

  it('joins several Authorization headers as a WSGI server does, which no scheme accepts', async () => {
    const r = await rawRequest(
      server.port,
      `GET /api/me/ HTTP/1.1\r\nHost: x\r\nAuthorization: Token ${alice.apiKey}\r\nAuthorization: Token ${alice.apiKey}\r\nConnection: close\r\n\r\n`,
    );
    // "Token <key>,Token <key>" has three parts: DRF's TokenAuthentication message.
    assert.equal(r.status, 401);
    assert.equal(r.body, '{"detail":"Invalid token header. Token string should not contain spaces."}');
    assert.deepEqual(
      r.headers.filter(([k]) => k === 'www-authenticate'),
      [['www-authenticate', 'Token']],
    );
    // The same request with one header passes.
    const one = await rawRequest(
      server.port,
      `GET /api/me/ HTTP/1.1\r\nHost: x\r\nAuthorization: Token ${alice.apiKey}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(one.status, 200);
  });

  it('anonymous requests to a route for users get 401 and use no quota; RateLimit-* headers count down', async () => {
    const url = `${server.url}/t/quota/`;
    for (let i = 0; i < 5; i++) {
      const anonymous = await request(url);
      assertAnswer(anonymous, 401, NOT_PROVIDED, 'Token');
      assert.equal(anonymous.headers.get('ratelimit-limit'), null);
    }
    const headers = { authorization: `Token ${alice.apiKey}` };
    for (const remaining of [2, 1, 0]) {
      const r = await request(url, { headers });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('ratelimit-limit'), '3');
      assert.equal(r.headers.get('ratelimit-remaining'), String(remaining));
      const reset = Number(r.headers.get('ratelimit-reset'));
      assert.ok(reset >= 1 && reset <= 60, `reset ${reset}`);
    }
    const refused = await request(url, { headers });
    assertThrottled(refused, 60);
    assert.equal(refused.headers.get('ratelimit-remaining'), '0');
    assert.equal(refused.headers.get('ratelimit-limit'), '3');
  });

  it('RateLimit-* headers only on throttled routes', async () => {
    const open = await request(`${server.url}/api/public/`);
    assert.equal(open.headers.get('ratelimit-limit'), '1000');
    const me = await request(`${server.url}/api/me/`, {
      headers: { authorization: `Token ${alice.apiKey}` },
    });
    assert.equal(me.headers.get('ratelimit-limit'), null);
  });
});
