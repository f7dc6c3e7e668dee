/**
 * The request pipeline: authenticate → permit → throttle, then the handler stage (owned by the server).
 * The order is DRF's APIView.initial(): authentication associates the request with credentials first, and only
 * then do permissions and throttles decide, using those credentials. Each stage runs synchronously when it can;
 * a stage that returns a Promise (a networked store, argon2 for Basic authentication) continues the pipeline
 * from where it stopped, so the common path never awaits.
 *
 * Statuses each stage can produce (docs/pipeline.md draws this):
 *   authenticate → 401 (bad or unknown credentials; WWW-Authenticate of the route's first scheme)
 *   permit       → 401 (no credentials, and the route has schemes) or 403 (authenticated but not allowed)
 *   throttle     → 429 (with Retry-After)
 */
import { ERRORS, dynamicError, throttled, type ErrorSpec } from '../errors.js';
import type { Credentials, RequestContext } from '../http/request-context.js';
import type { ThrottleOutcome, ThrottleStore } from '../store/throttle/throttle-store.js';
import type { CompiledRoute } from './compile-routes.js';
import { isErrorSpec, type Throttle } from './types.js';

export interface PipelineSink {
  /** Answers an error of the pipeline (401/403/429) with the route's headers. */
  fail(ctx: RequestContext, route: CompiledRoute, error: ErrorSpec, extra: readonly string[] | null): void;
  /** The request passed every stage: run the handler stage. */
  proceed(ctx: RequestContext, route: CompiledRoute): void;
  /** A stage threw or rejected: answer 500 and log. */
  crash(ctx: RequestContext, route: CompiledRoute, error: unknown): void;
}

export interface PipelineOptions {
  readonly store: ThrottleStore;
  /** True when the throttle store answers synchronously (the shared-memory store): one outcome object is reused. */
  readonly storeIsSynchronous: boolean;
  readonly rateLimitHeaders: boolean;
  readonly now?: () => number;
}

type AuthResult = Credentials | ErrorSpec | null;

const newOutcome = (): ThrottleOutcome => ({ admitted: true, waitMs: 0, remaining: 0, resetMs: 0, limit: 0 });

export class Pipeline {
  private readonly store: ThrottleStore;
  private readonly storeIsSynchronous: boolean;
  private readonly rateLimitHeaders: boolean;
  private readonly now: () => number;
  private readonly sharedOutcome: ThrottleOutcome = newOutcome();

  constructor(
    private readonly sink: PipelineSink,
    options: PipelineOptions,
  ) {
    this.store = options.store;
    this.storeIsSynchronous = options.storeIsSynchronous;
    this.rateLimitHeaders = options.rateLimitHeaders;
    this.now = options.now ?? Date.now;
  }

  run(ctx: RequestContext, route: CompiledRoute): void {
    if (route.skipPipeline) return this.sink.proceed(ctx, route);
    if (route.authenticators !== null) {
      const result = this.authenticate(ctx, route, 0);
      if (result !== null) {
        if (result instanceof Promise) {
          // catch() after then(): a permission or throttle key that throws after an asynchronous scheme is a
          // crash of this request (500), not an unhandled rejection that leaves it unanswered.
          result
            .then((error) =>
              ctx.aborted
                ? undefined
                : error === null
                  ? this.afterAuthentication(ctx, route)
                  : this.sink.fail(ctx, route, error, null),
            )
            .catch((error: unknown) => this.sink.crash(ctx, route, error));
          return;
        }
        return this.sink.fail(ctx, route, result, null);
      }
    }
    this.afterAuthentication(ctx, route);
  }

  /**
   * Tries the route's schemes from index `from`. Returns null when the request may go on (authenticated or
   * anonymous), an error to answer, or a Promise of either when a scheme is asynchronous.
   */
  private authenticate(
    ctx: RequestContext,
    route: CompiledRoute,
    from: number,
  ): ErrorSpec | null | Promise<ErrorSpec | null> {
    const schemes = route.authenticators!;
    for (let i = from; i < schemes.length; i++) {
      const result = schemes[i]!.authenticate(ctx);
      if (result === null) continue;
      if (result instanceof Promise) {
        return result.then((r: AuthResult) =>
          r === null ? this.authenticate(ctx, route, i + 1) : this.settle(ctx, route, r),
        );
      }
      return this.settle(ctx, route, result);
    }
    return null;
  }

