/**
 * The state every worker of one server shares, in shared memory owned by the supervisor: the throttle counters
 * (exact across workers, surviving worker restarts) and the users' "not before" revocation times. The
 * supervisor creates the regions and hands workers a plain-JSON descriptor; workers map them.
 *
 * The throttle region is laid out for the configured rules (rates and capacity). A reload that changes them
 * needs a region of the new layout: the supervisor then starts a new *generation* of the throttle region for
 * the new workers (their counters start from zero) and unlinks the old one once the reload is done; workers of
 * the old generation keep their mapping until they exit. The revocation region never changes generation:
 * forgetting revocations would let revoked tokens back in.
 *
 * With GATEHOUSE_REDIS_URL the throttle counters live in Redis, shared by every node, and revocations also
 * travel between nodes through Redis (src/store/redis/): workers then take their throttle rules from the
 * region's descriptor (it follows reloads) but decide in Redis, so the region is created with the smallest
 * capacity. The Redis settings are read at start (a reload keeps them).
 */
import type { SharedState } from '../app/build-app.js';
import type { Config } from '../config/config-types.js';
import { throttleRulesOf } from '../policies/throttles.js';
import {
  attachUserRevocations,
  createInProcessUserRevocations,
  createUserRevocationRegion,
  type UserRevocationDescriptor,
  type UserRevocationRegion,
} from '../store/shared/user-revocations.js';
import { createInProcessThrottleStore } from '../store/throttle/in-process-throttle-store.js';
import {
  attachShmThrottleStore,
  createShmThrottleRegion,
  type ShmThrottleDescriptor,
  type ShmThrottleRegion,
} from '../store/throttle/shm-throttle-store.js';
import {
  attachRedisSharing,
  redisSharingOf,
  type RedisSharingDescriptor,
} from '../store/redis/redis-sharing.js';

export interface SharedStateDescriptor {
  readonly throttle: ShmThrottleDescriptor;
  readonly revocations: UserRevocationDescriptor;
  /** Set when throttle counters and revocations are shared with other nodes through Redis. */
  readonly redis: RedisSharingDescriptor | null;
}

/** One layout of the throttle region: the rules and capacity it was created for. */
interface ThrottleGeneration {
  readonly layout: string;
  readonly region: ShmThrottleRegion;
}

/** Revocations must be remembered at least as long as any token they refuse can live. */
function retentionOf(config: Config): number {
  return (
    Math.max(config.tokens.accessLifetimeSec, config.tokens.refreshLifetimeSec) + config.tokens.leewaySec + 60
  );
}

/** What the throttle region's layout depends on: the rules (scope, limit, period, id) and the capacity. */
export function throttleLayoutOf(config: Config): string {
  return JSON.stringify([
    config.throttle.capacity,
    throttleRulesOf(config.throttle).map((r) => [r.scope, r.limit, r.periodMs, r.id]),
  ]);
}

/** The supervisor's side: creates, re-lays-out and finally destroys the shared regions. */
export class SharedRegions {
  private readonly revocations: UserRevocationRegion;
  private readonly revocationRetentionSec: number;
  private readonly redis: RedisSharingDescriptor | null;
  private current: ThrottleGeneration;
  /** The generation a reload in progress replaces; kept until the reload commits or rolls back. */
  private previous: ThrottleGeneration | null = null;

  constructor(config: Config) {
    this.current = newGeneration(config);
    this.redis = redisSharingOf(config);
    this.revocationRetentionSec = retentionOf(config);
    try {
      this.revocations = createUserRevocationRegion({ retentionSec: this.revocationRetentionSec });
    } catch (error) {
      this.current.region.destroy();
      throw error;
    }
  }

  get descriptor(): SharedStateDescriptor {
    return {
      throttle: this.current.region.descriptor,
      revocations: this.revocations.descriptor,
      redis: this.redis,
    };
  }

  /**
   * Prepares the regions for a reload to `config`. Returns what changed, for the log. The change is undone by
   * rollback() or made final by commit().
   */
  prepare(config: Config): { throttleCountersReset: boolean; revocationRetentionTooShort: boolean } {
    const layout = throttleLayoutOf(config);
    const throttleCountersReset = layout !== this.current.layout;
    if (throttleCountersReset) {
      this.previous = this.current;
      this.current = newGeneration(config);
    }
    return {
      throttleCountersReset,
      revocationRetentionTooShort: retentionOf(config) > this.revocationRetentionSec,
    };
  }

  /** The reload succeeded: the old generation's name is unlinked (its workers keep their mapping until they exit). */
  commit(): void {
    this.previous?.region.destroy();
    this.previous = null;
  }

  /** The reload failed: back to the generation the running workers use. */
  rollback(): void {
    if (this.previous === null) return;
    this.current.region.destroy();
    this.current = this.previous;
    this.previous = null;
  }

  destroy(): void {
    this.previous?.region.destroy();
    this.current.region.destroy();
    this.revocations.destroy();
  }
}

function newGeneration(config: Config): ThrottleGeneration {
  return {
    layout: throttleLayoutOf(config),
    // With Redis the region only carries the rules to the workers: the smallest table (8 keys) per rule.
    region: createShmThrottleRegion(throttleRulesOf(config.throttle), {
      capacity: config.redisUrl === null ? config.throttle.capacity : 8,
    }),
  };
}

/** The worker's side: maps the regions the supervisor described. */
export function attachSharedState(descriptor: SharedStateDescriptor): SharedState {
  // `?? null`: a descriptor from a supervisor of an older release has no `redis` at all.
  const sharing = descriptor.redis ?? null;
  if (sharing !== null) {
    const redis = attachRedisSharing(sharing, descriptor.throttle.tables);
    return {
      throttleStore: redis.throttleStore,
      throttleStoreIsSynchronous: false,
      revocations: attachUserRevocations(descriptor.revocations),
      redis,
    };
  }
  return {
    throttleStore: attachShmThrottleStore(descriptor.throttle),
    throttleStoreIsSynchronous: true,
    revocations: attachUserRevocations(descriptor.revocations),
  };
}

/** The same state in process memory: for a single-process server embedded in tests or benchmarks. */
export function inProcessSharedState(config: Config): SharedState {
  return {
    throttleStore: createInProcessThrottleStore(throttleRulesOf(config.throttle), {
      capacity: config.throttle.capacity,
    }),
    throttleStoreIsSynchronous: true,
    revocations: createInProcessUserRevocations({ retentionSec: retentionOf(config) }),
  };
}
