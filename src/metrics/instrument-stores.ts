/**
 * Database timings: wraps each store so that every call records its duration in
 * `gatehouse_db_query_seconds{store, operation}`. The SQLite store answers synchronously, so a call is timed
 * around the statement itself; a networked store's promise is timed until it settles. The per-connection
 * duties (ping, changeCounter polled every 100 ms by the user cache, checkpoint, watchChanges) are passed
 * through untimed.
 */
import type { Registry } from 'prom-client';
import type { Stores } from '../store/types.js';
import { DATABASE_SECONDS_BUCKETS, SlotHistogram, type LabelSet } from './slot-metrics.js';

const TIMED_STORES = ['users', 'tokens', 'notes', 'apiKeys'] as const;

export function instrumentStores(stores: Stores, registry: Registry): Stores {
  const slots: LabelSet[] = [];
  const plans = TIMED_STORES.map((store) => {
    const target = stores[store] as unknown as Record<string, unknown>;
    const operations = methodNames(target).map((operation) => {
      slots.push({ store, operation });
      return { operation, slot: slots.length - 1 };
    });
    return { store, target, operations };
  });
  const histogram = new SlotHistogram({
    name: 'gatehouse_db_query_seconds',
    help: 'Duration of store calls (one SQL statement or transaction each), by store and operation.',
    buckets: DATABASE_SECONDS_BUCKETS,
    slots,
    registry,
  });
  const [users, tokens, notes, apiKeys] = plans.map(({ target, operations }) => {
    const timed: Record<string, unknown> = {};
    for (const { operation, slot } of operations)
      timed[operation] = timeCalls(target, target[operation] as AnyFunction, histogram, slot);
    return timed;
  });
  return {
    users: users as unknown as Stores['users'],
    tokens: tokens as unknown as Stores['tokens'],
    notes: notes as unknown as Stores['notes'],
    apiKeys: apiKeys as unknown as Stores['apiKeys'],
    ping: () => stores.ping(),
    changeCounter: () => stores.changeCounter(),
    checkpoint: () => stores.checkpoint(),
    close: () => stores.close(),
    ...(stores.watchChanges === undefined ? {} : { watchChanges: stores.watchChanges.bind(stores) }),
  };
}

type AnyFunction = (...args: unknown[]) => unknown;

/** The public methods of a store object (its class's prototype methods and its own function properties). */
function methodNames(target: Record<string, unknown>): string[] {
  const names = new Set<string>();
  for (const name of Object.keys(target)) if (typeof target[name] === 'function') names.add(name);
  const proto = Object.getPrototypeOf(target) as object | null;
  if (proto !== null && proto !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== 'constructor' && typeof (proto as Record<string, unknown>)[name] === 'function')
        names.add(name);
    }
  }
  return [...names].sort();
}

function timeCalls(target: object, method: AnyFunction, histogram: SlotHistogram, slot: number): AnyFunction {
  return (...args: unknown[]): unknown => {
    const started = performance.now();
    const result = method.apply(target, args);
    if (result instanceof Promise) {
      const observe = (): void => histogram.observe(slot, (performance.now() - started) / 1000);
      result.then(observe, observe);
      return result;
    }
    histogram.observe(slot, (performance.now() - started) / 1000);
    return result;
  };
}
