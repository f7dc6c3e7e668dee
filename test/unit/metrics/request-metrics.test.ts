/**
 * The per-request observer on its own: answered requests are fed to it with the status and error the server
 * would have set, and the registry's text is read back.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { ERRORS, throttled, type ErrorSpec } from '../../../src/errors.js';
import type { RequestContext } from '../../../src/http/request-context.js';
import { RequestMetrics, UNMATCHED_ROUTE } from '../../../src/metrics/request-metrics.js';
import { compileRoutes, type CompiledRoute } from '../../../src/pipeline/compile-routes.js';
import { defineRoute } from '../../../src/pipeline/define-route.js';
import { constantReply } from '../../../src/pipeline/replies.js';
import { AllowAny } from '../../../src/policies/permissions.js';
import { ThrottleRegistry } from '../../../src/policies/throttles.js';
import type { Router } from '../../../src/router/router.js';
import { credentialsOf, fakeContext, userNamed } from '../pipeline/fake-context.js';
import { parsePrometheusText, valueOf, type Sample } from './prometheus-text.js';

const OK = constantReply(200, {});
const open = { authentication: [], handler: () => OK } as const;

function buildRouter(): Router<CompiledRoute> {
  const throttles = new ThrottleRegistry({
    rates: { anon: '10/min', user: '10/min', limited: '5/min' },
    rateLimitHeaders: false,
    capacity: 1024,
    loginRateByUsername: null,
    loginRateByIp: null,
  });
  return compileRoutes(
    [
      defineRoute({ ...open, method: 'GET', path: '/api/public/' }),
      defineRoute({ ...open, method: ['GET', 'POST'], path: '/api/notes/' }),
      defineRoute({ ...open, method: 'GET', path: '/api/limited/', throttles: [{ scope: 'limited' }] }),
      defineRoute({ ...open, method: 'GET', path: '/api/both/', throttles: ['anon', 'user'] }),
      defineRoute({ ...open, method: 'POST', path: '/api/token/' }),
      defineRoute({ ...open, method: 'POST', path: '/api/token/refresh/' }),
      defineRoute({ ...open, method: 'POST', path: '/api/token/verify/' }),
      defineRoute({ ...open, method: 'POST', path: '/api/token/blacklist/' }),
    ],
    {
      schemes: new Map(),
      defaults: { authentication: [], permission: AllowAny, throttles: [] },
      throttles,
      ignoreInvalidCredentialsOnPublicRoutes: false,
    },
  );
}

describe('RequestMetrics', () => {
  let registry: Registry;
  let router: Router<CompiledRoute>;
  let observe: (ctx: RequestContext, route: CompiledRoute | null) => void;

  beforeEach(() => {
    registry = new Registry();
    router = buildRouter();
    observe = new RequestMetrics({ registry, router, rotateRefreshTokens: true, leewaySec: 0 }).observe;
  });

  function answer(
    path: string | null,
    status: number,
    options: { method?: string; error?: ErrorSpec; ctx?: RequestContext } = {},
  ): void {
    const ctx = options.ctx ?? fakeContext({ method: options.method ?? 'GET' });
    ctx.status = status;
    ctx.error = options.error ?? null;
    const route =
      path === null
        ? null
        : (router.match(path).entry!.byMethod.get(options.method ?? 'GET') ??
          router.match(path).entry!.first);
    observe(ctx, route);
  }

  const scrape = async (): Promise<Sample[]> => parsePrometheusText(await registry.metrics());

  it('counts requests by route pattern, method and status, and times them per route', async () => {
    answer('/api/public/', 200);
    answer('/api/public/', 200);
    answer('/api/notes/', 201, { method: 'POST' });
    answer('/api/notes/', 405, { method: 'PUT' });
    answer('/api/notes/', 200, { method: 'BREW' });
    answer(null, 404);
    answer('/api/public/', 418);
    const samples = await scrape();
    const requests = (route: string, method: string, status: string) =>
      valueOf(samples, 'gatehouse_http_requests_total', { route, method, status });
    assert.equal(requests('/api/public/', 'GET', '200'), 2);
    assert.equal(requests('/api/notes/', 'POST', '201'), 1);
    assert.equal(requests('/api/notes/', 'PUT', '405'), 1);
    assert.equal(requests('/api/notes/', 'other', '200'), 1, 'unknown methods share one label');
    assert.equal(requests(UNMATCHED_ROUTE, 'GET', '404'), 1);
    assert.equal(requests('/api/public/', 'GET', 'other'), 1, 'unusual statuses share one label');
    assert.equal(
      valueOf(samples, 'gatehouse_http_request_duration_seconds_count', { route: '/api/public/' }),
      3,
    );
    assert.equal(
      valueOf(samples, 'gatehouse_http_request_duration_seconds_count', { route: '/api/notes/' }),
      3,
    );
  });

  it('counts authentication failures by reason and ignores other errors', async () => {
    answer('/api/public/', 401, { error: ERRORS.user_inactive });
    answer('/api/public/', 401, { error: ERRORS.user_inactive });
    answer('/api/public/', 401, { error: ERRORS.not_authenticated });
    answer('/api/public/', 403, { error: ERRORS.permission_denied });
    const samples = await scrape();
    assert.equal(valueOf(samples, 'gatehouse_auth_failures_total', { reason: 'user_inactive' }), 2);
    assert.equal(valueOf(samples, 'gatehouse_auth_failures_total', { reason: 'missing_credentials' }), 1);
    const total = samples
      .filter((s) => s.name === 'gatehouse_auth_failures_total')
      .reduce((sum, s) => sum + s.value, 0);
    assert.equal(total, 3);
  });

  it('names the throttle scope of a 429: the route scope, the scopes that applied, or "login"', async () => {
    answer('/api/limited/', 429, { error: throttled(60) });
    const anonymous = fakeContext({ peer: '10.0.0.9' });
    answer('/api/both/', 429, { ctx: anonymous });
    const user = fakeContext({ credentials: credentialsOf(userNamed('alice')) });
    answer('/api/both/', 429, { ctx: user });
    answer('/api/token/', 429, { method: 'POST' });
    const samples = await scrape();
    const rejected = (scope: string) => valueOf(samples, 'gatehouse_throttle_rejections_total', { scope });
    assert.equal(rejected('limited'), 1);
    assert.equal(rejected('anon+user'), 1, 'both throttles apply to an anonymous request');
    assert.equal(rejected('user'), 1, 'the anon throttle does not apply to a user');
    assert.equal(rejected('login'), 1);
  });

  it('counts logins, refreshes, verifications, revocations and issued tokens from the token endpoints', async () => {
    const post = { method: 'POST' };
    answer('/api/token/', 200, post);
    answer('/api/token/', 401, { ...post, error: ERRORS.no_active_account });
    answer('/api/token/', 400, post);
    answer('/api/token/', 200, { method: 'OPTIONS' });
    answer('/api/token/refresh/', 200, post);
    answer('/api/token/refresh/', 401, { ...post, error: ERRORS.token_blacklisted });
    answer('/api/token/refresh/', 401, { ...post, error: ERRORS.no_active_account_for_token });
    answer('/api/token/refresh/', 401, { ...post, error: ERRORS.token_invalid });
    answer('/api/token/verify/', 200, post);
    answer('/api/token/verify/', 400, { ...post, error: ERRORS.token_blacklisted_on_verify });
    answer('/api/token/blacklist/', 200, post);
    answer('/api/token/blacklist/', 499, post);
    const samples = await scrape();
    const of = (name: string, labels: Record<string, string>) => valueOf(samples, name, labels);
    assert.equal(of('gatehouse_logins_total', { outcome: 'success' }), 1);
    assert.equal(of('gatehouse_logins_total', { outcome: 'failure' }), 1);
    assert.equal(of('gatehouse_logins_total', { outcome: 'invalid_request' }), 1, 'OPTIONS is not a login');
    assert.equal(of('gatehouse_token_refreshes_total', { outcome: 'success' }), 1);
    assert.equal(of('gatehouse_token_refreshes_total', { outcome: 'blacklisted' }), 1);
    assert.equal(of('gatehouse_token_refreshes_total', { outcome: 'no_active_account' }), 1);
    assert.equal(of('gatehouse_token_refreshes_total', { outcome: 'invalid' }), 1);
    assert.equal(of('gatehouse_token_verifications_total', { outcome: 'valid' }), 1);
    assert.equal(of('gatehouse_token_verifications_total', { outcome: 'blacklisted' }), 1);
    assert.equal(
      of('gatehouse_token_revocations_total', { kind: 'blacklist' }),
      1,
      'an aborted request has no outcome',
    );
    assert.equal(of('gatehouse_tokens_issued_total', { type: 'access' }), 2);
    assert.equal(of('gatehouse_tokens_issued_total', { type: 'refresh' }), 2, 'login pair + rotated refresh');
    assert.equal(
      of('gatehouse_auth_failures_total', { reason: 'bad_credentials' }),
      0,
      'a wrong password is a login failure, not a request authentication failure',
    );
  });

  it('counts routes served outside the router under their own pattern', async () => {
    const gatekeeper = compileRoutes([defineRoute({ ...open, method: 'GET', path: '/_gatekeeper/' })], {
      schemes: new Map(),
      defaults: { authentication: [], permission: AllowAny, throttles: [] },
      throttles: new ThrottleRegistry({
        rates: {},
        rateLimitHeaders: false,
        capacity: 64,
        loginRateByUsername: null,
        loginRateByIp: null,
      }),
      ignoreInvalidCredentialsOnPublicRoutes: false,
    });
    const route = gatekeeper.match('/_gatekeeper/').entry!.first;
    const separate = new Registry();
    const metrics = new RequestMetrics({
      registry: separate,
      router,
      extraRoutes: [route],
      rotateRefreshTokens: true,
      leewaySec: 0,
    });
    const ctx = fakeContext();
    ctx.status = 200;
    metrics.observe(ctx, route);
    const samples = parsePrometheusText(await separate.metrics());
    assert.equal(
      valueOf(samples, 'gatehouse_http_requests_total', {
        route: '/_gatekeeper/',
        method: 'GET',
        status: '200',
      }),
      1,
    );
  });
});
