/**
 * Client addresses and throttle buckets behind (or without) a proxy, against the real cluster: a client that is
 * not a trusted proxy cannot pick its anonymous throttle bucket with X-Forwarded-For; behind a trusted proxy
 * (trustedProxies 127.0.0.1/32) the forwarded client address is the bucket, and what a client prepended to the
 * header is never reached.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGatehouse, type GatehouseProcess } from '../support/gatehouse-process.js';
import { request } from '../support/http.js';
import { assertThrottled, throttleRates } from '../support/pipeline-fixtures.js';

const RATES = throttleRates({ anon: '3/min' });

const publicFrom = (server: GatehouseProcess, forwardedFor?: string) =>
  request(
    `${server.url}/api/public/`,
    forwardedFor === undefined ? {} : { headers: { 'x-forwarded-for': forwardedFor } },
  );

describe('X-Forwarded-For and throttle buckets', () => {
  let untrusted: GatehouseProcess;
  let behindProxy: GatehouseProcess;

  before(async () => {
    [untrusted, behindProxy] = await Promise.all([
      startGatehouse({ workers: 2, env: { GATEHOUSE_THROTTLE_RATES: RATES } }),
      startGatehouse({
        workers: 2,
        env: { GATEHOUSE_THROTTLE_RATES: RATES, GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1/32' },
      }),
    ]);
  });
  after(() => Promise.all([untrusted?.stop(), behindProxy?.stop()]));

  it('from a peer that is not a trusted proxy, a spoofed X-Forwarded-For does not pick a bucket', async () => {
    // Every request claims another client; all of them land in the peer's bucket (anon 3/min).
    const answers = [];
    for (const address of ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5']) {
      answers.push(await publicFrom(untrusted, address));
    }
    assert.deepEqual(
      answers.slice(0, 3).map((r) => r.status),
      [200, 200, 200],
    );
    assertThrottled(answers[3]!, 60);
    assertThrottled(answers[4]!, 60);
    assertThrottled(await publicFrom(untrusted), 60);
  });

  it('from a trusted proxy, the forwarded client address is the bucket', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await publicFrom(behindProxy, '198.51.100.1')).status, 200);
    assertThrottled(await publicFrom(behindProxy, '198.51.100.1'), 60);
    // Another client behind the proxy has its own bucket, and so has the proxy itself.
    assert.equal((await publicFrom(behindProxy, '198.51.100.2')).status, 200);
    assert.equal((await publicFrom(behindProxy)).status, 200);
    // A client prepending addresses to the header still lands in its own bucket: the walk from the right stops
    // at the first untrusted address, the one the proxy appended.
    assertThrottled(await publicFrom(behindProxy, '203.0.113.50, 198.51.100.1'), 60);
    assertThrottled(await publicFrom(behindProxy, '203.0.113.51,198.51.100.1'), 60);
  });
});