  /** The first scheme that recognised the request decides: it authenticated it, or the request fails. */
  private settle(
    ctx: RequestContext,
    route: CompiledRoute,
    result: Credentials | ErrorSpec,
  ): ErrorSpec | null {
    if (isErrorSpec(result)) {
      // DRF fails the request on invalid credentials even on public routes; the option lets them pass anonymous.
      if (route.ignoreInvalidCredentials) return null;
      return route.challenge === null && result.status === 401 ? asForbidden(result) : result;
    }
    ctx.credentials = result;
    return null;
  }

  private afterAuthentication(ctx: RequestContext, route: CompiledRoute): void {
    const permission = route.permission;
    if (permission !== null && !permission.hasPermission(ctx)) {
      return this.sink.fail(ctx, route, this.denial(ctx, route, permission.message), null);
    }
    if (route.throttles !== null) return this.throttle(ctx, route, route.throttles);
    this.sink.proceed(ctx, route);
  }

  /** DRF's permission_denied: anonymous on a route with schemes → NotAuthenticated, else PermissionDenied. */
  denial(ctx: RequestContext, route: CompiledRoute, message: string | undefined): ErrorSpec {
    if (route.authenticators !== null && ctx.credentials === null) {
      return route.challenge === null ? asForbidden(ERRORS.not_authenticated) : ERRORS.not_authenticated;
    }
    return message === undefined ? ERRORS.permission_denied : dynamicError(403, { detail: message });
  }

  private throttle(ctx: RequestContext, route: CompiledRoute, throttles: readonly Throttle[]): void {
    const out = this.storeIsSynchronous ? this.sharedOutcome : newOutcome();
    const now = this.now();
    let pending: void | Promise<void>;
    if (throttles.length === 1) {
      const throttle = throttles[0]!;
      const key = throttle.key(ctx);
      if (key === null) return this.sink.proceed(ctx, route);
      pending = this.store.hit(throttle.rule, key, now, out);
    } else {
      const rules = [];
      const keys = [];
      for (const throttle of throttles) {
        const key = throttle.key(ctx);
        if (key === null) continue;
        rules.push(throttle.rule);
        keys.push(key);
      }
      if (rules.length === 0) return this.sink.proceed(ctx, route);
      pending = this.store.hitAll(rules, keys, now, out);
    }
    if (pending instanceof Promise) {
      pending
        .then(() => (ctx.aborted ? undefined : this.afterThrottle(ctx, route, out)))
        .catch((error: unknown) => this.sink.crash(ctx, route, error));
      return;
    }
    this.afterThrottle(ctx, route, out);
  }

  private afterThrottle(ctx: RequestContext, route: CompiledRoute, out: ThrottleOutcome): void {
    if (this.rateLimitHeaders) ctx.responseHeaders = rateLimitHeaders(out);
    if (out.admitted) return this.sink.proceed(ctx, route);
    const waitSeconds = Math.ceil(out.waitMs / 1000);
    const extra = waitSeconds > 0 ? ['Retry-After', String(waitSeconds)] : null;
    this.sink.fail(
      ctx,
      route,
      throttled(out.waitMs / 1000),
      extra === null
        ? ctx.responseHeaders
        : ctx.responseHeaders === null
          ? extra
          : [...extra, ...ctx.responseHeaders],
    );
  }
}

/** DRF answers 403 instead of 401 when the first scheme has no WWW-Authenticate challenge. */
function asForbidden(error: ErrorSpec): ErrorSpec {
  return { status: 403, body: error.body, challenge: false };
}

/** IETF draft-ietf-httpapi-ratelimit-headers (RateLimit-Limit / -Remaining / -Reset in seconds). */
function rateLimitHeaders(out: ThrottleOutcome): string[] {
  return [
    'RateLimit-Limit',
    String(out.limit),
    'RateLimit-Remaining',
    String(Math.max(0, out.remaining)),
    'RateLimit-Reset',
    String(Math.max(0, Math.ceil(out.resetMs / 1000))),
  ];
}
