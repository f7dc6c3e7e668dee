/**
 * The HTTP adapter: the only module that talks to uWebSockets.js request objects. One catch-all uWS route hands
 * every request to the compiled router, copies what the pipeline needs out of the stack-allocated HttpRequest,
 * runs the pipeline, then the handler stage (405 / OPTIONS / body / handler) and writes the reply.
 *
 * Rules from uWS that shape this file:
 *  - HttpRequest dies when the callback returns: everything is copied into RequestContext first.
 *  - A response not finished inside the callback must have onAborted attached before the callback returns.
 *  - Writes after async work must be corked (one syscall, and uWS requires it outside the callback).
 *  - Body data arriving before onData is attached is lost, so body reading starts in the callback.
 */
import type { Logger } from 'pino';
import { ERRORS, methodNotAllowed, payloadTooLarge, type ErrorSpec } from '../errors.js';
import { ObjectPermissionDenied } from '../policies/permissions.js';
import type { CompiledRoute } from '../pipeline/compile-routes.js';
import { Pipeline, type PipelineSink } from '../pipeline/pipeline.js';
import { isErrorSpec, type Reply } from '../pipeline/types.js';
import type { Router } from '../router/router.js';
import { unavailableErrorOf } from '../store/sqlite/sqlite-unavailable.js';
import type { ThrottleStore } from '../store/throttle/throttle-store.js';
import { acceptsJson } from './accept.js';
import { BodyCollector } from './body-reader.js';
import type { ProxyTrust } from './client-address.js';
import { copyDeclaredHeaders } from './declared-headers.js';
import { parseJsonBody } from './json-body.js';
import { RequestContext, decodePeer } from './request-context.js';
import {
  BARE_HEADERS,
  withContentType,
  writeEmpty,
  writeError,
  writeJson,
  type HeaderBlock,
} from './respond.js';
import { uws, type HttpRequest, type HttpResponse, type TemplatedApp, type us_listen_socket } from './uws.js';

/** Target of a request once its path matched: its handler, the automatic OPTIONS answer, or 405. */
const TARGET_HANDLER = 0;
const TARGET_OPTIONS = 1;
const TARGET_NOT_ALLOWED = 2;
const REDIRECT_CONTENT_TYPE = 'text/html; charset=utf-8';

export interface RequestObserver {
  /** Called once per answered request, after the response was written (metrics, access log). */
  (ctx: RequestContext, route: CompiledRoute | null): void;
}

export interface HttpServerOptions {
  readonly router: Router<CompiledRoute>;
  readonly throttleStore: ThrottleStore;
  readonly throttleStoreIsSynchronous: boolean;
  readonly rateLimitHeaders: boolean;
  readonly maxBodyBytes: number;
  readonly proxyTrust: ProxyTrust;
  readonly logger: Logger;
  readonly accessLog: boolean;
  /** Prefix of generated request ids (unique per worker); X-Request-Id from trusted proxies is kept. */
  readonly requestIdPrefix: string;
  readonly observers?: readonly RequestObserver[];
  /** Gatekeeper mode: an endpoint that judges the request a proxy describes (null: off). */
  readonly forwardedRequestEndpoint?: ForwardedRequestEndpoint | null;
}

/**
 * An endpoint for Nginx's auth_request (src/api/gatekeeper.ts): the pipeline runs on the request the proxy
 * describes — X-Original-Method, X-Original-URI, the original Authorization and X-Forwarded-For — not on the
 * GET that carries them, and the route's handler answers the verdict.
 */
export interface ForwardedRequestEndpoint {
  readonly path: string;
  readonly route: CompiledRoute;
  /** Headers added to a refusal, for proxies that drop the body of the answer (auth_request does). */
  refusalHeaders(error: ErrorSpec): readonly string[];
}

export class HttpServer implements PipelineSink {
  private readonly app: TemplatedApp;
  private readonly router: Router<CompiledRoute>;
  private readonly pipeline: Pipeline;
  private readonly options: HttpServerOptions;
  private readonly logger: Logger;
  private readonly observers: readonly RequestObserver[];
  private listenSocket: us_listen_socket | null = null;
  /** X-Forwarded-For and X-Request-Id are believed only from trusted proxies, so without any they are not read. */
  private readonly proxied: boolean;
  private inCallback = false;
  private requestCounter = 0;
  private inFlight = 0;
  private closing = false;
  private drained: (() => void) | null = null;
  private readonly forwarded: ForwardedRequestEndpoint | null;

