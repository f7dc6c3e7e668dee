/**
 * Assembles one worker's application from the configuration: stores, password hasher, JWT codecs, the user
 * cache, authentication schemes, the route table (platform + token API + example API + the application's own
 * routes), compiled once, and the HTTP server. Everything here runs once at start-up.
 */
import type { Logger } from 'pino';
import { exampleRoutes } from '../api/example-api.js';
import { metricsRoutes } from '../api/metrics-route.js';
import { openApiRoutes } from '../api/openapi.js';
import { createGatekeeper } from '../api/gatekeeper.js';
import { platformRoutes } from '../api/platform-routes.js';
import type { AppServices, LoginThrottle } from '../api/services.js';
import { tokenRoutes } from '../api/token-views.js';
import { createPasswordHasher } from '../auth/passwords/index.js';
import { limitHashingConcurrency } from '../auth/passwords/hashing-queue.js';
import {
  createSigner,
  createVerifier,
  publicJwks,
  validateJwtSettings,
  type JwtSettings,
} from '../auth/jwt/index.js';
import { createBuiltinSchemes } from '../auth/schemes/builtin-schemes.js';
import { TokenService } from '../auth/tokens/token-service.js';
import { UserCache, type NotBeforeSource } from '../auth/user-cache.js';
import type { Config } from '../config/config-types.js';
import { ProxyTrust } from '../http/client-address.js';
import { HttpServer, type RequestObserver } from '../http/server.js';
import { AppMetrics } from '../metrics/app-metrics.js';
import { AllowAny } from '../policies/permissions.js';
import { ThrottleRegistry } from '../policies/throttles.js';
import { compileRoutes, type CompileEnvironment, type CompiledRoute } from '../pipeline/compile-routes.js';
import type { RouteDefinition } from '../pipeline/define-route.js';
import type { AuthenticationScheme } from '../pipeline/types.js';
import type { Router } from '../router/router.js';
import type { ThrottleStore } from '../store/throttle/throttle-store.js';
import type { RedisSharing } from '../store/redis/redis-sharing.js';
import type { Stores } from '../store/types.js';
import { callFactory, loadApplication } from './load-application.js';
import { createLoginThrottle } from './login-throttle.js';

/** State shared by every worker of a server (shared memory in the cluster). */
export interface SharedState {
  readonly throttleStore: ThrottleStore;
  readonly throttleStoreIsSynchronous: boolean;
  /** Users' "not before" times, readable and writable by every worker. */
  readonly revocations: (NotBeforeSource & { setNotBefore(userId: number, epochSec: number): void }) | null;
  /** Sharing with other nodes through Redis (throttle counters, revocations); absent on one machine. */
  readonly redis?: RedisSharing | null;
}

export interface AppOptions {
  readonly config: Config;
  readonly stores: Stores;
  readonly shared: SharedState;
  readonly logger: Logger;
  readonly requestIdPrefix: string;
  /** Extra routes of an application built on Gatehouse. */
  readonly routes?: (services: AppServices) => RouteDefinition[];
  /** Extra authentication schemes by name (custom schemes). */
  readonly schemes?: (services: AppServices) => AuthenticationScheme[];
  readonly observers?: readonly RequestObserver[];
  /** Clock in epoch seconds (tests). */
  readonly now?: () => number;
}

export interface App {
  readonly server: HttpServer;
  readonly services: AppServices;
  readonly router: Router<CompiledRoute>;
  readonly userCache: UserCache;
  /** Request, failure and timing metrics; null when `metrics` is off. */
  readonly metrics: AppMetrics | null;
  close(): Promise<void>;
}

export function jwtSettingsOf(config: Config, now?: () => number): JwtSettings {
  const t = config.tokens;
  if (t.signingKey === null) throw new Error('no signing key: resolve it before building the app');
  return {
    signingKey: t.signingKey,
    verifyingKeys: [...t.verifyingKeys],
    leewaySec: t.leewaySec,
    audience: t.audience,
    issuer: t.issuer,
    tokenTypeClaim: t.tokenTypeClaim,
    jtiClaim: t.jtiClaim,
    maxTokenLength: t.maxTokenLength,
    cacheSize: t.verifiedTokenCacheSize,
    ...(now === undefined ? {} : { now }),
  };
}

