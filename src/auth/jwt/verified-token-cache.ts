/**
 * Claims of tokens already verified by one verifier, found by the token text.
 *
 * The trade-off (fast-jwt's README discusses the same one): a hit skips the HMAC, the base64url decoding and
 * the JSON parse, but
 *  - the cache holds bearer tokens in memory in clear (fast-jwt hashes its keys with SHA-2, at about ten
 *    times the cost of a lookup, so that a heap dump does not reveal them; Gatehouse does not, because
 *    hashing would cost much of what the cache saves, and a worker's heap holds the same tokens in its
 *    request buffers anyway);
 *  - it answers only "this exact text was verified with these keys and is inside its validity window": it
 *    knows nothing of revocation. Callers check revocation (blacklist, revoke-all, user still active) after
 *    verify() on every request, cached or not.
 * Why it is safe: an entry is returned only for a token equal, character for character, to the one that was
 * verified, and a token is accepted only in its one canonical spelling, so no other text can borrow an entry.
 * Only verified tokens are stored, never failures, so garbage cannot evict good entries. An entry carries the
 * validity window of registered-claims.ts and is returned only inside it - never at or after exp. The cache
 * belongs to one verifier, and a key change builds a new verifier, so no entry outlives its keys.
 *
 * The map is keyed by the last KEY_CHARS characters of the token (the tail of its signature, effectively
 * random) and the entry keeps the whole token to compare with. Every request brings a new string whose hash
 * V8 has not computed yet, and hashing 43 characters instead of the whole token made a hit about twice as
 * fast on such strings (measured: 2.2M -> 5.0M hits/s; keying on the whole token only wins when the same
 * string object comes back, which a server never sees). Two verified tokens with the same tail would only
 * displace each other (a miss, then a full verification), never mix.
 *
 * Eviction is first-in-first-out through a ring of slots: O(1), no allocation, no reordering on a hit. A hot
 * token that is evicted costs one full verification to come back.
 */
import { INVALID, type JwtFailure } from './failures.js';
import type { JwtClaims } from './types.js';

/** An HS256 signature is 43 characters; longer signatures are just as random in their last 43. */
const KEY_CHARS = 43;

function keyOf(token: string): string {
  return token.length > KEY_CHARS ? token.slice(token.length - KEY_CHARS) : token;
}

interface Entry {
  readonly token: string;
  readonly claims: JwtClaims;
  readonly validFrom: number;
  readonly validUntil: number;
  /** The ring slot that holds this entry's key; an old slot of a deleted or displaced entry no longer owns it. */
  readonly slot: number;
}

export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly slots: (string | null)[];
  private nextSlot = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.slots = new Array<string | null>(capacity).fill(null);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached claims of `token` at time `now` (seconds); INVALID when it was verified but is now outside its
   * validity window (an expired entry is dropped); undefined when the token is not cached.
   */
  find(token: string, now: number): JwtClaims | JwtFailure | undefined {
    const key = keyOf(token);
    const entry = this.entries.get(key);
    if (entry === undefined || entry.token !== token) return undefined;
    if (now >= entry.validFrom && now < entry.validUntil) return entry.claims;
    if (now >= entry.validUntil) this.entries.delete(key);
    return INVALID;
  }

  /** Stores verified claims valid in [validFrom, validUntil), evicting the oldest entry when full. */
  add(token: string, claims: JwtClaims, validFrom: number, validUntil: number): void {
    const slot = this.nextSlot;
    this.nextSlot = slot + 1 === this.capacity ? 0 : slot + 1;
    const previous = this.slots[slot]!;
    if (previous !== null && this.entries.get(previous)?.slot === slot) this.entries.delete(previous);
    const key = keyOf(token);
    this.slots[slot] = key;
    this.entries.set(key, { token, claims, validFrom, validUntil, slot });
  }
}
