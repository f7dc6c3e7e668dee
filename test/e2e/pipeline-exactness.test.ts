/**
 * Cluster-exact throttling against the real server with two worker processes: L + 20 concurrent requests, each
 * on its own new connection (so the kernel spreads them over both workers), to a route limited to L admit
 * exactly L; and refused requests are not counted (after a period, requests are admitted again although refused
 * ones were made during it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGatehouse, tempDataDir, type GatehouseProcess } from '../support/gatehouse-process.js';
import { requestOnNewConnection } from '../support/http.js';
import {
  accessTokenFor,
  createPipelineUsers,
  PIPELINE_APP,
  throttleRates,
  type PipelineUser,
} from '../support/pipeline-fixtures.js';

const LIMIT = 50;
const EXTRA = 20;

describe('exact throttling across worker processes', () => {
  let server: GatehouseProcess;
  let alice: PipelineUser;
  let root: PipelineUser;

  before(async () => {
    const dataDir = tempDataDir();
    ({ alice, root } = await createPipelineUsers(dataDir));
    server = await startGatehouse({
      workers: 2,
      dataDir,
      env: {
        GATEHOUSE_APP_MODULE: PIPELINE_APP,
        GATEHOUSE_THROTTLE_RATES: throttleRates({ limited: `${LIMIT}/min`, testkey_limited: '2/3s' }),
      },
    });
  });
  after(() => server?.stop());

  it(`admits exactly ${LIMIT} of ${LIMIT + EXTRA} concurrent requests on new connections, across both workers`, async () => {
    const headers = { authorization: `Bearer ${accessTokenFor(alice.id)}` };
    const answers = await Promise.all(
      Array.from({ length: LIMIT + EXTRA }, () =>
        requestOnNewConnection(`${server.url}/api/limited/`, { headers }),
      ),
    );
    const statuses = answers.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, LIMIT, JSON.stringify(statuses));
    assert.equal(statuses.filter((s) => s === 429).length, EXTRA);
    // Request ids start with the answering worker's pid: both workers took part.
    const workers = new Set(answers.map((r) => String(r.headers['x-request-id']).split('-')[0]));
    assert.equal(workers.size, 2, `answered by ${[...workers].join(', ')}`);
    for (const refused of answers.filter((r) => r.status === 429)) {
      assert.match(
        refused.text,
        /^\{"detail":"Request was throttled\. Expected available in \d+ seconds?\."\}$/,
      );
      assert.equal(refused.text.includes(`in ${refused.headers['retry-after']} second`), true);
    }
    // Another user's bucket is untouched.
    const other = await requestOnNewConnection(`${server.url}/api/limited/`, {
      headers: { authorization: `Bearer ${accessTokenFor(root.id)}` },
    });
    assert.equal(other.status, 200);
  });

  it('does not count refused requests', async () => {
    // testkey_limited is 2 per 3 s. Two admitted, then refusals a second later; once the first two have left
    // the window, requests are admitted again — which they would not be if the refusals had been counted.
    const url = `${server.url}/t/testkey/limited/`;
    const headers = { 'x-test-key': `test-key-${alice.id}` };
    const hit = () => requestOnNewConnection(url, { headers });
    assert.deepEqual([(await hit()).status, (await hit()).status], [200, 200]);
    const admittedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    const refused = await Promise.all(Array.from({ length: 6 }, hit));
    assert.deepEqual(
      refused.map((r) => r.status),
      [429, 429, 429, 429, 429, 429],
    );
    await new Promise((r) => setTimeout(r, Math.max(0, admittedAt + 3200 - Date.now())));
    assert.deepEqual([(await hit()).status, (await hit()).status, (await hit()).status], [200, 200, 429]);
  });
});
