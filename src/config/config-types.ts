/** The one typed, frozen configuration object. Built by load-config.ts; nothing else reads the environment. */
export type JwtAlgorithm = 'HS256' | 'HS384' | 'HS512' | 'RS256' | 'ES256' | 'EdDSA';

export interface JwtKeyConfig {
  readonly kid?: string;
  readonly algorithm: JwtAlgorithm;
  readonly secret?: string;
  readonly privateKeyPem?: string;
  readonly publicKeyPem?: string;
}

export interface TokenConfig {
  readonly algorithm: JwtAlgorithm;
  /** null until resolved: an HS key is then generated into the data dir (development only, with a warning). */
  readonly signingKey: JwtKeyConfig | null;
  readonly verifyingKeys: readonly JwtKeyConfig[];
  readonly accessLifetimeSec: number;
  readonly refreshLifetimeSec: number;
  readonly rotateRefreshTokens: boolean;
  readonly blacklistAfterRotation: boolean;
  readonly revokeFamilyOnReuse: boolean;
  readonly updateLastLogin: boolean;
  readonly leewaySec: number;
  readonly audience: string | null;
  readonly issuer: string | null;
  readonly authHeaderTypes: readonly string[];
  readonly userIdClaim: string;
  readonly tokenTypeClaim: string;
  readonly jtiClaim: string;
  readonly maxTokenLength: number;
  readonly verifiedTokenCacheSize: number;
}

export interface PasswordConfig {
  readonly memoryCostKiB: number;
  readonly timeCost: number;
  readonly parallelism: number;
  readonly maxPasswordLength: number;
}

export interface ThrottleConfig {
  /** scope → DRF rate string, e.g. anon → "1000/min". */
  readonly rates: Readonly<Record<string, string>>;
  readonly rateLimitHeaders: boolean;
  /** Keys tracked per throttle scope in shared memory. */
  readonly capacity: number;
  readonly loginRateByUsername: string | null;
  readonly loginRateByIp: string | null;
}

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly workers: number;
  readonly dataDir: string;
  readonly configFile: string | null;
  readonly databaseUrl: string | null;
  readonly redisUrl: string | null;
  /** PostgreSQL connections per process. */
  readonly databasePoolSize: number;
  /** How long Redis may leave commands unanswered before a worker treats it as down. */
  readonly redisTimeoutMs: number;
  /** Throttle scopes refused while Redis is unreachable ('*': every scope); the others are admitted uncounted. */
  readonly throttleFailClosed: readonly string[];
  /** With a store that pushes changes (PostgreSQL): the longest a worker trusts a cached user. */
  readonly userCacheMaxAgeMs: number;
  readonly tokens: TokenConfig;
  readonly passwords: PasswordConfig;
  readonly throttle: ThrottleConfig;
  readonly trustedProxies: readonly string[];
  readonly maxBodyBytes: number;
  readonly accessLog: boolean;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly exampleApi: boolean;
  readonly ignoreInvalidCredentialsOnPublicRoutes: boolean;
  /** Scheme names of routes that name none, in order (DRF DEFAULT_AUTHENTICATION_CLASSES). */
  readonly authenticationSchemes: readonly string[];
  /** The Authorization keyword of API keys (DRF TokenAuthentication.keyword). */
  readonly apiKeyKeyword: string;
  /** Absolute path of the application module each worker loads, or null. */
  readonly appModule: string | null;
  readonly shutdownGraceMs: number;
  readonly crashLoopMaxRestarts: number;
  readonly crashLoopWindowMs: number;
  /** Request, failure and timing metrics (and GET /metrics). */
  readonly metrics: boolean;
  readonly metricsAllow: readonly string[];
  readonly tokenPruneIntervalSec: number;
  /** nice (0-19) of the libuv pool threads that run argon2; 0 leaves them alone. */
  readonly passwordHashingNice: number;
  /** Concurrent password hashes per worker (0: unlimited). */
  readonly passwordHashingConcurrency: number;
  /** Gatekeeper mode (Nginx auth_request); null when off. */
  readonly gatekeeper: GatekeeperConfig | null;
}

export type GatekeeperPermission = 'allowAny' | 'isAuthenticated' | 'isAdmin' | 'isAuthenticatedOrReadOnly';

export interface GatekeeperConfig {
  readonly path: string;
  readonly permission: GatekeeperPermission;
  /** 'anon', 'user', or scopes of throttleRates. */
  readonly throttles: readonly string[];
}
