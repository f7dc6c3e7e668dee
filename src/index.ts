/**
 * Gatehouse's public API, for applications built on it (see docs/extending.md and examples/bookshelf/):
 *
 *   routes     defineRoute({ method, path, authentication, permission, throttles, handler })
 *   replies    json(), rawJson(), constantReply(); or return an error of the table (ERRORS, fieldErrors())
 *   permissions AllowAny, IsAuthenticated, IsAdminUser, IsAuthenticatedOrReadOnly, and/or/not,
 *              definePermission(), withMessage(), checkObjectPermission()
 *   schemes    defineScheme() for a custom one, authenticationFailed(); the built-in factories
 *   running    an application module (`appModule` setting) exporting routes(services) and schemes(services),
 *              served by `gatehouse serve` with every worker process; or startServer() to embed one process.
 *
 * Everything else in the package is internal and may change.
 */
export type { AppServices } from './api/services.js';
export { validateCharFields, type CharFieldSpec, type Validated } from './api/serializer.js';
export type { GatehouseApplication } from './app/load-application.js';
export { startServer, type RunningServer, type StartServerOptions } from './app/start-server.js';
export { ApiKeyCache, type CachedApiKey } from './auth/api-keys/api-key-cache.js';
export {
  createApiKeyAuthentication,
  type ApiKeyAuthenticationOptions,
} from './auth/schemes/api-key-authentication.js';
export {
  createBasicAuthentication,
  type BasicAuthenticationOptions,
} from './auth/schemes/basic-authentication.js';
export { authenticationFailed, defineScheme, SchemeDefinitionError } from './auth/schemes/define-scheme.js';
export { createJwtAuthentication, type JwtAuthenticationOptions } from './auth/schemes/jwt-authentication.js';
export type { Config } from './config/config-types.js';
export { ERRORS, dynamicError, fieldErrors, type ErrorCode, type ErrorSpec } from './errors.js';
export type { AuthenticatedUser, Credentials, RequestContext } from './http/request-context.js';
export {
  AllowAny,
  and,
  checkObjectPermission,
  definePermission,
  IsAdminUser,
  IsAuthenticated,
  IsAuthenticatedOrReadOnly,
  isSafeMethod,
  not,
  ObjectPermissionDenied,
  or,
  permission,
  withMessage,
  type PermissionDefinition,
} from './policies/permissions.js';
export {
  defineRoute,
  RouteDefinitionError,
  type RouteDefinition,
  type ThrottleSpec,
} from './pipeline/define-route.js';
export { constantReply, json, rawJson } from './pipeline/replies.js';
export {
  isErrorSpec,
  thenMaybe,
  type AuthenticationScheme,
  type Handler,
  type MaybePromise,
  type Permission,
  type Reply,
  type Throttle,
} from './pipeline/types.js';
export type { HttpMethod } from './router/router.js';
