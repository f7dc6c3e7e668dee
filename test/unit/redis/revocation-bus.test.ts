import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BroadcastingTokenStore } from '../../../src/store/redis/broadcasting-token-store.js';
import { RecentBlacklist } from '../../../src/store/redis/recent-blacklist.js';
import type { RedisLink } from '../../../src/store/redis/redis-link.js';
import { dispatch, RevocationBus, type RevocationEvents } from '../../../src/store/redis/revocation-bus.js';
import type { OutstandingToken, RotationOutcome, TokenStore } from '../../../src/store/types.js';
import { redisAvailable, startRedis, type RedisServer } from '../../support/redis-server.js';
import { openLink, until } from './redis-fixtures.js';

const skip = redisAvailable() ? false : 'redis-server is not installed';

class RecordingEvents implements RevocationEvents {
  readonly notBefores: [number, number][] = [];
  readonly blacklists: [string, number][] = [];
  resyncs = 0;
  notBefore(userId: number, epochSec: number): void {
    this.notBefores.push([userId, epochSec]);
  }
  blacklisted(jti: string, expiresAt: number): void {
    this.blacklists.push([jti, expiresAt]);
  }
  resync(): void {
    this.resyncs++;
  }
}

describe('revocation messages', () => {
  it('parses what it publishes and ignores anything malformed', () => {
    const events = new RecordingEvents();
    dispatch('n 42 1700000000', events);
    dispatch('b 1700086400 0123456789abcdef0123456789abcdef', events);
    for (const bad of [
      '',
      'n',
      'n 42',
      'n x 1',
      'n 42 1 2',
      'b',
      'b 1',
      'b x jti',
      'z 1 2',
      `b 1 ${'j'.repeat(256)}`,
    ])
      dispatch(bad, events);
    assert.deepEqual(events.notBefores, [[42, 1700000000]]);
    assert.deepEqual(events.blacklists, [['0123456789abcdef0123456789abcdef', 1700086400]]);
  });
});

describe('recently blacklisted jtis', () => {
  it('answers until the token expires, and stays bounded', () => {
    let now = 1000;
    const recent = new RecentBlacklist(8, () => now);
    recent.add('expired', 999);
    assert.equal(recent.has('expired'), false);
    recent.add('a', 2000);
    assert.equal(recent.has('a'), true);
    now = 2000;
    assert.equal(recent.has('a'), false, 'gone once the token has expired');
    for (let i = 0; i < 100; i++) recent.add(`j${i}`, 5000);
    assert.ok(recent.size <= 8);
    assert.equal(recent.has('j99'), true, 'the newest survive eviction');
  });
});

describe('the broadcasting token store', () => {
  it('publishes blacklistings and rotations, and answers known jtis without the database', async () => {
    const calls: string[] = [];
    const inner: TokenStore = {
      addOutstanding: (t: OutstandingToken) => void calls.push(`add ${t.jti}`),
      isBlacklisted: (jti: string) => (calls.push(`check ${jti}`), false),
      blacklist: (jti: string) => void calls.push(`blacklist ${jti}`),
      rotate: async (): Promise<RotationOutcome> => ({ kind: 'rotated' }),
      pruneExpired: () => 0,
    };
    const published: string[] = [];
    const store = new BroadcastingTokenStore(inner, new RecentBlacklist(), {
      publishBlacklisted: (jti) => void published.push(jti),
    });
    const exp = Math.floor(Date.now() / 1000) + 3600;
    await store.blacklist('one', 1, exp, 0);
    await store.rotate({ jti: 'two', userId: 1, expiresAt: exp }, null, {
      blacklistPresented: true,
      revokeFamilyOnReuse: true,
      now: 0,
    });
    await store.rotate({ jti: 'three', userId: 1, expiresAt: exp }, null, {
      blacklistPresented: false,
      revokeFamilyOnReuse: true,
      now: 0,
    });
    assert.deepEqual(published, ['one', 'two']);
    assert.equal(await store.isBlacklisted('one'), true);
    assert.equal(await store.isBlacklisted('two'), true);
    assert.equal(await store.isBlacklisted('three'), false);
    assert.deepEqual(
      calls.filter((c) => c.startsWith('check')),
      ['check three'],
      'only the unknown jti reached the database',
    );
  });
});

describe('revocation bus over Redis', { skip }, () => {
  let redis: RedisServer;
  let linkA: RedisLink;
  let linkB: RedisLink;

  before(async () => {
    redis = await startRedis();
    linkA = await openLink(redis.url);
    linkB = await openLink(redis.url);
  });

  after(async () => {
    await linkA?.close();
    await linkB?.close();
    await redis?.stop();
  });

  it('delivers one node’s revocations to the other, and asks for a resync after the subscription was lost', async () => {
    const channel = `test-revocations-${process.pid}`;
    const busA = new RevocationBus(redis.url, linkA, null, channel);
    const busB = new RevocationBus(redis.url, linkB, null, channel);
    const eventsB = new RecordingEvents();
    busB.subscribe(eventsB);
    assert.throws(() => busB.subscribe(eventsB), /already subscribed/);
    try {
      // The subscription is asynchronous: publish until the first message arrives.
      await until(() => {
        if (eventsB.notBefores.length === 0) busA.publishNotBefore(7, 1_700_000_000);
        return eventsB.notBefores.length > 0;
      }, 'the subscription');
      busA.publishBlacklisted('abc', 1_800_000_000);
      await until(() => eventsB.blacklists.length === 1, 'the blacklist message');
      assert.deepEqual(eventsB.blacklists, [['abc', 1_800_000_000]]);
      assert.equal(eventsB.resyncs, 0);

      await linkB.client.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
      await until(() => eventsB.resyncs === 1, 'the resync after reconnecting');
      const before = eventsB.notBefores.length;
      await until(() => {
        busA.publishNotBefore(8, 1_700_000_001);
        return eventsB.notBefores.some(([id]) => id === 8);
      }, 'messages after the reconnection');
      assert.ok(eventsB.notBefores.length > before);
    } finally {
      await busA.close();
      await busB.close();
    }
  });
});
