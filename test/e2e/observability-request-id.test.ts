/**
 * X-Request-Id: kept from a trusted proxy (when short and plain), made by the worker otherwise, returned on
 * every response and written in the request's log line (read from the supervisor's forwarded stdout).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGatehouse, type GatehouseProcess, type LogLine } from '../support/gatehouse-process.js';
import { startInProcess } from '../support/in-process-app.js';
import { request } from '../support/http.js';

describe('X-Request-Id on the cluster, behind a trusted proxy', () => {
  let server: GatehouseProcess;

  before(async () => {
    server = await startGatehouse({
      workers: 2,
      env: { GATEHOUSE_ACCESS_LOG: 'true', GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1' },
    });
  });
  after(() => server.stop());

  const accessLogOf = (requestId: string): Promise<LogLine> =>
    server.waitForLog((l) => l.msg === 'request' && l['requestId'] === requestId, 5000);

  it("round-trips the proxy's id and writes it in the access log line", async () => {
    const id = 'edge-7f3a9c.42:1';
    const response = await request(`${server.url}/api/hello/`, { headers: { 'x-request-id': id } });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('x-request-id'), id);
    const line = await accessLogOf(id);
    assert.equal(line['path'], '/api/hello/');
    assert.equal(line['status'], 401);
    assert.equal(line['role'], 'worker');
  });

  it('makes an id when the request has none, unique per request, and logs it', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const response = await request(`${server.url}/api/public/`);
      const id = response.headers.get('x-request-id');
      assert.ok(id !== null && /^[a-z0-9]+-[a-z0-9]+$/.test(id), String(id));
      ids.add(id);
      assert.equal((await accessLogOf(id))['path'], '/api/public/');
    }
    assert.equal(ids.size, 5);
  });

  it('replaces an id that is too long or not plain text, even from a trusted proxy (it is logged)', async () => {
    for (const bad of ['has space', 'x'.repeat(129), 'quote"d', 'new\tline']) {
      const response = await request(`${server.url}/api/public/`, { headers: { 'x-request-id': bad } });
      const id = response.headers.get('x-request-id')!;
      assert.notEqual(id, bad);
      await accessLogOf(id);
    }
  });

  it('carries the id on error answers outside any route', async () => {
    const response = await request(`${server.url}/no/such/path/`, { headers: { 'x-request-id': 'lost-1' } });
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('x-request-id'), 'lost-1');
    assert.equal((await accessLogOf('lost-1'))['status'], 404);
  });
});

describe('X-Request-Id without a trusted proxy', () => {
  it("ignores the client's id: anyone could choose what ends up in the logs", async () => {
    const server = await startInProcess();
    try {
      const response = await request(`${server.url}/api/public/`, {
        headers: { 'x-request-id': 'client-chosen' },
      });
      assert.equal(response.status, 200);
      const id = response.headers.get('x-request-id');
      assert.ok(id !== null && id !== 'client-chosen');
    } finally {
      await server.close();
    }
  });
});
