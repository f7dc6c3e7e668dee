/**
 * DRF's BasicAuthentication: `Authorization: Basic base64(username:password)` (RFC 7617), checked against the
 * stored password hash on every request.
 *
 * Slow by design: every request runs one argon2id verification (tens of milliseconds of CPU on the libuv thread
 * pool), which is what makes a stolen hash expensive to crack. Use it for tools and scripts; clients that call
 * often should exchange the password for a JWT (POST /api/token/) or use an API key. docs/extending.md says so.
 *
 * Recognition and messages follow DRF exactly:
 *  - the first word compared case-insensitively with "basic" (bytes.lower()); anything else → not recognised;
 *  - "Basic" alone → 401 "Invalid basic header. No credentials provided.";
 *  - more than two parts → 401 "… Credentials string should not contain spaces.";
 *  - undecodable base64 (Python's lenient b64decode) → 401 "… Credentials not correctly base64 encoded.";
 *  - the decoded text is UTF-8, or latin-1 when it is not valid UTF-8, split at the first ':';
 *  - wrong password, unknown user, or inactive user → 401 "Invalid username/password." (Django's ModelBackend
 *    refuses inactive users like unknown ones). An unknown user still costs one verification (verifyDummy), so
 *    response times do not reveal which usernames exist.
 */
import { isUtf8 } from 'node:buffer';
import { ERRORS, type ErrorSpec } from '../../errors.js';
import type { Credentials, RequestContext } from '../../http/request-context.js';
import type { AuthenticationScheme } from '../../pipeline/types.js';
import type { UserStore } from '../../store/types.js';
import type { PasswordHasher } from '../passwords/index.js';
import { isKeyword, splitAuthorization } from './authorization-header.js';
import { pythonB64Decode } from './python-base64.js';

export interface BasicAuthenticationOptions {
  readonly users: UserStore;
  readonly passwords: PasswordHasher;
  /** The realm of the challenge (DRF's www_authenticate_realm, "api" by default). */
  readonly realm?: string;
  /**
   * Upgrade Django-format or older-parameter hashes after a successful check, as Django's check_password does
   * (default true). The write bumps the database's change counter, so every worker refreshes its caches once.
   */
  readonly rehash?: boolean;
}

/** What a Basic header carries once parsed, or why it is refused, or null when it is not a Basic header. */
export type BasicHeader = { readonly username: string; readonly password: string } | ErrorSpec | null;

export function parseBasicHeader(header: string): BasicHeader {
  if (header === '') return null;
  const parts = splitAuthorization(header);
  if (parts.length === 0 || !isKeyword(parts[0]!, 'basic')) return null;
  if (parts.length === 1) return ERRORS.basic_no_credentials;
  if (parts.length > 2) return ERRORS.invalid_basic_header;
  const bytes = pythonB64Decode(parts[1]!);
  if (bytes === null) return ERRORS.invalid_basic_encoding;
  const text = bytes.toString(isUtf8(bytes) ? 'utf8' : 'latin1');
  // str.partition(':'): no colon means the whole text is the username and the password is empty.
  const colon = text.indexOf(':');
  return colon < 0
    ? { username: text, password: '' }
    : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

export function createBasicAuthentication(options: BasicAuthenticationOptions): AuthenticationScheme {
  const { users, passwords } = options;
  const rehash = options.rehash ?? true;

  const check = async (username: string, password: string): Promise<Credentials | ErrorSpec> => {
    const record = await users.findByUsername(username);
    if (record === null) {
      await passwords.verifyDummy(password);
      return ERRORS.invalid_basic_credentials;
    }
    const valid = await passwords.verify(record.passwordHash, password);
    if (!valid || !record.isActive) return ERRORS.invalid_basic_credentials;
    if (rehash && passwords.needsRehash(record.passwordHash)) {
      await users.setPasswordHash(record.id, await passwords.hash(password));
    }
    const user = {
      id: record.id,
      username: record.username,
      isActive: record.isActive,
      isStaff: record.isStaff,
      isSuperuser: record.isSuperuser,
    };
    return { user, scheme: 'basic', token: null };
  };

  return {
    name: 'basic',
    challenge: `Basic realm="${options.realm ?? 'api'}"`,
    authenticate(ctx: RequestContext) {
      const parsed = parseBasicHeader(ctx.authorization);
      if (parsed === null || 'challenge' in parsed) return parsed;
      return check(parsed.username, parsed.password);
    },
  };
}
