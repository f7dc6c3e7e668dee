/** What route handlers may use: built once per worker by the application assembly (src/app/). */
import type { Config } from '../config/config-types.js';
import type { RequestContext } from '../http/request-context.js';
import type { PasswordHasher } from '../auth/passwords/index.js';
import type { TokenService } from '../auth/tokens/token-service.js';
import type { UserCache } from '../auth/user-cache.js';
import type { MaybePromise, Reply } from '../pipeline/types.js';
import type { Stores } from '../store/types.js';

/** The login-abuse throttle of the obtain endpoint: a 429 reply to answer, or null to go on. */
export interface LoginThrottle {
  check(ctx: RequestContext, username: string): MaybePromise<Reply | null>;
}

export interface AppServices {
  readonly config: Config;
  readonly stores: Stores;
  readonly passwords: PasswordHasher;
  readonly tokens: TokenService;
  readonly userCache: UserCache;
  readonly loginThrottle: LoginThrottle | null;
  /** Public keys for /.well-known/jwks.json, or null with HS* keys only. */
  readonly jwks: { keys: object[] } | null;
}
