/**
 * Assembles one worker's application from the configuration: stores, password hasher, JWT codecs, the user
 * cache, authentication schemes, the route table (platform + token API + example API + the application's own
 * routes), compiled once, and the HTTP server. Everything here runs once at start-up.
 */
import type { Logger } from 'pino';
import { exampleRoutes } from '../api/example-api.js';
import { platformRoutes } from '../api/platform-routes.js';
import type { AppServices, LoginThrottle } from '../api/services.js';
import { tokenRoutes } from '../api/token-views.js';
import { createPasswordHasher } from '../auth/passwords/index.js';
import { createSigner, createVerifier, publicJwks, validateJwtSettings, type JwtSettings } from '../auth/jwt/index.js';
import { createJwtAuthentication } from '../auth/schemes/jwt-authentication.js';
import { TokenService } from '../auth/tokens/token-service.js';
import { UserCache, type NotBeforeSource } from '../auth/user-cache.js';
import type { Config } from '../config/config-types.js';
import { ProxyTrust } from '../http/client-address.js';
import { HttpServer, type RequestObserver } from '../http/server.js';
import { AllowAny } from '../policies/permissions.js';
import { ThrottleRegistry } from '../policies/throttles.js';
import { compileRoutes, type CompiledRoute } from '../pipeline/compile-routes.js';
import type { RouteDefinition } from '../pipeline/define-route.js';
import type { AuthenticationScheme } from '../pipeline/types.js';
import type { Router } from '../router/router.js';
import type { ThrottleStore } from '../store/throttle/throttle-store.js';
import type { Stores } from '../store/types.js';
import { createLoginThrottle } from './login-throttle.js';

/** State shared by every worker of a server (shared memory in the cluster). */
export interface SharedState {
  readonly throttleStore: ThrottleStore;
  readonly throttleStoreIsSynchronous: boolean;
  /** Users' "not before" times, readable and writable by every worker. */
  readonly revocations: (NotBeforeSource & { setNotBefore(userId: number, epochSec: number): void }) | null;
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
  const { config, stores, shared, logger } = options;
  const now = options.now ?? (() => Date.now() / 1000);
  const jwt = jwtSettingsOf(config, options.now);
  const problems = validateJwtSettings(jwt);
  if (problems.length > 0) throw new Error(`invalid token settings:\n  - ${problems.join('\n  - ')}`);

  const passwords = await createPasswordHasher(config.passwords);
  const userCache = new UserCache(stores.users, () => stores.changeCounter(), shared.revocations);
  userCache.start();
  const signer = createSigner(jwt);
  const tokens = new TokenService({
    config: config.tokens,
    signer,
    refreshVerifier: createVerifier({ ...jwt, cacheSize: 0 }, 'refresh'),
    anyTypeVerifier: createVerifier({ ...jwt, cacheSize: 0 }, null),
    tokens: stores.tokens,
    users: userCache,
    now,
    ...(shared.revocations === null ? {} : { publishNotBefore: (id: number, at: number) => shared.revocations!.setNotBefore(id, at) }),
  });
  const throttles = new ThrottleRegistry(config.throttle);
  const loginThrottle: LoginThrottle | null = createLoginThrottle(throttles, shared);
  const services: AppServices = { config, stores, passwords, tokens, userCache, loginThrottle, jwks: publicJwks(jwt) };

  const schemes = new Map<string, AuthenticationScheme>();
  schemes.set(
    'jwt',
    createJwtAuthentication({
      verifier: createVerifier(jwt, 'access'),
      users: userCache,
      headerTypes: config.tokens.authHeaderTypes,
      userIdClaim: config.tokens.userIdClaim,
    }),
  );
  for (const scheme of options.schemes?.(services) ?? []) schemes.set(scheme.name, scheme);

  const definitions = [
    ...platformRoutes(services),
    ...tokenRoutes(services),
    ...(config.exampleApi ? exampleRoutes(services) : []),
    ...(options.routes?.(services) ?? []),
  ];
  const router = compileRoutes(definitions, {
    schemes,
    defaults: { authentication: ['jwt'], permission: AllowAny, throttles: [] },
    throttles,
    ignoreInvalidCredentialsOnPublicRoutes: config.ignoreInvalidCredentialsOnPublicRoutes,
  });

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
    ...(options.observers === undefined ? {} : { observers: options.observers }),
  });

  return {
    server,
    services,
    router,
    userCache,
    async close() {
      userCache.stop();
      await stores.close();
    },
  };
}
