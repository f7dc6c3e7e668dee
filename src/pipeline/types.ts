/**
 * The vocabulary of the request pipeline (authenticate → permit → throttle → handler), shared by the built-in
 * stages and by applications that build their own API on Gatehouse.
 */
import type { ErrorSpec } from '../errors.js';
import type { Credentials, RequestContext } from '../http/request-context.js';
import type { ThrottleRule } from '../store/throttle/throttle-store.js';

export type MaybePromise<T> = T | Promise<T>;

/** What a handler answers: a status and a compact JSON body (already encoded), plus optional header pairs. */
export interface Reply {
  readonly status: number;
  readonly body: string;
  /** Extra headers as [name, value, name, value, …]. */
  readonly headers?: readonly string[];
  /** The body's media type when it is not JSON (e.g. the Prometheus text format of /metrics). */
  readonly contentType?: string;
}

/** A handler answers a Reply, or an error of the table (answered with the route's headers and challenge). */
export type Handler = (ctx: RequestContext) => MaybePromise<Reply | ErrorSpec>;

/**
 * An authentication scheme (DRF's BaseAuthentication). `authenticate` returns
 *  - null when the request carries nothing this scheme recognises (the next scheme is tried),
 *  - Credentials when it recognised valid credentials,
 *  - an ErrorSpec (a 401 from the error table) when it recognised the request but the credentials are invalid:
 *    the request fails, no other scheme is tried (DRF semantics).
 * It may return a Promise (e.g. argon2 for Basic), but the sync form keeps the hot path free of awaits.
 */
export interface AuthenticationScheme {
  readonly name: string;
  /** The WWW-Authenticate challenge (DRF's authenticate_header); null means failures answer 403, as in DRF. */
  readonly challenge: string | null;
  /**
   * Request headers the scheme reads besides Authorization, in lower case (e.g. ['x-api-key']): the server
   * copies them for the routes that use the scheme, and `ctx.header(name)` reads them.
   */
  readonly headers?: readonly string[];
  authenticate(ctx: RequestContext): MaybePromise<Credentials | ErrorSpec | null>;
}

/** A permission (DRF's BasePermission). `message` overrides the 403 detail. */
export interface Permission {
  readonly message?: string;
  hasPermission(ctx: RequestContext): boolean;
  /** Object-level check, called by handlers through `checkObjectPermission`. */
  hasObjectPermission(ctx: RequestContext, object: unknown): boolean;
}

/** A throttle: a rule and how a request maps to a bucket. A null key means "not throttled" (e.g. anon for users). */
export interface Throttle {
  readonly rule: ThrottleRule;
  key(ctx: RequestContext): string | null;
}

export function isErrorSpec(value: unknown): value is ErrorSpec {
  return typeof value === 'object' && value !== null && 'challenge' in value;
}

/** Applies `f` to a value that may or may not be a promise, staying synchronous when it is not. */
export function thenMaybe<T, R>(value: MaybePromise<T>, f: (value: T) => R | Promise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}
