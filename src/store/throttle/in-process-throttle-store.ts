/**
 * The shared-memory store's code over ordinary process memory: for a single-process server, the CLI and tests.
 * Decisions are identical to the cluster store's (same tables, same hashing); only nothing is shared.
 */
import { computeRegionLayout, tableSpecsFor } from './region-layout.js';
import {
  ShmThrottleStore,
  capacityChooser,
  writeHeader,
  type StoreOptions,
  type ThrottleRegionOptions,
} from './shm-throttle-store.js';
import type { ThrottleRule } from './throttle-store.js';
import { DEFAULT_LOCK_POLICY } from '../shared/spin-lock.js';

export function createInProcessThrottleStore(
  rules: readonly ThrottleRule[],
  options: ThrottleRegionOptions & StoreOptions = {},
): ShmThrottleStore {
  const layout = computeRegionLayout(tableSpecsFor(rules, capacityChooser(options)));
  const buffer = new ArrayBuffer(layout.byteLength);
  writeHeader(buffer, layout);
  return new ShmThrottleStore(buffer, layout, options.lockPolicy ?? DEFAULT_LOCK_POLICY, () => undefined);
}
