/**
 * Login abuse against the real cluster: a password-guessing run from one address is throttled (429 with
 * Retry-After) per (username, address) and per address, before any password is hashed, while the real user
 * logging in from another address is not locked out. Client addresses are loopback aliases (127.0.0.x), which
 * Linux routes to the server bound on 127.0.0.1.
 *
 * Decision recorded here and in docs/security.md: successful logins count too. The throttle is checked before
 * the password is verified (so that a throttled guess costs no hashing), and at that point success is not
 * known yet; counting them also bounds how many token pairs, each an outstanding-token row, one address can
 * mint per minute. Requests refused by validation (400) are not counted: they never reach the throttle.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createUsers,
  startGatehouse,
  type GatehouseProcess,
  type TestUser,
} from '../support/gatehouse-process.js';
import { requestOnNewConnection } from '../support/http.js';

const NO_ACCOUNT = '{"detail":"No active account found with the given credentials"}';
const BY_USERNAME = 5;
const BY_ADDRESS = 12;

describe('login abuse throttle', () => {
  let server: GatehouseProcess;
  let alice: TestUser;
  let bob: TestUser;

  const login = (from: string, username: string, password: string) =>
    requestOnNewConnection(`${server.url}/api/token/`, { body: { username, password }, localAddress: from });

  const assertThrottled = (r: { status: number; text: string; headers: Record<string, unknown> }): void => {
    assert.equal(r.status, 429, r.text);
    const retryAfter = Number(r.headers['retry-after']);
    assert.ok(
      Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
      `Retry-After ${String(r.headers['retry-after'])}`,
    );
    assert.equal(
      r.text,
      `{"detail":"Request was throttled. Expected available in ${retryAfter} ${retryAfter === 1 ? 'second' : 'seconds'}."}`,
    );
  };

  before(async () => {
    server = await startGatehouse({
      workers: 2,
      env: {
        GATEHOUSE_LOGIN_RATE_BY_USERNAME: `${BY_USERNAME}/min`,
        GATEHOUSE_LOGIN_RATE_BY_IP: `${BY_ADDRESS}/min`,
      },
    });
    [alice, bob] = await createUsers(server.dataDir, [
      { username: 'alice' },
      { username: 'bob' },
      { username: 'carol' },
    ]);
  });
  after(() => server.stop());

  it('a guessing run on one username is throttled from its address; the real user logs in from another', async () => {
    for (let i = 0; i < BY_USERNAME; i++) {
      const r = await login('127.0.0.1', 'alice', `guess-${i}`);
      assert.equal(r.status, 401, r.text);
      assert.equal(r.text, NO_ACCOUNT);
    }
    assertThrottled(await login('127.0.0.1', 'alice', 'guess-next'));
    // Refused before the password is looked at: even the right password is throttled from this address.
    assertThrottled(await login('127.0.0.1', 'alice', alice.password));
    const real = await login('127.0.0.2', 'alice', alice.password);
    assert.equal(real.status, 200, real.text);
    assert.deepEqual(Object.keys(JSON.parse(real.text) as object), ['refresh', 'access']);
  });

  it('spreading guesses over usernames hits the per-address limit; other addresses are unaffected', async () => {
    // 127.0.0.1 has used BY_USERNAME admitted attempts so far (throttled ones are not counted, as in DRF).
    const usernames = ['bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'];
    let admitted = BY_USERNAME;
    let throttledAt = -1;
    for (let i = 0; throttledAt < 0 && i < usernames.length * 2; i++) {
      const r = await login('127.0.0.1', usernames[i % usernames.length]!, `guess-${i}`);
      if (r.status === 429) {
        assertThrottled(r);
        throttledAt = admitted;
      } else {
        assert.equal(r.status, 401, r.text);
        admitted++;
      }
    }
    assert.equal(throttledAt, BY_ADDRESS, 'the address is throttled after exactly its allowance');
    const other = await login('127.0.0.3', 'bob', bob.password);
    assert.equal(other.status, 200, other.text);
  });

  it('requests refused by validation do not use the allowance', async () => {
    for (let i = 0; i < BY_ADDRESS + 5; i++) {
      const r = await requestOnNewConnection(`${server.url}/api/token/`, {
        body: { username: 'alice' },
        localAddress: '127.0.0.4',
      });
      assert.equal(r.status, 400, r.text);
    }
    const r = await login('127.0.0.4', 'alice', alice.password);
    assert.equal(r.status, 200, r.text);
  });

  it('successful logins count (decision, docs/security.md)', async () => {
    for (let i = 0; i < BY_USERNAME; i++)
      assert.equal((await login('127.0.0.5', 'bob', bob.password)).status, 200);
    assertThrottled(await login('127.0.0.5', 'bob', bob.password));
  });
});
