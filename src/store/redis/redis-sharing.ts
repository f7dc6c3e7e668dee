/**
 * Everything a worker shares with the other nodes through Redis, assembled from the plain-JSON descriptor the
 * supervisor hands it (src/cluster/shared-state.ts): the throttle store, the revocation bus, and the token
 * store wrapper that publishes blacklistings. One command connection (throttle decisions and publishing) and
 * one subscriber connection per worker.
 */
import type { Config } from '../../config/config-types.js';
import type { Logger } from '../../log/logger.js';
import type { ThrottleOutcome, ThrottleRule } from '../throttle/throttle-store.js';
import type { TokenStore } from '../types.js';
import { BroadcastingTokenStore } from './broadcasting-token-store.js';
import { failurePolicyOf } from './failure-policy.js';
import { RecentBlacklist } from './recent-blacklist.js';
import { RedisLink } from './redis-link.js';
import { RedisThrottleStore } from './redis-throttle-store.js';
import { RevocationBus } from './revocation-bus.js';
import { THROTTLE_SCRIPT } from './throttle-script.js';

/** What the supervisor passes to workers (plain JSON, like the shared-memory descriptors). */
export interface RedisSharingDescriptor {
  readonly url: string;
  readonly timeoutMs: number;
  readonly failClosedScopes: readonly string[];
}

/** What the worker's application applies when another node revokes something. */
export interface RevocationTarget {
  /** Records a user's "not before" for every worker of this node (shared memory). */
  setNotBefore(userId: number, epochSec: number): void;
  /** Drops the cached user, so the next request reads it again. */
  invalidateUser(userId: number): void;
  /** Drops every cached user (messages may have been missed). */
  clearUsers(): void;
}

export class RedisSharing {
  readonly throttleStore: RedisThrottleStore;
  private readonly link: RedisLink;
  private readonly bus: RevocationBus;
  private readonly recent = new RecentBlacklist();

  /** `logger` may come later, with attach(): outages before it are counted, not logged. */
  constructor(
    descriptor: RedisSharingDescriptor,
    rules: readonly ThrottleRule[],
    logger: Logger | null = null,
  ) {
    this.link = new RedisLink({
      url: descriptor.url,
      clientName: 'gatehouse-throttle',
      timeoutMs: descriptor.timeoutMs,
      logger,
      what: 'throttle store',
      // Redis forgets scripts when it restarts: load it again before decisions flow (EVAL covers any race).
      onReady: (client) =>
        void client.sendCommand(['SCRIPT', 'LOAD', THROTTLE_SCRIPT]).catch(() => undefined),
    });
    this.throttleStore = new RedisThrottleStore(this.link, rules, {
      failurePolicy: failurePolicyOf(descriptor.failClosedScopes),
    });
    this.bus = new RevocationBus(descriptor.url, this.link, logger);
  }

  /** The database's token store, publishing its blacklistings and answering known ones from memory. */
  wrapTokenStore(tokens: TokenStore): TokenStore {
    return new BroadcastingTokenStore(tokens, this.recent, this.bus);
  }

  publishNotBefore(userId: number, epochSec: number): void {
    this.bus.publishNotBefore(userId, epochSec);
  }

  /** Starts applying every node's revocations to this worker, and logging through the worker's logger. */
  attach(target: RevocationTarget, logger: Logger): void {
    this.link.outage.useLogger(logger);
    this.bus.outage.useLogger(logger);
    this.bus.subscribe({
      notBefore: (userId, epochSec) => {
        target.setNotBefore(userId, epochSec);
        target.invalidateUser(userId);
      },
      blacklisted: (jti, expiresAt) => this.recent.add(jti, expiresAt),
      resync: () => target.clearUsers(),
    });
  }

  /** True when the login throttle's refusal came from the failure policy (Redis unreachable): answer 503. */
  refusedByPolicy(out: ThrottleOutcome): boolean {
    return this.throttleStore.refusedByPolicy(out);
  }

  async close(): Promise<void> {
    await this.bus.close();
    await this.link.close();
  }
}

/** The worker's side: connects to Redis for the throttle `rules` (those of the shared-memory descriptor). */
export function attachRedisSharing(
  descriptor: RedisSharingDescriptor,
  rules: readonly ThrottleRule[],
): RedisSharing {
  return new RedisSharing(descriptor, rules);
}

/** The supervisor's side: what workers need to share state through Redis, or null without GATEHOUSE_REDIS_URL. */
export function redisSharingOf(config: Config): RedisSharingDescriptor | null {
  if (config.redisUrl === null) return null;
  return {
    url: config.redisUrl,
    timeoutMs: config.redisTimeoutMs,
    failClosedScopes: config.throttleFailClosed,
  };
}