  constructor(options: HttpServerOptions) {
    this.proxied = options.proxyTrust.enabled;
    this.options = options;
    this.router = options.router;
    this.logger = options.logger;
    this.observers = options.accessLog
      ? [this.logAccess, ...(options.observers ?? [])]
      : (options.observers ?? []);
    this.pipeline = new Pipeline(this, {
      store: options.throttleStore,
      storeIsSynchronous: options.throttleStoreIsSynchronous,
      rateLimitHeaders: options.rateLimitHeaders,
    });
    this.forwarded = options.forwardedRequestEndpoint ?? null;
    const app = uws.App();
    // uWS matches a static path before the catch-all, whatever the order of registration. GET only: the answer
    // is framed for the carrying request, so a HEAD carrier would get a body it must not have.
    if (this.forwarded !== null) app.get(this.forwarded.path, this.onForwardedRequest);
    this.app = app.any('/*', this.onRequest);
  }

  /** Listens and resolves with the bound port (useful with port 0). SO_REUSEPORT lets every worker bind it. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.app.listen(host, port, (socket) => {
        if (!socket) return reject(new Error(`cannot listen on ${host}:${port}`));
        this.listenSocket = socket;
        resolve(uws.us_socket_local_port(socket as never));
      });
    });
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  get requestsServed(): number {
    return this.requestCounter;
  }

  /**
   * Graceful stop: stop accepting, answer in-flight requests (each with Connection: close), then close every
   * remaining connection once they are done or `graceMs` has passed.
   */
  async stop(graceMs: number, drainMs = 0): Promise<void> {
    this.stopAccepting();
    if (this.inFlight > 0 || drainMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(graceMs, 0));
        timer.unref();
        const waitForDrain = (): void => {
          this.drained = () => {
            clearTimeout(timer);
            resolve();
          };
          if (this.inFlight === 0) this.drained();
        };
        if (drainMs > 0) setTimeout(waitForDrain, Math.min(drainMs, graceMs)).unref();
        else waitForDrain();
      });
    }
    // close() exists on this uWS build (it closes every remaining connection) but is missing from its typings.
    (this.app as TemplatedApp & { close(): void }).close();
  }

  /** Closes the listening socket: new connections go to other workers; existing ones are still served. */
  stopAccepting(): void {
    this.closing = true;
    if (this.listenSocket !== null) {
      uws.us_listen_socket_close(this.listenSocket);
      this.listenSocket = null;
    }
  }

  private readonly onRequest = (res: HttpResponse, req: HttpRequest): void => {
    this.inCallback = true;
    try {
      this.handle(res, req);
    } finally {
      this.inCallback = false;
    }
  };

  private readonly onForwardedRequest = (res: HttpResponse, req: HttpRequest): void => {
    this.inCallback = true;
    try {
      this.handleForwarded(res, req);
    } finally {
      this.inCallback = false;
    }
  };

  /** Gatekeeper mode: builds the context from the described request and runs the gatekeeper route's pipeline. */
  private handleForwarded(res: HttpResponse, req: HttpRequest): void {
    const endpoint = this.forwarded!;
    const route = endpoint.route;
    const described = req.getHeader('x-original-method');
    const uri = req.getHeader('x-original-uri');
    const authorization = authorizationOf(req);
    const incomingId = req.getHeader('x-request-id');
    const requestId = incomingId === '' ? this.nextRequestId() : this.requestIdFor(res, incomingId);
    const queryAt = uri.indexOf('?');
    // HEAD is judged as GET (the same for every permission, as both are safe methods) so that the verdict is
    // framed as the answer to the GET that carries it.
    const method = described === 'HEAD' ? 'GET' : described;
    const ctx = new RequestContext(
      res,
      this.options.proxyTrust,
      method,
      queryAt < 0 ? uri : uri.slice(0, queryAt),
      queryAt < 0 ? '' : uri.slice(queryAt + 1),
      authorization,
      '',
      '',
      '',
      '',
      req.getHeader('x-forwarded-for'),
      requestId,
      performance.now(),
    );
    this.inFlight++;
    if (!/^[A-Z]+$/.test(method) || uri.charCodeAt(0) !== 0x2f /* / */) {
      writeError(ctx, ERRORS.gatekeeper_request_incomplete, route.headers, null, null, this.closing);
      return this.done(ctx, route);
    }
    ctx.target = TARGET_HANDLER;
    this.runPipeline(ctx, route);
    if (ctx.status === 0) res.onAborted(() => this.aborted(ctx, route));
  }

  private handle(res: HttpResponse, req: HttpRequest): void {
    // Every header read is a call into uWS, so only what this request can use is read: the forwarding headers
    // only matter when proxies are trusted, the body headers only for methods that carry a body.
    const method = req.getCaseSensitiveMethod();
    const path = req.getUrl();
    const authorization = authorizationOf(req);
    const proxied = this.proxied;
    const incomingId = proxied ? req.getHeader('x-request-id') : '';
    const requestId = incomingId === '' ? this.nextRequestId() : this.requestIdFor(res, incomingId);
    const bodyless = method === 'GET' || method === 'HEAD';
    const ctx = new RequestContext(
      res,
      this.options.proxyTrust,
      method,
      path,
      '',
      authorization,
      bodyless ? '' : req.getHeader('content-type'),
      req.getHeader('content-length'),
      bodyless ? '' : req.getHeader('transfer-encoding'),
      req.getHeader('accept'),
      proxied ? req.getHeader('x-forwarded-for') : '',
      requestId,
      performance.now(),
    );
    this.inFlight++;

    const match = this.router.match(path);
    const entry = match.entry;
    if (entry === null) {
      if (match.redirect !== null) {
        const query = req.getQuery() ?? '';
        const location = query === '' ? match.redirect : `${match.redirect}?${query}`;
        // Django's redirect carries an (empty) HTML body's media type; clients written for it see the same.
        writeEmpty(
          ctx,
          301,
          BARE_HEADERS,
          ['Content-Type', REDIRECT_CONTENT_TYPE, 'Location', location],
          this.closing,
        );
      } else writeError(ctx, ERRORS.not_found, BARE_HEADERS, null, null, this.closing);
      return this.done(ctx, null);
    }
    if (match.params.length > 0) ctx.params = match.params.slice();

    let target = TARGET_HANDLER;
    let route = entry.byMethod.get(method);
    if (route === undefined && method === 'HEAD') route = entry.byMethod.get('GET');
    if (route === undefined) {
      route = entry.first;
      target = method === 'OPTIONS' ? TARGET_OPTIONS : TARGET_NOT_ALLOWED;
    }

    // DRF negotiates the renderer in initial(), before authentication.
    if (!acceptsJson(ctx.accept)) {
      writeError(ctx, ERRORS.not_acceptable, route.headers, null, null, this.closing);
      return this.done(ctx, route);
    }
    // RFC 9112 §6.3: a repeated Content-Length makes the framing ambiguous. uWS reads the first copy; a proxy in
    // front that read another would see a different request boundary (request smuggling). Refuse and close.
    if (ctx.contentLength !== '' && countContentLengthHeaders(req) > 1) {
      writeError(ctx, ERRORS.repeated_content_length, route.headers, null, null, true);
      return this.done(ctx, route);
    }
    // Like Nginx's client_max_body_size: refuse a declared oversized body before reading any of it.
    const declared = ctx.contentLength === '' ? 0 : Number(ctx.contentLength);
    if (declared > this.options.maxBodyBytes) {
      writeError(ctx, payloadTooLarge(this.options.maxBodyBytes), route.headers, null, null, true);
      return this.done(ctx, route);
    }
    ctx.target = target;
    if (target === TARGET_HANDLER && route.readsBody && (declared > 0 || ctx.transferEncoding !== '')) {
      ctx.bodyCollector = new BodyCollector(res, this.options.maxBodyBytes);
    }
    if (route.readsQuery) ctx.query = req.getQuery() ?? '';
    if (route.requestHeaders !== null) ctx.headers = copyDeclaredHeaders(req, route.requestHeaders);

    this.runPipeline(ctx, route);
    if (ctx.status === 0) res.onAborted(() => this.aborted(ctx, route));
  }

  /**
   * A stage (a scheme, permission or throttle store, e.g. a SQLite read that fails) may throw synchronously.
   * An exception escaping the uWS callback with the response neither answered nor given onAborted aborts the
   * whole worker process in this uWS build, so it is answered here like any other crash.
   */
  private runPipeline(ctx: RequestContext, route: CompiledRoute): void {
    try {
      this.pipeline.run(ctx, route);
    } catch (error) {
      this.crash(ctx, route, error);
    }
  }

  private nextRequestId(): string {
    return this.options.requestIdPrefix + (++this.requestCounter).toString(36);
  }

  /** A proxy's X-Request-Id is kept only when the proxy is trusted and the id is short and plain (it is logged). */
  private requestIdFor(res: HttpResponse, incoming: string): string {
    if (
      incoming.length <= 128 &&
      /^[A-Za-z0-9._:-]+$/.test(incoming) &&
      this.options.proxyTrust.isTrusted(decodePeer(res.getRemoteAddress()))
    ) {
      this.requestCounter++;
      return incoming;
    }
    return this.nextRequestId();
  }

  // ---- PipelineSink -------------------------------------------------------------------------------------

  fail(ctx: RequestContext, route: CompiledRoute, error: ErrorSpec, extra: readonly string[] | null): void {
    if (ctx.aborted) return;
    ctx.error = error;
    const forwarded = this.forwarded;
    if (forwarded !== null && route === forwarded.route) {
      const refusal = forwarded.refusalHeaders(error);
      extra = extra === null ? refusal : [...extra, ...refusal];
    }
    if (this.inCallback) writeError(ctx, error, route.headers, route.challenge, extra, this.closing);
    else ctx.res.cork(() => writeError(ctx, error, route.headers, route.challenge, extra, this.closing));
    this.done(ctx, route);
  }

  proceed(ctx: RequestContext, route: CompiledRoute): void {
    const target = ctx.target;
    if (target === TARGET_NOT_ALLOWED)
      return this.fail(ctx, route, methodNotAllowed(ctx.method), ctx.responseHeaders);
    if (target === TARGET_OPTIONS) return this.reply(ctx, route, { status: 200, body: route.optionsBody });
    const body = ctx.bodyCollector;
    if (body !== null) {
      body.whenDone((raw, tooLarge) => {
        if (ctx.aborted) return;
        if (tooLarge) return this.refuseBody(ctx, route);
        this.runHandlerWithBody(ctx, route, raw);
      });
      return;
    }
    if (route.readsBody) return this.runHandlerWithBody(ctx, route, null);
    this.runHandler(ctx, route);
  }

  /**
   * 413 for a body that grew over the limit while streaming (a chunked one). The connection is closed with the
   * answer, as for a declared oversized body: the rest of the body would otherwise still be read and thrown away.
   */
  private refuseBody(ctx: RequestContext, route: CompiledRoute): void {
    const error = payloadTooLarge(this.options.maxBodyBytes);
    if (this.inCallback) writeError(ctx, error, route.headers, null, null, true);
    else ctx.res.cork(() => writeError(ctx, error, route.headers, null, null, true));
    this.done(ctx, route);
  }

  crash(ctx: RequestContext, route: CompiledRoute | null, error: unknown): void {
    if (error instanceof ObjectPermissionDenied && route !== null) {
      return this.fail(ctx, route, this.pipeline.denial(ctx, route, error.permissionMessage), null);
    }
    // A read-only or full disk, a lock held too long: 503 with a clear body, and the worker keeps running
    // (a restart would not fix the disk). Logged without a stack: under load this repeats for every write.
    const unavailable = unavailableErrorOf(error);
    if (unavailable !== null && route !== null) {
      this.logger.warn(
        {
          code: (error as { code: string }).code,
          requestId: ctx.requestId,
          method: ctx.method,
          path: ctx.path,
        },
        'database unavailable',
      );
      if (ctx.aborted || ctx.status !== 0) return;
      return this.fail(ctx, route, unavailable, null);
    }
    this.logger.error(
      { err: error, requestId: ctx.requestId, method: ctx.method, path: ctx.path },
      'request failed',
    );
    if (ctx.aborted || ctx.status !== 0) return;
    const headers = route === null ? BARE_HEADERS : route.headers;
    if (this.inCallback) writeError(ctx, ERRORS.server_error, headers, null, null, this.closing);
    else ctx.res.cork(() => writeError(ctx, ERRORS.server_error, headers, null, null, this.closing));
    this.done(ctx, route);
  }

  // ---- handler stage ------------------------------------------------------------------------------------

  private runHandlerWithBody(ctx: RequestContext, route: CompiledRoute, raw: Buffer | null): void {
    ctx.rawBody = raw;
    const parsed = parseJsonBody(raw, ctx.contentType);
    if (!parsed.ok) return this.fail(ctx, route, parsed.error, null);
    ctx.body = parsed.value;
    this.runHandler(ctx, route);
  }

  private runHandler(ctx: RequestContext, route: CompiledRoute): void {
    let result;
    try {
      result = route.handler(ctx);
    } catch (error) {
      return this.crash(ctx, route, error);
    }
    if (result instanceof Promise) {
      result.then(
        (reply) => this.answer(ctx, route, reply),
        (error: unknown) => this.crash(ctx, route, error),
      );
      return;
    }
    this.answer(ctx, route, result);
  }

  private answer(ctx: RequestContext, route: CompiledRoute, result: Reply | ErrorSpec): void {
    if (isErrorSpec(result)) return this.fail(ctx, route, result, ctx.responseHeaders);
    this.reply(ctx, route, result);
  }

  private reply(ctx: RequestContext, route: CompiledRoute, reply: Reply): void {
    if (ctx.aborted) return;
    let extra = reply.headers ?? null;
    if (ctx.responseHeaders !== null)
      extra = extra === null ? ctx.responseHeaders : [...extra, ...ctx.responseHeaders];
    if (reply.status === 204) {
      // No content, so no Content-Type either (RFC 9110 §15.3.5).
      if (this.inCallback) writeEmpty(ctx, 204, route.headers, extra, this.closing);
      else ctx.res.cork(() => writeEmpty(ctx, 204, route.headers, extra, this.closing));
    } else if (this.inCallback)
      writeJson(ctx, reply.status, reply.body, headersOf(route, reply), extra, this.closing);
    else
      ctx.res.cork(() =>
        writeJson(ctx, reply.status, reply.body, headersOf(route, reply), extra, this.closing),
      );
    this.done(ctx, route);
  }

  // ---- bookkeeping --------------------------------------------------------------------------------------

  private aborted(ctx: RequestContext, route: CompiledRoute): void {
    // The client went away before the answer; uWS has invalidated `res`. Anything still running for this
    // request checks ctx.aborted and drops its result.
    ctx.aborted = true;
    ctx.status = 499;
    ctx.bodyCollector?.cancel();
    this.done(ctx, route);
  }

  private done(ctx: RequestContext, route: CompiledRoute | null): void {
    this.inFlight--;
    const observers = this.observers;
    for (let i = 0; i < observers.length; i++) {
      try {
        observers[i]!(ctx, route);
      } catch (error) {
        this.logger.error({ err: error, requestId: ctx.requestId }, 'request observer failed');
      }
    }
    if (this.inFlight === 0 && this.drained !== null) this.drained();
  }

  private readonly logAccess: RequestObserver = (ctx) => {
    this.logger.info({
      msg: 'request',
      method: ctx.method,
      path: ctx.path,
      status: ctx.status,
      durationMs: Math.round((performance.now() - ctx.startedAt) * 1000) / 1000,
      userId: ctx.credentials === null ? null : ctx.credentials.user.id,
      requestId: ctx.requestId,
    });
  };
}

