/**
 * The state every worker of one server shares, in shared memory owned by the supervisor: the throttle counters
 * (exact across workers, surviving worker restarts) and the users' "not before" revocation times. The
 * supervisor creates both regions and hands workers a plain-JSON descriptor; workers map them.
 */
import type { SharedState } from '../app/build-app.js';
import type { Config } from '../config/config-types.js';
import { throttleRulesOf } from '../policies/throttles.js';
import { attachUserRevocations, createInProcessUserRevocations, createUserRevocationRegion, type UserRevocationDescriptor } from '../store/shared/user-revocations.js';
import { createInProcessThrottleStore } from '../store/throttle/in-process-throttle-store.js';
import { attachShmThrottleStore, createShmThrottleRegion, type ShmThrottleDescriptor } from '../store/throttle/shm-throttle-store.js';

export interface SharedStateDescriptor {
  readonly throttle: ShmThrottleDescriptor;
  readonly revocations: UserRevocationDescriptor;
  /** The rates the throttle region was laid out for (a reload with other rates needs a new region). */
  readonly rates: string;
}

export interface SharedStateHandle {
  readonly descriptor: SharedStateDescriptor;
  destroy(): void;
}

/** Revocations must be remembered at least as long as any token they refuse can live. */
function retentionOf(config: Config): number {
  return Math.max(config.tokens.accessLifetimeSec, config.tokens.refreshLifetimeSec) + config.tokens.leewaySec + 60;
}

export function ratesSignature(config: Config): string {
  return JSON.stringify(throttleRulesOf(config.throttle).map((r) => [r.scope, r.limit, r.periodMs]));
}

export function createSharedState(config: Config): SharedStateHandle {
  const throttle = createShmThrottleRegion(throttleRulesOf(config.throttle), { capacity: config.throttle.capacity });
  const revocations = createUserRevocationRegion({ retentionSec: retentionOf(config) });
  return {
    descriptor: { throttle: throttle.descriptor, revocations: revocations.descriptor, rates: ratesSignature(config) },
    destroy() {
      throttle.destroy();
      revocations.destroy();
    },
  };
}

export function attachSharedState(descriptor: SharedStateDescriptor): SharedState {
  return {
    throttleStore: attachShmThrottleStore(descriptor.throttle),
    throttleStoreIsSynchronous: true,
    revocations: attachUserRevocations(descriptor.revocations),
  };
}

/** The same state in process memory: for a single-process server embedded in tests or benchmarks. */
export function inProcessSharedState(config: Config): SharedState {
  return {
    throttleStore: createInProcessThrottleStore(throttleRulesOf(config.throttle), { capacity: config.throttle.capacity }),
    throttleStoreIsSynchronous: true,
    revocations: createInProcessUserRevocations({ retentionSec: retentionOf(config) }),
  };
}
