import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limitHashingConcurrency } from '../../../src/auth/passwords/hashing-queue.js';
import type { PasswordHasher } from '../../../src/auth/passwords/index.js';

/** A hasher whose calls finish when the test says so, recording how many run at once. */
function controllableHasher(): {
  hasher: PasswordHasher;
  finishNext(): void;
  running: () => number;
  peak: () => number;
  started: () => number;
} {
  let running = 0;
  let peak = 0;
  let started = 0;
  const pending: (() => void)[] = [];
  const work = <T>(value: T): Promise<T> => {
    running++;
    started++;
    peak = Math.max(peak, running);
    return new Promise<T>((resolve) => pending.push(() => (running--, resolve(value))));
  };
  return {
    hasher: {
      hash: () => work('hash'),
      verify: () => work(true),
      verifyDummy: () => work(false as const),
      needsRehash: () => false,
    },
    finishNext: () => pending.shift()?.(),
    running: () => running,
    peak: () => peak,
    started: () => started,
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('hashing queue', () => {
  it('runs at most `limit` hashes at once and serves the rest in order', async () => {
    const c = controllableHasher();
    const limited = limitHashingConcurrency(c.hasher, 2);
    const results = [
      limited.verify('a', 'b'),
      limited.hash('x'),
      limited.verifyDummy('y'),
      limited.verify('c', 'd'),
    ];
    await tick();
    assert.equal(c.running(), 2);
    for (let i = 0; i < 4; i++) {
      c.finishNext();
      await tick();
    }
    assert.deepEqual(await Promise.all(results), [true, 'hash', false, true]);
    assert.equal(c.peak(), 2);
    assert.equal(c.started(), 4);
  });

  it('releases its slot when a hash fails', async () => {
    const failing: PasswordHasher = {
      hash: () => Promise.reject(new Error('boom')),
      verify: async () => true,
      verifyDummy: async () => false,
      needsRehash: () => false,
    };
    const limited = limitHashingConcurrency(failing, 1);
    await assert.rejects(limited.hash('x'), /boom/);
    assert.equal(await limited.verify('a', 'b'), true);
  });

  it('leaves the hasher alone with no limit', () => {
    const c = controllableHasher();
    assert.equal(limitHashingConcurrency(c.hasher, 0), c.hasher);
  });
});