export async function buildApp(options: AppOptions): Promise<App> {
  const { config, shared, logger } = options;
  const metrics = config.metrics ? new AppMetrics() : null;
  const stores = metrics === null ? options.stores : metrics.instrumentStores(options.stores);
  const now = options.now ?? (() => Date.now() / 1000);
  const jwt = jwtSettingsOf(config, options.now);
  const problems = validateJwtSettings(jwt);
  if (problems.length > 0) throw new Error(`invalid token settings:\n  - ${problems.join('\n  - ')}`);

  const hasher = limitHashingConcurrency(
    await createPasswordHasher(config.passwords),
    config.passwordHashingConcurrency,
  );
  const passwords = metrics === null ? hasher : metrics.instrumentPasswords(hasher);
  const watch = options.stores.watchChanges?.bind(options.stores);
  const userCache = new UserCache(stores.users, () => stores.changeCounter(), shared.revocations, {
    maxAgeMs: config.userCacheMaxAgeMs,
    ...(watch === undefined ? {} : { watch }),
  });
  userCache.start();
  const redis = shared.redis ?? null;
  redis?.attach(
    {
      setNotBefore: (id, at) => shared.revocations?.setNotBefore(id, at),
      invalidateUser: (id) => userCache.invalidate(id),
      clearUsers: () => userCache.clear(),
    },
    logger,
  );
  const signer = createSigner(jwt);
  const tokens = new TokenService({
    config: config.tokens,
    signer,
    refreshVerifier: createVerifier({ ...jwt, cacheSize: 0 }, 'refresh'),
    anyTypeVerifier: createVerifier({ ...jwt, cacheSize: 0 }, null),
    tokens: redis === null ? stores.tokens : redis.wrapTokenStore(stores.tokens),
    users: userCache,
    now,
    publishNotBefore: (id: number, at: number) => {
      shared.revocations?.setNotBefore(id, at);
      redis?.publishNotBefore(id, at);
    },
  });
  const throttles = new ThrottleRegistry(config.throttle);
  const loginThrottle: LoginThrottle | null = createLoginThrottle(throttles, shared);
  const services: AppServices = {
    config,
    stores,
    passwords,
    tokens,
    userCache,
    loginThrottle,
    jwks: publicJwks(jwt),
  };

  const builtin = createBuiltinSchemes({
    config,
    stores,
    passwords,
    users: userCache,
    accessVerifier: createVerifier(jwt, 'access'),
  });
  const application = await loadApplication(config.appModule);
  const schemes = new Map<string, AuthenticationScheme>(builtin.schemes);
  for (const scheme of [
    ...callFactory('schemes()', options.schemes, services),
    ...callFactory(`${config.appModule}: schemes()`, application.schemes, services),
  ]) {
    if (schemes.has(scheme.name))
      throw new Error(
        `authentication scheme "${scheme.name}" is defined twice (built-in: ${[...builtin.schemes.keys()].join(', ')})`,
      );
    schemes.set(scheme.name, scheme);
  }

  const definitions = [
    ...platformRoutes(services),
    ...(metrics === null ? [] : metricsRoutes(metrics, config)),
    ...openApiRoutes(() => router, config),
    ...tokenRoutes(services),
    ...(config.exampleApi ? exampleRoutes(services) : []),
    ...callFactory('routes()', options.routes, services),
    ...callFactory(`${config.appModule}: routes()`, application.routes, services),
  ];
  const compileEnvironment: CompileEnvironment = {
    schemes,
    defaults: { authentication: config.authenticationSchemes, permission: AllowAny, throttles: [] },
    throttles,
    ignoreInvalidCredentialsOnPublicRoutes: config.ignoreInvalidCredentialsOnPublicRoutes,
  };
  const router = compileRoutes(definitions, compileEnvironment);
  const gatekeeper =
    config.gatekeeper === null
      ? null
      : createGatekeeper(config.gatekeeper, (defs) => compileRoutes(defs, compileEnvironment), router);

  const server = new HttpServer({
    router,
    throttleStore: shared.throttleStore,
    throttleStoreIsSynchronous: shared.throttleStoreIsSynchronous,
    rateLimitHeaders: config.throttle.rateLimitHeaders,
    maxBodyBytes: config.maxBodyBytes,
    proxyTrust: new ProxyTrust(config.trustedProxies),
    logger,
    accessLog: config.accessLog,
    requestIdPrefix: options.requestIdPrefix,
    observers: [
      ...(metrics === null
        ? []
        : [
            metrics.observeRequests(
              router,
              { rotateRefreshTokens: config.tokens.rotateRefreshTokens, leewaySec: config.tokens.leewaySec },
              gatekeeper === null ? [] : [gatekeeper.route],
            ),
          ]),
      ...(options.observers ?? []),
    ],
    forwardedRequestEndpoint: gatekeeper,
  });

  metrics?.trackServer(server);

  return {
    server,
    metrics,
    services,
    router,
    userCache,
    async close() {
      userCache.stop();
      builtin.close();
      await redis?.close();
      await stores.close();
    },
  };
}