/** The route's constant headers, with the reply's media type when it is not JSON (/metrics). */
function headersOf(route: CompiledRoute, reply: Reply): HeaderBlock {
  return reply.contentType === undefined ? route.headers : withContentType(route.headers, reply.contentType);
}

/**
 * The Authorization value as a WSGI server hands it to Django: several headers joined with ',' in their order
 * (uWS's getHeader sees only the first). A repeated header then fails every scheme's parse as it fails DRF's
 * (more than two space-delimited values), so no request is judged on a header the client may not have meant.
 * The walk over the headers only happens when there is an Authorization header.
 */
let authorizationJoined: string | null = null;
function collectAuthorization(key: string, value: string): void {
  if (key === 'authorization')
    authorizationJoined = authorizationJoined === null ? value : `${authorizationJoined},${value}`;
}
function authorizationOf(req: HttpRequest): string {
  if (req.getHeader('authorization') === '') return '';
  authorizationJoined = null;
  req.forEach(collectAuthorization);
  return authorizationJoined ?? '';
}

let contentLengthSeen = 0;
function countContentLength(key: string): void {
  if (key === 'content-length') contentLengthSeen++;
}
function countContentLengthHeaders(req: HttpRequest): number {
  contentLengthSeen = 0;
  req.forEach(countContentLength);
  return contentLengthSeen;
}
