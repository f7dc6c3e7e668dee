/**
 * Opaque API keys (DRF's TokenAuthentication keys, made safer to store). A key is 32 random bytes in base64url
 * behind a recognisable `gh_` prefix (so secret scanners and people can tell what leaked). It is shown once, when
 * created; the database keeps only its SHA-256 and a short prefix for listing.
 *
 * Why a fast hash and not argon2: a password is a low-entropy secret that an attacker with the database can
 * guess, so it needs a slow, salted hash. A key carries 256 random bits: nobody can enumerate them, fast hash
 * or not, so SHA-256 is enough — and it lets a request find its key with one indexed lookup by hash (a salted
 * hash would need the key's id in the header, as a slow one would need one argon2 run per request).
 */
import { hash, randomBytes } from 'node:crypto';
import type { ApiKeyRecord, ApiKeyStore } from '../../store/types.js';

export const API_KEY_PREFIX = 'gh_';
const KEY_BYTES = 32;
/** Characters of the key kept in clear for listing ("gh_" + 8): enough to tell keys apart, useless to guess. */
const LISTED_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;

export interface NewApiKey {
  /** The key itself: give it to its owner now, it cannot be shown again. */
  readonly key: string;
  readonly hash: Buffer;
  readonly prefix: string;
}

export function generateApiKey(): NewApiKey {
  const key = API_KEY_PREFIX + randomBytes(KEY_BYTES).toString('base64url');
  return { key, hash: apiKeyHash(key), prefix: key.slice(0, LISTED_PREFIX_LENGTH) };
}

/** SHA-256 of the key as sent (UTF-8), as stored in the database. */
export function apiKeyHash(key: string): Buffer {
  return hash('sha256', key, 'buffer');
}

/** The same digest as text, for per-worker cache keys (one call, no Buffer kept). */
export function apiKeyHashText(key: string): string {
  return hash('sha256', key, 'base64');
}

/** Creates a key for a user and records it (hash and prefix only). The caller shows `key` once. */
export async function issueApiKey(
  store: ApiKeyStore,
  userId: number,
  name: string | null,
  now: Date = new Date(),
): Promise<{ readonly key: string; readonly record: ApiKeyRecord }> {
  const created = generateApiKey();
  const record = await store.create(userId, created.hash, created.prefix, name, now.toISOString());
  return { key: created.key, record };
}
