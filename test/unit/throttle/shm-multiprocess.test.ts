import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  attachShmThrottleStore,
  createShmThrottleRegion,
  type ShmThrottleRegion,
} from '../../../src/store/throttle/shm-throttle-store.js';
import { newThrottleOutcome, type ThrottleRule } from '../../../src/store/throttle/throttle-store.js';
import { Child } from './child-processes.js';

const bucketed: ThrottleRule = { scope: 'user', limit: 1234, periodMs: 60_000, id: 0 };
const exact: ThrottleRule = { scope: 'limited', limit: 50, periodMs: 60_000, id: 1 };
const huge: ThrottleRule = { scope: 'huge', limit: 1_000_000, periodMs: 86_400_000, id: 2 };
const RULES = [bucketed, exact, huge];

/** A descriptor as a worker receives it: through JSON (an environment variable). */
const overTheWire = (region: ShmThrottleRegion): unknown => JSON.parse(JSON.stringify(region.descriptor));

async function startChildren(count: number, region: ShmThrottleRegion): Promise<Child[]> {
  const children = Array.from({ length: count }, () => Child.start());
  await Promise.all(children.map((child) => child.send({ op: 'attach', throttle: overTheWire(region) })));
  return children;
}

async function hammer(
  children: readonly Child[],
  rule: ThrottleRule,
  keys: string | readonly string[],
  hitsEach: number,
): Promise<{ admitted: number; takeovers: number; evictions: number }> {
  const startAt = Date.now() + 300;
  const keyList = typeof keys === 'string' ? [keys] : keys;
  const replies = await Promise.all(
    children.map((child) => child.send({ op: 'hammer', rule, keys: keyList, hits: hitsEach, startAt })),
  );
  let admitted = 0;
  let takeovers = 0;
  let evictions = 0;
  for (const reply of replies) {
    assert.equal(reply.op, 'hammered');
    if (reply.op === 'hammered') {
      admitted += reply.admitted;
      takeovers = Math.max(takeovers, reply.takeovers);
      evictions = Math.max(evictions, reply.evictions);
    }
  }
  return { admitted, takeovers, evictions };
}

describe('shared-memory throttle store across processes', () => {
  let region: ShmThrottleRegion;
  let children: Child[] = [];

  before(async () => {
    region = createShmThrottleRegion(RULES, { capacity: 1024 });
    children = await startChildren(4, region);
  });

  after(async () => {
    await Promise.all(children.map((child) => child.stop()));
    region.destroy();
  });

  it('admits exactly 1,234 of 10,000 hits on one key from 4 processes (bucketed mode)', async () => {
    const { admitted } = await hammer(children, bucketed, 'user:1', 2_500);
    assert.equal(admitted, 1_234);
  });

  it('admits exactly 50 of 10,000 hits on one key from 4 processes (exact mode)', async () => {
    const { admitted } = await hammer(children, exact, 'user:1', 2_500);
    assert.equal(admitted, 50);
  });

  it('is exact per key when 4 processes spread 40,000 hits over 300 keys (both group choices, every lock order)', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `ip:192.0.2.${i}`);
    const { admitted, evictions } = await hammer(children, exact, keys, 10_000);
    assert.equal(evictions, 0);
    assert.equal(admitted, 300 * 50);
  });

  it('loses no update under contention: 200,000 admissions leave exactly 799,999 after one more', async () => {
    const { admitted } = await hammer(children, huge, 'shared', 50_000);
    assert.equal(admitted, 200_000);
    const store = attachShmThrottleStore(overTheWire(region));
    const out = newThrottleOutcome();
    store.hit(huge, 'shared', Date.now(), out);
    store.close();
    assert.equal(out.remaining, 1_000_000 - 200_001);
  });

  it('keeps counting when a worker is replaced: a new process sees the same counters', async () => {
    const store = attachShmThrottleStore(overTheWire(region));
    const out = newThrottleOutcome();
    store.hit(exact, 'user:1', Date.now(), out);
    assert.equal(out.admitted, false);
    store.hit(bucketed, 'user:1', Date.now(), out);
    assert.equal(out.admitted, false);
    store.close();
  });

  it('survives a process killed with SIGKILL while it holds a lock', async () => {
    const holder = Child.start();
    await holder.send({ op: 'attach', throttle: overTheWire(region) });
    await holder.send({ op: 'hold-lock', rule: exact, key: 'victim' });
    await holder.kill();
    const { admitted, takeovers } = await hammer(children.slice(0, 2), exact, 'victim', 500);
    assert.equal(admitted, 50);
    assert.ok(takeovers >= 1);
  });

  it('detects a killed holder even before its parent has reaped it (a zombie)', async () => {
    const holder = Child.start();
    await holder.send({ op: 'attach', throttle: overTheWire(region) });
    await holder.send({ op: 'hold-lock', rule: exact, key: 'zombie' });
    // This process is the parent and decides synchronously right away, so it cannot reap the child meanwhile;
    // with the live-owner fallback set to ten minutes, only zombie detection can let this hit finish.
    const store = attachShmThrottleStore(overTheWire(region), {
      lockPolicy: { spins: 64, sleepMs: 0.05, stealFromLiveOwnerAfterMs: 600_000 },
    });
    const out = newThrottleOutcome();
    process.kill(holder.pid, 'SIGKILL');
    store.hit(exact, 'zombie', Date.now(), out);
    assert.equal(out.admitted, true);
    assert.ok(store.stats().lockTakeovers >= 2);
    store.close();
    await holder.exited;
  });

  it('refuses descriptors that do not match the region', () => {
    const descriptor = overTheWire(region) as { tables: { limit: number }[]; name: string };
    assert.throws(
      () => attachShmThrottleStore({ ...descriptor, name: '/gatehouse-1-throttle-00000000' }),
      /does not exist/,
    );
    assert.throws(
      () => attachShmThrottleStore({ ...descriptor, name: '../etc/passwd' }),
      /not a throttle region descriptor/,
    );
    assert.throws(
      () => attachShmThrottleStore({ ...descriptor, tables: descriptor.tables.slice(0, 2) }),
      /does not match/,
    );
    assert.throws(() => attachShmThrottleStore(null), /not a throttle region descriptor/);
  });
});

describe('shared-memory object lifecycle', () => {
  it('unlinks the object on destroy', () => {
    const region = createShmThrottleRegion([exact], { capacity: 8 });
    const file = `/dev/shm${region.descriptor.name}`;
    if (existsSync('/dev/shm')) assert.ok(existsSync(file));
    region.destroy();
    assert.equal(existsSync(file), false);
    assert.throws(() => attachShmThrottleStore(region.descriptor), /does not exist/);
  });

  it(
    'sweeps the objects of a supervisor killed with SIGKILL at the next start',
    { skip: !existsSync('/dev/shm') },
    async () => {
      const supervisor = Child.start();
      const created = await supervisor.send({ op: 'create-region', rules: [exact] });
      assert.equal(created.op, 'created');
      const name = (created as { descriptor: { name: string } }).descriptor.name;
      await supervisor.kill();
      assert.ok(existsSync(`/dev/shm${name}`), 'a killed supervisor cannot clean up');
      const region = createShmThrottleRegion([exact], { capacity: 8 });
      assert.ok(region.sweptStale.includes(name));
      assert.equal(existsSync(`/dev/shm${name}`), false);
      region.destroy();
    },
  );
});
