/**
 * The per-request observer: counts every answered request by route pattern, method and status, times it per
 * route, and, for the few requests that failed or hit a token endpoint, records why. Everything that can be
 * decided per route (its slot, whether it is a token endpoint, its throttle scopes) is decided once from the
 * compiled route table; a successful API request costs a Map lookup, two array increments and a short bucket
 * scan.
 */
import { Counter, type Registry } from 'prom-client';
import { ERRORS } from '../errors.js';
import type { RequestContext } from '../http/request-context.js';
import type { RequestObserver } from '../http/server.js';
import type { CompiledRoute } from '../pipeline/compile-routes.js';
import type { Router } from '../router/router.js';
import { AUTH_FAILURE_REASONS, authFailureReason } from './auth-failure-reasons.js';
import { REQUEST_SECONDS_BUCKETS, SlotCounter, SlotHistogram, type LabelSet } from './slot-metrics.js';

/** The `route` label of requests that matched no route (404, and 301 to the slashed path). */
export const UNMATCHED_ROUTE = 'unmatched';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'other'] as const;
const OTHER_METHOD = METHODS.length - 1;

/** Statuses Gatehouse answers (499: the client went away first); anything else is counted as "other". */
const STATUSES = [
  200, 201, 204, 301, 304, 400, 401, 403, 404, 405, 406, 413, 415, 429, 499, 500, 503,
] as const;
const OTHER_STATUS = STATUSES.length;
const STATUS_SLOT = new Uint8Array(600).fill(OTHER_STATUS);
STATUSES.forEach((status, slot) => (STATUS_SLOT[status] = slot));
const STATUS_LABELS = [...STATUSES.map(String), 'other'];

function methodSlot(method: string): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'HEAD':
      return 1;
    case 'POST':
      return 2;
    case 'PUT':
      return 3;
    case 'PATCH':
      return 4;
    case 'DELETE':
      return 5;
    case 'OPTIONS':
      return 6;
    default:
      return OTHER_METHOD;
  }
}

/** The token endpoints (simplejwt's paths), whose outcomes are counted as logins, refreshes, revocations. */
const enum TokenEndpoint {
  None = 0,
  Obtain = 1,
  Refresh = 2,
  Verify = 3,
  Blacklist = 4,
  RevokeAll = 5,
}

const TOKEN_ENDPOINTS: ReadonlyMap<string, TokenEndpoint> = new Map([
  ['/api/token/', TokenEndpoint.Obtain],
  ['/api/token/refresh/', TokenEndpoint.Refresh],
  ['/api/token/verify/', TokenEndpoint.Verify],
  ['/api/token/blacklist/', TokenEndpoint.Blacklist],
  ['/api/token/revoke-all/', TokenEndpoint.RevokeAll],
]);

const LOGIN_OUTCOMES = ['success', 'failure', 'throttled', 'invalid_request', 'error'] as const;
const REFRESH_OUTCOMES = [
  'success',
  'invalid',
  'blacklisted',
  'no_active_account',
  'invalid_request',
  'error',
] as const;
const VERIFY_OUTCOMES = ['valid', 'invalid', 'blacklisted', 'invalid_request', 'error'] as const;
const REVOCATION_KINDS = ['blacklist', 'revoke_all'] as const;
const TOKEN_TYPES = ['access', 'refresh'] as const;

/** The login throttle's scopes (per username and per address) share one label: which of them refused is not reported. */
const LOGIN_THROTTLE_SCOPE = 'login';

export interface RequestMetricsOptions {
  readonly registry: Registry;
  readonly router: Router<CompiledRoute>;
  /** Routes served outside the router (the gatekeeper endpoint), each counted under its own pattern. */
  readonly extraRoutes?: readonly CompiledRoute[];
  /** Whether a refresh also issues a refresh token (ROTATE_REFRESH_TOKENS). */
  readonly rotateRefreshTokens: boolean;
  /** Clock leeway of token checks, to tell expired tokens from others. */
  readonly leewaySec: number;
  /** Epoch seconds (tests). */
  readonly now?: () => number;
}

export class RequestMetrics {
  private readonly routeSlot = new Map<CompiledRoute, number>();
  private readonly tokenEndpoint: Uint8Array;
  private readonly requests: SlotCounter;
  private readonly latency: SlotHistogram;
  private readonly authFailures: SlotCounter;
  private readonly logins: SlotCounter;
  private readonly refreshes: SlotCounter;
  private readonly verifications: SlotCounter;
  private readonly revocations: SlotCounter;
  private readonly issued: SlotCounter;
  /** scope → rejections. Scopes come from configuration, so this stays as small as the throttle table. */
  private readonly throttleRejections = new Map<string, number>();
  private readonly rotateRefreshTokens: boolean;
  private readonly leewaySec: number;
  private readonly now: () => number;

