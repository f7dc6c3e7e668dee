/**
 * The crash path of the HTTP adapter, in process (real uWS, real pipeline): a pipeline stage that throws
 * synchronously - a permission, or a store read inside authentication that meets a disk error - is answered
 * (500, or 503 for a database availability error) and the process keeps serving.
 *
 * This uWS build aborts the whole process ("Returning from a request handler without responding or attaching an
 * abort handler is forbidden", then std::terminate) when an exception leaves its request callback; before the
 * fix in server.ts (runPipeline) such a throw killed the worker, and under a persistent disk fault every
 * replacement too, until the supervisor declared a crash loop. Run in this process, a regression kills the test
 * runner itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defineRoute } from '../../src/pipeline/define-route.js';
import { json } from '../../src/pipeline/replies.js';
import { startInProcess, type InProcessApp } from '../support/in-process-app.js';
import { request } from '../support/http.js';

/** What better-sqlite3 throws when the disk fails under a read. */
class FakeSqliteError extends Error {
  constructor(readonly code: string) {
    super(`disk I/O error (${code})`);
  }
}

const throwing = (error: () => Error) => ({
  hasPermission(): boolean {
    throw error();
  },
  hasObjectPermission(): boolean {
    return true;
  },
});

describe('crash path: a stage that throws synchronously', () => {
  let server: InProcessApp;

  before(async () => {
    server = await startInProcess({
      routes: () => [
        defineRoute({
          method: 'GET',
          path: '/test/permission-throws/',
          authentication: [],
          permission: throwing(() => new Error('permission bug')),
          handler: () => json(200, {}),
        }),
        defineRoute({
          method: 'GET',
          path: '/test/read-fails/',
          authentication: [],
          permission: throwing(() => new FakeSqliteError('SQLITE_IOERR_READ')),
          handler: () => json(200, {}),
        }),
        defineRoute({
          method: 'POST',
          path: '/test/busy/',
          authentication: [],
          permission: throwing(() => new FakeSqliteError('SQLITE_BUSY')),
          handler: () => json(200, {}),
        }),
      ],
    });
  });
  after(() => server.close());

  it('answers 500 for a bug in a stage, without internals, and keeps serving', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await request(`${server.url}/test/permission-throws/`);
      assert.equal(r.status, 500);
      assert.equal(r.text, '{"detail":"A server error occurred."}');
      assert.equal((await request(`${server.url}/api/public/`)).status, 200);
    }
  });

  it('answers 503 for a database availability error met in a stage', async () => {
    const read = await request(`${server.url}/test/read-fails/`);
    assert.equal(read.status, 503);
    assert.equal(
      read.text,
      '{"detail":"Service temporarily unavailable, try again later.","code":"service_unavailable"}',
    );
    assert.equal(read.headers.get('allow'), 'GET, HEAD, OPTIONS');
    const busy = await request(`${server.url}/test/busy/`, { body: { a: 1 } });
    assert.equal(busy.status, 503);
    assert.equal(server.app.server.requestsInFlight, 0);
    assert.equal((await request(`${server.url}/api/public/`)).status, 200);
  });
});
