/**
 * DRF's TokenAuthentication: `Authorization: Token <key>` with opaque keys made by `gatehouse apikey create`.
 * Keys are stored as SHA-256 digests (src/auth/api-keys/api-key.ts says why that suffices), and found through a
 * per-worker cache that every worker drops within ~100 ms of a change by another process, so a revoked key stops
 * working within about 100 ms. The owner goes through the user cache, like JWT authentication.
 *
 * Recognition and messages follow DRF exactly:
 *  - the first word compared case-insensitively with the keyword ("Token" by default; `apiKeyKeyword`);
 *    anything else → not recognised, the next scheme is tried;
 *  - the keyword alone → 401 "Invalid token header. No credentials provided.";
 *  - more than two parts → 401 "Invalid token header. Token string should not contain spaces.";
 *  - a key whose bytes are not UTF-8 → 401 "… Token string should not contain invalid characters.";
 *  - an unknown or revoked key → 401 "Invalid token."; an inactive or deleted owner → 401 "User inactive or deleted.".
 * The challenge is the bare keyword (DRF's authenticate_header returns `self.keyword`).
 */
import { isUtf8 } from 'node:buffer';
import { ERRORS, type ErrorSpec } from '../../errors.js';
import type { Credentials, RequestContext } from '../../http/request-context.js';
import type { AuthenticationScheme, MaybePromise } from '../../pipeline/types.js';
import type { ApiKeyCache, CachedApiKey } from '../api-keys/api-key-cache.js';
import { apiKeyHashText } from '../api-keys/api-key.js';
import type { CachedUser, UserCache } from '../user-cache.js';
import { hasNoWhitespace, isKeyword, splitAuthorization } from './authorization-header.js';

export interface ApiKeyAuthenticationOptions {
  readonly keys: ApiKeyCache;
  readonly users: UserCache;
  /** DRF's TokenAuthentication.keyword. */
  readonly keyword?: string;
}

const NON_ASCII = /[\u0080-\uffff]/;

/**
 * Returns a parser for `keyword`: the key a header carries, an error when the header is this scheme's but
 * malformed, or null when it is not this scheme's.
 */
export function apiKeyHeaderParser(keyword: string): (header: string) => string | ErrorSpec | null {
  const keywordLower = keyword.toLowerCase();
  const keyStart = keyword.length + 1;
  return (header) => {
    if (header === '') return null;
    let key: string | null = null;
    // The common form ("Token <key>": exact case, one space) costs a comparison and a substring, no split.
    if (header.length > keyStart && header.charCodeAt(keyword.length) === 32 && header.startsWith(keyword)) {
      const rest = header.slice(keyStart);
      if (hasNoWhitespace(rest)) key = rest;
    }
    if (key === null) {
      const parts = splitAuthorization(header);
      if (parts.length === 0 || !isKeyword(parts[0]!, keywordLower)) return null;
      if (parts.length === 1) return ERRORS.api_key_no_credentials;
      if (parts.length > 2) return ERRORS.api_key_spaces;
      key = parts[1]!;
    }
    // DRF decodes the key's bytes as UTF-8 (auth[1].decode()); the header string holds one character per byte.
    if (NON_ASCII.test(key) && !isUtf8(Buffer.from(key, 'latin1'))) return ERRORS.api_key_invalid_characters;
    return key;
  };
}

export function createApiKeyAuthentication(options: ApiKeyAuthenticationOptions): AuthenticationScheme {
  const { keys, users } = options;
  const keyword = options.keyword ?? 'Token';
  const parseHeader = apiKeyHeaderParser(keyword);
  // The last credentials built per key, reused while the owner's cache entry is the same object: a request
  // authenticated by a cached key allocates nothing.
  const built = new WeakMap<
    CachedApiKey,
    { readonly owner: CachedUser; readonly credentials: Credentials }
  >();

  const withOwner = (entry: CachedApiKey, owner: CachedUser | null): Credentials | ErrorSpec => {
    if (owner === null || !owner.user.isActive) return ERRORS.api_key_user_inactive;
    const last = built.get(entry);
    if (last !== undefined && last.owner === owner) return last.credentials;
    const credentials: Credentials = Object.freeze({
      user: owner.user,
      scheme: 'apikey',
      token: entry.token,
    });
    built.set(entry, { owner, credentials });
    return credentials;
  };

  const withKey = (entry: CachedApiKey | null): MaybePromise<Credentials | ErrorSpec> => {
    if (entry === null) return ERRORS.invalid_api_key;
    const owner = users.lookup(entry.userId);
    return owner instanceof Promise ? owner.then((o) => withOwner(entry, o)) : withOwner(entry, owner);
  };

  return {
    name: 'apikey',
    challenge: keyword,
    authenticate(ctx: RequestContext): MaybePromise<Credentials | ErrorSpec | null> {
      const key = parseHeader(ctx.authorization);
      if (key === null || typeof key !== 'string') return key;
      const entry = keys.lookup(apiKeyHashText(key), key);
      return entry instanceof Promise ? entry.then(withKey) : withKey(entry);
    },
  };
}
