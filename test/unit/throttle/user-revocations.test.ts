import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  attachUserRevocations,
  createInProcessUserRevocations,
  createUserRevocationRegion,
} from '../../../src/store/shared/user-revocations.js';
import { Child } from './child-processes.js';

const NOW = 1_700_000_000;

describe('user revocation map', () => {
  it('answers 0 for unknown users and keeps the latest "not before"', () => {
    const map = createInProcessUserRevocations({ retentionSec: 86_400 });
    assert.equal(map.notBefore(1), 0);
    const start = map.generation();
    assert.equal(map.setNotBefore(1, NOW), true);
    assert.equal(map.notBefore(1), NOW);
    assert.equal(map.setNotBefore(1, NOW - 10), false, 'an older time does not lower it');
    assert.equal(map.notBefore(1), NOW);
    assert.equal(map.generation(), start + 1, 'no change, no new generation');
    assert.equal(map.setNotBefore(1, NOW + 5), true);
    assert.equal(map.notBefore(1), NOW + 5);
    assert.equal(map.generation(), start + 2);
    assert.equal(map.notBefore(2), 0);
  });

  it('holds ids up to 2^53 - 1 exactly', () => {
    const map = createInProcessUserRevocations({ retentionSec: 86_400, capacity: 16 });
    const big = Number.MAX_SAFE_INTEGER;
    map.setNotBefore(big, NOW);
    map.setNotBefore(big - 1, NOW + 1);
    map.setNotBefore(0, NOW + 2);
    assert.equal(map.notBefore(big), NOW);
    assert.equal(map.notBefore(big - 1), NOW + 1);
    assert.equal(map.notBefore(0), NOW + 2);
    assert.equal(map.notBefore(2 ** 32), 0);
  });

  it('refuses bad input', () => {
    const map = createInProcessUserRevocations({ retentionSec: 60 });
    assert.throws(() => map.setNotBefore(-1, NOW), RangeError);
    assert.throws(() => map.setNotBefore(1.5, NOW), RangeError);
    assert.throws(() => map.setNotBefore(2 ** 53, NOW), RangeError);
    assert.throws(() => map.setNotBefore(1, 0), RangeError);
    assert.throws(() => map.setNotBefore(1, Number.NaN), RangeError);
    assert.throws(() => createInProcessUserRevocations({ retentionSec: 0 }), RangeError);
    map.close();
    assert.throws(() => map.notBefore(1), /closed/);
  });

  it('drops entries older than the retention when it fills up, and forgets nobody within it', () => {
    let now = NOW;
    const map = createInProcessUserRevocations({ retentionSec: 1_000, capacity: 64, nowSec: () => now });
    for (let id = 1; id <= 40; id++) map.setNotBefore(id, now - 5_000); // moot: tokens that old have expired
    for (let id = 101; id <= 140; id++) {
      now += 1;
      map.setNotBefore(id, now);
    }
    for (let id = 101; id <= 140; id++) assert.equal(map.notBefore(id), NOW + id - 100, `user ${id}`);
    assert.equal(map.stats().floor, 0, 'no recent revocation had to be dropped');
    assert.ok(map.stats().entries <= 48);
  });

  it('fails closed when more users are revoked within the retention than it can hold', () => {
    const map = createInProcessUserRevocations({
      retentionSec: 86_400,
      capacity: 16,
      nowSec: () => NOW + 100,
    });
    for (let id = 1; id <= 40; id++) map.setNotBefore(id, NOW + id);
    // Every revoked user is still refused at least up to their own time...
    for (let id = 1; id <= 40; id++) assert.ok(map.notBefore(id) >= NOW + id, `user ${id}`);
    // ...because the oldest entries were folded into a floor that applies to everyone.
    const floor = map.stats().floor;
    assert.ok(floor > NOW && floor < NOW + 40);
    assert.equal(map.notBefore(999), floor);
    assert.equal(map.setNotBefore(998, floor - 1), false, 'below the floor: nothing to add');
  });

  it('publishes across processes on the very next read', async () => {
    const region = createUserRevocationRegion({ retentionSec: 86_400, capacity: 1024 });
    const descriptor = JSON.parse(JSON.stringify(region.descriptor)) as unknown;
    const here = attachUserRevocations(descriptor);
    const children = [Child.start(), Child.start()];
    try {
      await Promise.all(children.map((child) => child.send({ op: 'attach', revocations: descriptor })));
      const generation = here.generation();
      await children[0]!.send({ op: 'set-not-before', userId: 42, epochSec: NOW });
      assert.equal(here.notBefore(42), NOW, 'written by another process, read here');
      assert.notEqual(here.generation(), generation);
      here.setNotBefore(Number.MAX_SAFE_INTEGER, NOW + 1);
      const seen = await children[1]!.send({ op: 'not-before', userId: Number.MAX_SAFE_INTEGER });
      assert.deepEqual(seen, { op: 'value', value: NOW + 1, generation: here.generation() });
      const other = await children[1]!.send({ op: 'not-before', userId: 42 });
      assert.equal(other.op === 'value' && other.value, NOW);
    } finally {
      await Promise.all(children.map((child) => child.stop()));
      here.close();
      region.destroy();
    }
  });
});
