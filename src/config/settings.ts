/**
 * Every configuration setting in one table: its key in the JSON config file, its environment variable, how it
 * is parsed, its default and what it means. The README's configuration reference is generated from this table
 * (`gatehouse config --help`), so it cannot drift from the code.
 */
import { availableParallelism } from 'node:os';
import * as p from './setting-parsers.js';

export interface SettingSpec<T = unknown> {
  readonly key: string;
  readonly env: string;
  readonly parse: p.SettingParser<T>;
  readonly default: T;
  readonly help: string;
  /** Secrets are never printed (config dumps show "<set>"). */
  readonly secret?: boolean;
}

const setting = <T>(
  key: string,
  parse: p.SettingParser<T>,
  def: T,
  help: string,
  secret = false,
): SettingSpec => ({
  key,
  env: 'GATEHOUSE_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase(),
  parse,
  default: def,
  help,
  secret,
});

const CIDR = /^[0-9a-fA-F:.]+(\/\d{1,3})?$/;
const ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'ES256', 'EdDSA'] as const;

export const SETTINGS: readonly SettingSpec[] = [
  setting('host', p.text(), '127.0.0.1', 'Address to listen on.'),
  setting('port', p.integer(0, 65535), 8000, 'TCP port to listen on (0 picks a free port).'),
  setting('workers', p.integer(1, 256), availableParallelism(), 'Worker processes (default: one per core).'),
  setting('dataDir', p.text(), 'var', 'Directory for the SQLite database and the generated development key.'),
  setting(
    'databaseUrl',
    p.nullableText(),
    null,
    'postgres://… to keep users and tokens in PostgreSQL instead of SQLite.',
    true,
  ),
  setting(
    'redisUrl',
    p.nullableText(),
    null,
    'redis://… to share throttle counters and revocations between nodes.',
    true,
  ),
  setting(
    'databasePoolSize',
    p.integer(1, 1000),
    5,
    'PostgreSQL connections per process (plus one per worker for change notifications).',
  ),
  setting(
    'redisTimeout',
    p.durationSeconds(0.05, 60),
    1,
    'How long Redis may leave commands unanswered before a worker treats it as down.',
  ),
  setting(
    'throttleFailClosed',
    p.stringList(/^(\*|[A-Za-z0-9_.:-]+)$/, 'a list of throttle scopes, or *'),
    ['login_username', 'login_ip'],
    'Throttle scopes that refuse requests while Redis is unreachable (* for all); the others admit them uncounted.',
  ),
  setting(
    'userCacheMaxAge',
    p.durationSeconds(0.1, 86_400),
    30,
    'With PostgreSQL: longest a worker keeps a cached user without hearing of a change.',
  ),
  setting('algorithm', p.oneOf(ALGORITHMS), 'HS256', 'JWT signing algorithm.'),
  setting(
    'signingKey',
    p.nullableText(),
    null,
    'HS* secret (like Django SECRET_KEY / SIMPLE_JWT SIGNING_KEY).',
    true,
  ),
  setting('signingKeyFile', p.nullableText(), null, 'File holding the HS* secret or the PEM private key.'),
  setting('signingKeyId', p.nullableText(), null, 'kid header of the signing key (needed to rotate keys).'),
  setting(
    'verifyingKeys',
    p.json,
    [],
    'Extra keys still accepted: [{"kid","algorithm","secret"|"publicKeyPem"|"publicKeyFile"}].',
    true,
  ),
  setting(
    'accessTokenLifetime',
    p.durationSeconds(1, 31_536_000),
    300,
    'Access token lifetime (SIMPLE_JWT ACCESS_TOKEN_LIFETIME).',
  ),
  setting('refreshTokenLifetime', p.durationSeconds(1, 31_536_000), 86_400, 'Refresh token lifetime.'),
  setting(
    'rotateRefreshTokens',
    p.boolean,
    true,
    'Refresh returns a new refresh token (ROTATE_REFRESH_TOKENS).',
  ),
  setting('blacklistAfterRotation', p.boolean, true, 'The old refresh token is blacklisted on rotation.'),
  setting(
    'revokeFamilyOnReuse',
    p.boolean,
    true,
    'Reuse of a rotated refresh token revokes every token descended from it.',
  ),
  setting('updateLastLogin', p.boolean, true, "Obtaining a pair updates the user's last_login."),
  setting('leeway', p.durationSeconds(0, 3600), 0, 'Clock leeway for exp/nbf/iat.'),
  setting('audience', p.nullableText(), null, 'aud claim to set and require (none by default).'),
  setting('issuer', p.nullableText(), null, 'iss claim to set and require (none by default).'),
  setting(
    'authHeaderTypes',
    p.stringList(/^[A-Za-z][A-Za-z0-9_-]*$/, 'a list of scheme words'),
    ['Bearer'],
    'Accepted Authorization schemes for JWTs.',
  ),
  setting('userIdClaim', p.text(), 'user_id', 'Claim holding the user id.'),
  setting('tokenTypeClaim', p.text(), 'token_type', 'Claim holding the token type.'),
  setting('jtiClaim', p.text(), 'jti', 'Claim holding the token id.'),
  setting('maxTokenLength', p.integer(256, 65_536), 4096, 'Longer tokens are refused before any work.'),
  setting(
    'verifiedTokenCacheSize',
    p.integer(0, 1_000_000),
    10_000,
    'Verified-token cache entries per worker (0 disables).',
  ),
  setting(
    'passwordMemoryCost',
    p.integer(1024, 1_048_576),
    19_456,
    'argon2id memory in KiB (OWASP minimum 19 MiB).',
  ),
  setting('passwordTimeCost', p.integer(1, 100), 2, 'argon2id iterations.'),
  setting('passwordParallelism', p.integer(1, 64), 1, 'argon2id lanes.'),
  setting(
    'passwordHashingConcurrency',
    p.integer(0, 64),
    1,
    'Password hashes one worker runs at once; more wait in line (0: no limit).',
  ),
  setting(
    'passwordHashingNice',
    p.integer(0, 19),
    19,
    'nice of the threads that hash passwords, so logins never starve other requests (0: unchanged).',
  ),
  setting('maxPasswordLength', p.integer(8, 65_536), 1024, 'Longer passwords are refused before hashing.'),
  setting(
    'throttleRates',
    p.scopeMap,
    { anon: '1000/min', user: '100000/min', limited: '5/min' },
    'Throttle rates by scope (DRF DEFAULT_THROTTLE_RATES).',
  ),
  setting('rateLimitHeaders', p.boolean, false, 'Send RateLimit-* headers (IETF draft) on throttled routes.'),
  setting(
    'throttleCapacity',
    p.integer(64, 16_777_216),
    32_768,
    'Clients tracked per throttle scope (shared memory; about 1 KiB each for limits over 64).',
  ),
  setting('loginRateByUsername', p.nullableText(), '10/min', 'Login attempts per username (empty disables).'),
  setting(
    'loginRateByIp',
    p.nullableText(),
    '100/min',
    'Login attempts per client address (empty disables).',
  ),
  setting(
    'trustedProxies',
    p.stringList(CIDR, 'a list of IP addresses or CIDR networks'),
    [],
    'Proxies whose X-Forwarded-For is believed.',
  ),
  setting('maxBodyBytes', p.integer(1024, 104_857_600), 1_048_576, 'Largest request body (413 above it).'),
  setting('accessLog', p.boolean, true, 'One JSON line per request on stdout.'),
  setting(
    'logLevel',
    p.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    'info',
    'Log level.',
  ),
  setting(
    'exampleApi',
    p.boolean,
    true,
    'Serve the example API (/api/public/, /api/hello/, /api/notes/, …).',
  ),
  setting(
    'ignoreInvalidCredentialsOnPublicRoutes',
    p.boolean,
    false,
    'Public routes treat bad credentials as anonymous.',
  ),
  setting(
    'authenticationSchemes',
    p.stringList(/^[A-Za-z][A-Za-z0-9_-]*$/, 'a list of scheme names'),
    ['jwt'],
    'Schemes of routes that name none, in order (DRF DEFAULT_AUTHENTICATION_CLASSES): jwt, basic, apikey or an appModule scheme. The first gives the 401 challenge.',
  ),
  setting(
    'apiKeyKeyword',
    p.text({ pattern: /^[A-Za-z][A-Za-z0-9_-]*$/, describe: 'a word' }),
    'Token',
    'Authorization keyword of API keys (DRF TokenAuthentication.keyword).',
  ),
  setting(
    'appModule',
    p.nullableText(),
    null,
    'ES module of an application built on Gatehouse: exports routes(services) and optionally schemes(services).',
  ),
  setting(
    'shutdownGrace',
    p.durationSeconds(0, 3600),
    10,
    'How long in-flight requests may finish on stop or reload.',
  ),
  setting(
    'crashLoopMaxRestarts',
    p.integer(1, 1000),
    5,
    'Worker deaths within the window that stop the service.',
  ),
  setting('crashLoopWindow', p.durationSeconds(1, 86_400), 60, 'Window for counting worker deaths.'),
  setting(
    'metrics',
    p.boolean,
    true,
    'Count requests, failures and timings, and serve them at /metrics (docs/operations.md).',
  ),
  setting(
    'metricsAllow',
    p.stringList(CIDR, 'a list of IP addresses or CIDR networks'),
    ['127.0.0.1/32', '::1/128'],
    'Who may read /metrics.',
  ),
  setting(
    'tokenPruneInterval',
    p.durationSeconds(0, 604_800),
    3600,
    'How often expired token rows are deleted (0: never).',
  ),
  setting(
    'gatekeeper',
    p.boolean,
    false,
    'Serve the endpoint Nginx auth_request asks before passing a request to another backend (docs/deployment.md).',
  ),
  setting(
    'gatekeeperPath',
    p.text({ pattern: /^\/[A-Za-z0-9._~/-]*$/, describe: 'a path starting with /' }),
    '/auth/check',
    'Path of the gatekeeper endpoint.',
  ),
  setting(
    'gatekeeperPermission',
    p.oneOf(['allowAny', 'isAuthenticated', 'isAdmin', 'isAuthenticatedOrReadOnly'] as const),
    'isAuthenticated',
    'Permission the gatekeeper checks on the original request (DRF AllowAny, IsAuthenticated, IsAdminUser, IsAuthenticatedOrReadOnly).',
  ),
  setting(
    'gatekeeperThrottles',
    p.stringList(/^[A-Za-z0-9_.:-]+$/, 'a list of throttle scopes'),
    ['anon', 'user'],
    'Throttles of the gatekeeper: anon, user, or scopes of throttleRates.',
  ),
];