  constructor(options: RequestMetricsOptions) {
    this.rotateRefreshTokens = options.rotateRefreshTokens;
    this.leewaySec = options.leewaySec;
    this.now = options.now ?? (() => Date.now() / 1000);
    const registry = options.registry;

    const patterns: string[] = [UNMATCHED_ROUTE];
    const endpoints: TokenEndpoint[] = [TokenEndpoint.None];
    for (const entry of options.router.entries()) {
      const slot = patterns.length;
      patterns.push(entry.pattern);
      endpoints.push(TOKEN_ENDPOINTS.get(entry.pattern) ?? TokenEndpoint.None);
      this.routeSlot.set(entry.first, slot);
      for (const route of entry.byMethod.values()) this.routeSlot.set(route, slot);
    }
    for (const route of options.extraRoutes ?? []) {
      if (this.routeSlot.has(route)) continue;
      this.routeSlot.set(route, patterns.length);
      patterns.push(route.pattern);
      endpoints.push(TokenEndpoint.None);
    }
    this.tokenEndpoint = Uint8Array.from(endpoints);

    const requestSlots: LabelSet[] = [];
    for (const route of patterns) {
      for (const method of METHODS)
        for (const status of STATUS_LABELS) requestSlots.push({ route, method, status });
    }
    this.requests = new SlotCounter({
      name: 'gatehouse_http_requests_total',
      help: 'Answered requests by route pattern, method and status (499: the client went away first).',
      labelNames: ['route', 'method', 'status'],
      slots: requestSlots,
      reportZeros: false,
      registry,
    });
    this.latency = new SlotHistogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'Time from the first byte of the request to the answer being handed to the socket, by route pattern.',
      buckets: REQUEST_SECONDS_BUCKETS,
      slots: patterns.map((route) => ({ route })),
      registry,
    });
    this.authFailures = new SlotCounter({
      name: 'gatehouse_auth_failures_total',
      help: 'Requests refused by authentication, by reason (docs/operations.md lists them).',
      labelNames: ['reason'],
      slots: AUTH_FAILURE_REASONS.map((reason) => ({ reason })),
      reportZeros: true,
      registry,
    });
    this.logins = fixedCounter(
      registry,
      'gatehouse_logins_total',
      'Logins (POST /api/token/) by outcome.',
      'outcome',
      LOGIN_OUTCOMES,
    );
    this.refreshes = fixedCounter(
      registry,
      'gatehouse_token_refreshes_total',
      'Token refreshes by outcome.',
      'outcome',
      REFRESH_OUTCOMES,
    );
    this.verifications = fixedCounter(
      registry,
      'gatehouse_token_verifications_total',
      'Token verifications by outcome.',
      'outcome',
      VERIFY_OUTCOMES,
    );
    this.revocations = fixedCounter(
      registry,
      'gatehouse_token_revocations_total',
      'Refresh tokens blacklisted, and revoke-all calls.',
      'kind',
      REVOCATION_KINDS,
    );
    this.issued = fixedCounter(
      registry,
      'gatehouse_tokens_issued_total',
      'Tokens signed, by type.',
      'type',
      TOKEN_TYPES,
    );

    const rejections = this.throttleRejections;
    new Counter({
      name: 'gatehouse_throttle_rejections_total',
      help: 'Requests answered 429 by a throttle, by scope ("login": the login-abuse throttle; several scopes joined with "+").',
      labelNames: ['scope'],
      registers: [registry],
      collect(this: Counter) {
        this.reset();
        for (const [scope, count] of rejections) this.inc({ scope }, count);
      },
    });
  }

  readonly observe: RequestObserver = (ctx, route) => {
    const slot = route === null ? 0 : (this.routeSlot.get(route) ?? 0);
    const status = ctx.status;
    const statusSlot = status < STATUS_SLOT.length ? STATUS_SLOT[status]! : OTHER_STATUS;
    this.requests.counts[
      (slot * METHODS.length + methodSlot(ctx.method)) * STATUS_LABELS.length + statusSlot
    ]!++;
    this.latency.observe(slot, (performance.now() - ctx.startedAt) / 1000);
    const endpoint = this.tokenEndpoint[slot]!;
    // OPTIONS and 405 answers on a token path are not token operations; an aborted one has no outcome.
    if (endpoint !== TokenEndpoint.None && ctx.method === 'POST' && status !== 499)
      this.countTokenEndpoint(endpoint, ctx);
    if (status >= 400 && route !== null) this.countFailure(ctx, route, status, endpoint);
  };

  private countFailure(
    ctx: RequestContext,
    route: CompiledRoute,
    status: number,
    endpoint: TokenEndpoint,
  ): void {
    if (status === 429) {
      const scope = endpoint === TokenEndpoint.Obtain ? LOGIN_THROTTLE_SCOPE : throttleScopeOf(ctx, route);
      this.throttleRejections.set(scope, (this.throttleRejections.get(scope) ?? 0) + 1);
    } else if ((status === 401 || status === 403) && ctx.error !== null) {
      // Token endpoints answer their own bodies (token_not_valid of the refresh token, wrong password), which
      // are not authentication failures of the request and map to no reason.
      const reason = authFailureReason(ctx.error, ctx.authorization, this.now(), this.leewaySec);
      if (reason >= 0) this.authFailures.inc(reason);
    }
  }

  private countTokenEndpoint(endpoint: TokenEndpoint, ctx: RequestContext): void {
    const status = ctx.status;
    const error = ctx.error;
    const failed = status >= 500;
    switch (endpoint) {
      case TokenEndpoint.Obtain:
        if (status === 200) {
          this.logins.inc(LOGIN_OUTCOMES.indexOf('success'));
          this.issued.inc(ACCESS);
          this.issued.inc(REFRESH);
        } else
          this.logins.inc(
            LOGIN_OUTCOMES.indexOf(
              status === 401
                ? 'failure'
                : status === 429
                  ? 'throttled'
                  : failed
                    ? 'error'
                    : 'invalid_request',
            ),
          );
        return;
      case TokenEndpoint.Refresh:
        if (status === 200) {
          this.refreshes.inc(REFRESH_OUTCOMES.indexOf('success'));
          this.issued.inc(ACCESS);
          if (this.rotateRefreshTokens) this.issued.inc(REFRESH);
        } else if (status === 401) {
          const outcome =
            error === ERRORS.token_blacklisted
              ? 'blacklisted'
              : error === ERRORS.no_active_account_for_token
                ? 'no_active_account'
                : 'invalid';
          this.refreshes.inc(REFRESH_OUTCOMES.indexOf(outcome));
        } else this.refreshes.inc(REFRESH_OUTCOMES.indexOf(failed ? 'error' : 'invalid_request'));
        return;
      case TokenEndpoint.Verify: {
        const outcome =
          status === 200
            ? 'valid'
            : error === ERRORS.token_blacklisted_on_verify
              ? 'blacklisted'
              : status === 401
                ? 'invalid'
                : failed
                  ? 'error'
                  : 'invalid_request';
        this.verifications.inc(VERIFY_OUTCOMES.indexOf(outcome));
        return;
      }
      case TokenEndpoint.Blacklist:
        if (status === 200) this.revocations.inc(REVOCATION_KINDS.indexOf('blacklist'));
        return;
      case TokenEndpoint.RevokeAll:
        if (status === 200) this.revocations.inc(REVOCATION_KINDS.indexOf('revoke_all'));
        return;
      default:
        return;
    }
  }
}

const ACCESS = TOKEN_TYPES.indexOf('access');
const REFRESH = TOKEN_TYPES.indexOf('refresh');

function fixedCounter(
  registry: Registry,
  name: string,
  help: string,
  label: string,
  values: readonly string[],
): SlotCounter {
  return new SlotCounter({
    name,
    help,
    labelNames: [label],
    slots: values.map((v) => ({ [label]: v })),
    reportZeros: true,
    registry,
  });
}

/**
 * The scope that refused a throttled request. The throttle store reports only that one of the route's rules
 * refused, so with several rules the scopes that applied to this request (a non-null key) are named together.
 */
function throttleScopeOf(ctx: RequestContext, route: CompiledRoute): string {
  const throttles = route.throttles;
  // A 429 from a handler of its own.
  if (throttles === null) return 'other';
  if (throttles.length === 1) return throttles[0]!.rule.scope;
  const applied: string[] = [];
  for (const throttle of throttles) if (throttle.key(ctx) !== null) applied.push(throttle.rule.scope);
  return applied.length === 0 ? 'other' : applied.join('+');
}
