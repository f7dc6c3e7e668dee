import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { lowerHashingPriority } from '../../../src/cluster/hashing-priority.js';

function niceOf(tid: string): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

describe('hashing thread priority', () => {
  it(
    'renices exactly the libuv pool threads, not the event loop',
    { skip: process.platform !== 'linux' },
    async () => {
      const result = await lowerHashingPriority(7);
      assert.ok(result.reniced >= 1 && result.reniced <= result.poolSize, JSON.stringify(result));
      const niced = readdirSync('/proc/self/task').filter((tid) => niceOf(tid) === 7);
      assert.equal(niced.length, result.reniced);
      assert.ok(!niced.includes(String(process.pid)), 'the main thread keeps its priority');
    },
  );
});
