/**
 * The public way to declare a route with its policy, next to its handler — Gatehouse's equivalent of a DRF view
 * with `authentication_classes`, `permission_classes` and `throttle_classes`. Definitions are plain data; they
 * are validated here and compiled once at start-up (compile-routes.ts), so nothing about policy is decided per
 * request.
 */
import type { RequestContext } from '../http/request-context.js';
import { METHOD_ORDER, type HttpMethod } from '../router/router.js';
import type { AuthenticationScheme, Handler, Permission } from './types.js';

/**
 * A throttle as declared on a route:
 *  - 'anon': DRF's AnonRateThrottle (anonymous requests, by client address; users are not throttled by it);
 *  - 'user': DRF's UserRateThrottle (by user id, by client address when anonymous);
 *  - { scope }: DRF's ScopedRateThrottle (by user id or client address, under the scope's own rate);
 *  - { scope, key }: a custom throttle: `key` maps a request to its bucket (null: not throttled).
 * The rate of each scope comes from configuration (`throttleRates`): rates are operations' business, and the
 * supervisor lays out the shared counters from them.
 */
export type ThrottleSpec =
  'anon' | 'user' | { readonly scope: string; readonly key?: (ctx: RequestContext) => string | null };

/** One field as DRF's SimpleMetadata describes it (keys in DRF's order). */
export interface FieldMetadata {
  readonly type: 'string';
  readonly required: boolean;
  readonly read_only: boolean;
  readonly label: string;
}

export interface RouteDefinition {
  readonly method: HttpMethod | readonly HttpMethod[];
  readonly path: string;
  /** The name DRF would derive from the view class (shown by OPTIONS and in the OpenAPI document). */
  readonly name?: string;
  readonly description?: string;
  /**
   * The `actions` member of the OPTIONS answer: for each method that takes a body, its fields as DRF's
   * SimpleMetadata describes a serializer's (simplejwt's token views show theirs). Absent for routes without
   * a serializer, as in DRF. Shown to everyone: DRF omits a method the requester may not use, and the routes
   * that declare actions (the token views) have no permission.
   */
  readonly actions?: Readonly<Record<string, Readonly<Record<string, FieldMetadata>>>>;
  /** Scheme names ('jwt', 'basic', 'apikey', or a registered custom one) or scheme objects; [] for none. */
  readonly authentication?: readonly (string | AuthenticationScheme)[];
  readonly permission?: Permission;
  readonly throttles?: readonly ThrottleSpec[];
  readonly handler: Handler;
  /**
   * WWW-Authenticate for 401 answers of a route without schemes (simplejwt's token views send
   * `Bearer realm="api"` although they authenticate nobody). Defaults to the first scheme's challenge.
   */
  readonly challenge?: string | null;
  /**
   * Request headers the handler reads through `ctx.header(name)`, in lower case (copied before uWS frees the
   * request; the route's schemes add theirs).
   */
  readonly headers?: readonly string[];
  /**
   * Whether the handler reads the query string (`ctx.query`). Off by default: like headers, it has to be copied
   * before uWS frees the request, and the example and token APIs never read it.
   */
  readonly query?: boolean;
  /** Whether the handler reads a JSON body (default: true for POST, PUT and PATCH). */
  readonly body?: boolean;
  /** OpenAPI: a short summary and the JSON schema of the request body and success response, when known. */
  readonly openapi?: {
    readonly summary?: string;
    readonly requestBody?: Readonly<Record<string, unknown>>;
    readonly response?: Readonly<Record<string, unknown>>;
    readonly successStatus?: number;
    /** Media type of the success response when it is not JSON (e.g. the Prometheus text of /metrics). */
    readonly responseContentType?: string;
    /** Error statuses the handler itself may answer besides those the route's policy implies (e.g. 429, 503). */
    readonly errorStatuses?: readonly number[];
  };
}

export class RouteDefinitionError extends Error {}

/** RFC 9110 §5.6.2 token characters, lower case only (uWS looks headers up by their lower-case name). */
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

export function defineRoute(definition: RouteDefinition): RouteDefinition {
  const methods = Array.isArray(definition.method) ? definition.method : [definition.method];
  if (methods.length === 0) throw new RouteDefinitionError(`route ${definition.path}: no method`);
  for (const method of methods) {
    if (!(METHOD_ORDER as readonly string[]).includes(method))
      throw new RouteDefinitionError(`route ${definition.path}: unknown method ${String(method)}`);
  }
  if (typeof definition.handler !== 'function')
    throw new RouteDefinitionError(`route ${definition.path}: handler must be a function`);
  for (const header of definition.headers ?? []) {
    if (typeof header !== 'string' || !HEADER_NAME.test(header)) {
      throw new RouteDefinitionError(
        `route ${definition.path}: header ${JSON.stringify(header)} must be a lower-case header name`,
      );
    }
  }
  return Object.freeze({ ...definition });
}

/** A DRF-style view name from a path when none is given: "/api/token/refresh/" → "Refresh". */
export function defaultRouteName(path: string): string {
  const last =
    path
      .split('/')
      .filter((s) => s.length > 0 && !s.startsWith(':'))
      .pop() ?? 'Root';
  return last
    .split(/[-_]/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}
