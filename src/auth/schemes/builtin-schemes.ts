/**
 * The built-in authentication schemes of a worker, by the names routes and the `authenticationSchemes` setting
 * use: `jwt` (simplejwt's JWTAuthentication), `basic` (DRF's BasicAuthentication) and `apikey` (DRF's
 * TokenAuthentication). Built once per worker; applications add their own schemes next to these.
 */
import type { Config } from '../../config/config-types.js';
import type { AuthenticationScheme } from '../../pipeline/types.js';
import type { Stores } from '../../store/types.js';
import { ApiKeyCache } from '../api-keys/api-key-cache.js';
import type { Verifier } from '../jwt/index.js';
import type { PasswordHasher } from '../passwords/index.js';
import type { UserCache } from '../user-cache.js';
import { createApiKeyAuthentication } from './api-key-authentication.js';
import { createBasicAuthentication } from './basic-authentication.js';
import { createJwtAuthentication } from './jwt-authentication.js';

export interface BuiltinSchemeOptions {
  readonly config: Config;
  readonly stores: Stores;
  readonly passwords: PasswordHasher;
  readonly users: UserCache;
  /** Verifies access tokens (with the verified-token cache). */
  readonly accessVerifier: Verifier;
}

export interface BuiltinSchemes {
  readonly schemes: ReadonlyMap<string, AuthenticationScheme>;
  readonly apiKeys: ApiKeyCache;
  /** Stops the API key cache's change polling. */
  close(): void;
}

export function createBuiltinSchemes(options: BuiltinSchemeOptions): BuiltinSchemes {
  const { config, stores } = options;
  const apiKeys = new ApiKeyCache(stores.apiKeys, () => stores.changeCounter());
  apiKeys.start();
  // Stores without a change counter (PostgreSQL) announce changes instead: a key revoked on any node, or any
  // gap in the announcements, drops this worker's cached keys.
  const unwatch = stores.watchChanges?.((change) => {
    if (change.kind !== 'user') apiKeys.clear();
  });
  const list: AuthenticationScheme[] = [
    createJwtAuthentication({
      verifier: options.accessVerifier,
      users: options.users,
      headerTypes: config.tokens.authHeaderTypes,
      userIdClaim: config.tokens.userIdClaim,
    }),
    createBasicAuthentication({ users: stores.users, passwords: options.passwords }),
    createApiKeyAuthentication({ keys: apiKeys, users: options.users, keyword: config.apiKeyKeyword }),
  ];
  return {
    schemes: new Map(list.map((s) => [s.name, s])),
    apiKeys,
    close: () => {
      apiKeys.stop();
      unwatch?.();
    },
  };
}
