/**
 * The token store as the token service sees it on a node that shares revocations through Redis: the
 * database's store (the source of truth, atomic rotation), plus
 *  - every blacklisting (explicit, or the presented token of a rotation) is published on the revocation bus;
 *  - `isBlacklisted` first looks in the jtis heard from the bus, so a replayed token is refused without a
 *    database read.
 */
import { thenMaybe, type MaybePromise } from '../../pipeline/types.js';
import type { OutstandingToken, RotationOutcome, TokenStore } from '../types.js';
import type { RecentBlacklist } from './recent-blacklist.js';

export interface BlacklistPublisher {
  publishBlacklisted(jti: string, expiresAt: number): void;
}

export class BroadcastingTokenStore implements TokenStore {
  constructor(
    private readonly inner: TokenStore,
    private readonly recent: RecentBlacklist,
    private readonly bus: BlacklistPublisher,
  ) {}

  addOutstanding(token: OutstandingToken): MaybePromise<void> {
    return this.inner.addOutstanding(token);
  }

  isBlacklisted(jti: string): MaybePromise<boolean> {
    if (this.recent.has(jti)) return true;
    return this.inner.isBlacklisted(jti);
  }

  blacklist(jti: string, userId: number | null, expiresAt: number, now: number): MaybePromise<void> {
    return thenMaybe(this.inner.blacklist(jti, userId, expiresAt, now), () => this.announce(jti, expiresAt));
  }

  rotate(
    presented: { jti: string; userId: number | null; expiresAt: number },
    issued: OutstandingToken | null,
    options: { blacklistPresented: boolean; revokeFamilyOnReuse: boolean; now: number },
  ): MaybePromise<RotationOutcome> {
    return thenMaybe(this.inner.rotate(presented, issued, options), (outcome) => {
      if (outcome.kind === 'rotated' && options.blacklistPresented)
        this.announce(presented.jti, presented.expiresAt);
      return outcome;
    });
  }

  pruneExpired(now: number): MaybePromise<number> {
    return this.inner.pruneExpired(now);
  }

  private announce(jti: string, expiresAt: number): void {
    this.recent.add(jti, expiresAt);
    this.bus.publishBlacklisted(jti, expiresAt);
  }
}
