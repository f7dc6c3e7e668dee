/**
 * Gatekeeper mode: Gatehouse in front of an existing backend (a Django app, anything HTTP), through Nginx's
 * `auth_request`. Nginx asks `GET /auth/check` (the path is configurable) before passing a request on, and
 * describes that original request in X-Original-Method and X-Original-URI; the original Authorization and
 * X-Forwarded-For headers come along. The same pipeline as for Gatehouse's own routes — authenticate → permit →
 * throttle — runs on the described request (src/http/server.ts builds the context from those headers) under
 * the policy configured for the protected backend:
 *
 *   allowed   → 204, X-Gatehouse-User-Id and X-Gatehouse-Is-Staff (true/false) when a user authenticated;
 *               Nginx copies them into the proxied request (auth_request_set + proxy_set_header).
 *   refused   → the contract's 401 / 403 / 429 with its JSON body, WWW-Authenticate and Retry-After, plus the
 *               body again in X-Gatehouse-Error-Body: auth_request drops the body of the answer, so Nginx can
 *               only relay the refusal from headers. auth_request passes 401 and 403 through and turns every
 *               other status (429 included) into 500, so ops/nginx/gatekeeper.conf maps all three in a named
 *               location that reads the status back from $upstream_status.
 *
 * The policy comes from configuration (gatekeeperPermission, gatekeeperThrottles); throttles count in the same
 * shared buckets as Gatehouse's own routes of the same scope, exactly like DRF views sharing a scope.
 */
import type { GatekeeperConfig, GatekeeperPermission } from '../config/config-types.js';
import type { ErrorSpec } from '../errors.js';
import type { ForwardedRequestEndpoint } from '../http/server.js';
import {
  AllowAny,
  IsAdminUser,
  IsAuthenticated,
  IsAuthenticatedOrReadOnly,
} from '../policies/permissions.js';
import type { CompiledRoute } from '../pipeline/compile-routes.js';
import { defineRoute, type RouteDefinition, type ThrottleSpec } from '../pipeline/define-route.js';
import type { Permission, Reply } from '../pipeline/types.js';
import type { Router } from '../router/router.js';

export const USER_ID_HEADER = 'X-Gatehouse-User-Id';
export const IS_STAFF_HEADER = 'X-Gatehouse-Is-Staff';
export const ERROR_BODY_HEADER = 'X-Gatehouse-Error-Body';

const PERMISSIONS: Readonly<Record<GatekeeperPermission, Permission>> = {
  allowAny: AllowAny,
  isAuthenticated: IsAuthenticated,
  isAdmin: IsAdminUser,
  isAuthenticatedOrReadOnly: IsAuthenticatedOrReadOnly,
};

/** Anonymous requests that the policy lets through carry no user headers (Nginx then sends none upstream). */
const ANONYMOUS: Reply = Object.freeze({ status: 204, body: '' });

/** The gatekeeper's route definition: GET on the configured path, the configured permission and throttles. */
export function gatekeeperRoute(config: GatekeeperConfig): RouteDefinition {
  return defineRoute({
    method: 'GET',
    path: config.path,
    name: 'Gatekeeper',
    description: 'Judges the request described by X-Original-Method and X-Original-URI (Nginx auth_request).',
    permission: PERMISSIONS[config.permission],
    throttles: config.throttles.map(toThrottleSpec),
    body: false,
    handler: (ctx) => {
      const user = ctx.credentials?.user;
      if (user === undefined) return ANONYMOUS;
      return {
        status: 204,
        body: '',
        headers: [USER_ID_HEADER, String(user.id), IS_STAFF_HEADER, user.isStaff ? 'true' : 'false'],
      };
    },
  });
}

/**
 * The endpoint the HTTP server mounts. `compile` compiles definitions with the application's schemes and
 * throttle rules; `routes` is the application's own table, which must not use the gatekeeper's path (the
 * endpoint would hide that route).
 */
export function createGatekeeper(
  config: GatekeeperConfig,
  compile: (definitions: readonly RouteDefinition[]) => Router<CompiledRoute>,
  routes: Router<CompiledRoute>,
): ForwardedRequestEndpoint {
  if (routes.match(config.path).entry !== null) {
    throw new Error(`gatekeeperPath ${config.path} is already a route of the API; choose another path`);
  }
  const route = compile([gatekeeperRoute(config)])
    .match(config.path)
    .entry?.byMethod.get('GET');
  if (route === undefined) throw new Error(`gatekeeper route ${config.path} did not compile`);
  return { path: config.path, route, refusalHeaders };
}

function toThrottleSpec(scope: string): ThrottleSpec {
  return scope === 'anon' || scope === 'user' ? scope : { scope };
}

/**
 * The refusal's body as a header value. JSON escapes control characters already; non-ASCII characters (a
 * custom permission message) are escaped too, so the value is plain ASCII whatever the proxy does with bytes.
 */
function refusalHeaders(error: ErrorSpec): readonly string[] {
  const ascii = error.body.replace(
    /[\u007f-\uffff]/g,
    (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
  );
  return [ERROR_BODY_HEADER, ascii];
}
