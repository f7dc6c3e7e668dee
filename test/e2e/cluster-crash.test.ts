/**
 * Worker deaths with real processes:
 *  - kill -9 of a worker while a load runs: the other worker keeps answering, the supervisor starts a
 *    replacement that reports ready and then serves; the time from the kill to the replacement's ready and the
 *    requests lost with the killed process are printed as diagnostics (not asserted: no timing assertions);
 *  - a crash loop (replacements that cannot start: the data directory became unusable) stops the service with
 *    exit status 1 and a log line saying so;
 *  - a worker that cannot start at all: the supervisor never reports listening and exits 1.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createUsers, startGatehouse, type GatehouseProcess } from '../support/gatehouse-process.js';
import { request } from '../support/http.js';
import { startLoad } from '../support/load-loop.js';

const CONCURRENCY = 8;

/** The worker that answered, from its request id (the worker's pid in base 36, then a counter). */
function answeringPid(requestId: string | string[] | undefined): number {
  return parseInt(String(requestId).split('-')[0]!, 36);
}

describe('kill -9 of a worker under load', () => {
  let gatehouse: GatehouseProcess | null = null;
  after(() => gatehouse?.stop());

  it('keeps answering from the other worker and replaces the dead one', async (t) => {
    gatehouse = await startGatehouse({ workers: 2 });
    const [alice] = await createUsers(gatehouse.dataDir, [{ username: 'alice' }]);
    const pair = await request(`${gatehouse.url}/api/token/`, {
      body: { username: alice!.username, password: alice!.password },
    });
    const access = (pair.body as { access: string }).access;
    const [victim, survivor] = gatehouse.workerPids();
    assert.ok(victim !== undefined && survivor !== undefined);

    const answeredBy = new Map<number, number[]>();
    const load = startLoad({
      port: gatehouse.port,
      concurrency: CONCURRENCY,
      maxRequests: 500_000,
      requests: [{ method: 'GET', path: '/api/hello/', headers: { authorization: `Bearer ${access}` } }],
      onAnswer: (status, headers, at) => {
        if (status !== 200) return;
        const pid = answeringPid(headers['x-request-id']);
        answeredBy.set(pid, [...(answeredBy.get(pid) ?? []), at]);
      },
    });
    await sleep(500);
    const killedAt = Date.now();
    process.kill(victim, 'SIGKILL');
    const ready = await gatehouse.waitForLog((l) => l.msg === 'worker ready' && l['purpose'] === 'respawn');
    const readyAt = Date.now();
    const replacement = ready['workerPid'] as number;
    await sleep(300);
    const result = await load.stop();

    const servedDuringOutage = (answeredBy.get(survivor) ?? []).filter(
      (at) => at > killedAt && at < readyAt,
    ).length;
    t.diagnostic(
      `kill -9 → replacement ready: ${readyAt - killedAt} ms (worker start-up ${ready['startupMs']} ms); ` +
        `answered meanwhile by the other worker: ${servedDuringOutage}; requests lost: ${result.failed} ` +
        `${JSON.stringify(result.errors)} of ${result.total}`,
    );
    assert.notEqual(replacement, victim);
    assert.ok(servedDuringOutage > 0, 'the other worker answered while the dead one was being replaced');
    // Only requests in flight on the killed process (one per client connection at most) can be lost.
    assert.ok(result.failed <= CONCURRENCY, `lost ${result.failed} requests: ${JSON.stringify(result)}`);
    assert.deepEqual(result.byStatus, {});
    assert.ok(
      gatehouse.logs.some(
        (l) => l.msg === 'worker died' && l['workerPid'] === victim && l['signal'] === 'SIGKILL',
      ),
    );
    assert.ok(gatehouse.logs.some((l) => l.msg === 'worker replaced' && l['workerPid'] === replacement));

    // The replacement serves: new connections are spread over both workers by the kernel.
    const pids = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const r = await fetch(`${gatehouse.url}/api/hello/`, {
        headers: { authorization: `Bearer ${access}`, connection: 'close' },
      });
      assert.equal(r.status, 200);
      pids.add(answeringPid(r.headers.get('x-request-id') ?? ''));
    }
    assert.deepEqual([...pids].sort(), [survivor, replacement].sort());
  });
});

describe('crash loop', () => {
  let gatehouse: GatehouseProcess | null = null;
  let moved: string | null = null;
  after(async () => {
    await gatehouse?.stop();
    if (moved !== null) rmSync(moved, { recursive: true, force: true });
  });

  it('stops the service with exit status 1 when replacements keep dying', async () => {
    gatehouse = await startGatehouse({
      workers: 2,
      env: { GATEHOUSE_CRASH_LOOP_MAX_RESTARTS: '3', GATEHOUSE_CRASH_LOOP_WINDOW: '60' },
    });
    // The running workers keep their open database; a new worker cannot open it: the data directory is gone,
    // and a plain file stands in its place.
    moved = mkdtempSync(join(tmpdir(), 'gatehouse-moved-'));
    rmSync(moved, { recursive: true });
    renameSync(gatehouse.dataDir, moved);
    writeFileSync(gatehouse.dataDir, 'not a directory');
    process.kill(gatehouse.workerPids()[0]!, 'SIGKILL');

    assert.equal(await gatehouse.exited(), 1);
    const fatal = gatehouse.logs.find((l) => l.level === 'fatal' && l['role'] === 'supervisor');
    assert.match(
      String(fatal?.msg),
      /^crash loop: 3 worker deaths within 60s; stopping the service \(exit code 1\)$/,
    );
    assert.equal(gatehouse.logs.filter((l) => l.msg === 'replacement worker could not start').length, 2);
    assert.ok(gatehouse.logs.some((l) => l.msg === 'stopped' && l['code'] === 1));
  });
});

describe('a worker that cannot start', () => {
  it('is never counted as up: the supervisor exits 1 without listening', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-nostart-'));
    const missing = join(dataDir, 'no-such-app.js');
    await assert.rejects(
      startGatehouse({ workers: 2, dataDir, env: { GATEHOUSE_APP_MODULE: missing } }),
      (error: Error) =>
        /exited with 1 before listening/.test(error.message) &&
        error.message.includes('start-up failed') &&
        error.message.includes(missing),
    );
    rmSync(dataDir, { recursive: true, force: true });
  });
});
