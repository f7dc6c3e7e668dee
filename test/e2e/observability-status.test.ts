/** `gatehouse status` against a running 2-worker cluster, over the supervisor's unix socket. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { statusSocketPath, type StatusReport } from '../../src/cluster/status-server.js';
import {
  cleanEnv,
  GATEHOUSE_BIN,
  REPO_ROOT,
  startGatehouse,
  tempDataDir,
  type GatehouseProcess,
} from '../support/gatehouse-process.js';
import { request } from '../support/http.js';

const run = promisify(execFile);

function gatehouse(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [GATEHOUSE_BIN, ...args], {
    cwd: REPO_ROOT,
    env: cleanEnv(),
    timeout: 15_000,
  });
}

describe('gatehouse status', () => {
  let server: GatehouseProcess;

  before(async () => {
    server = await startGatehouse({ workers: 2 });
  });
  after(() => server.stop());

  it('reports every worker of the cluster as JSON', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await request(`${server.url}/api/public/`)).status, 200);
    const { stdout } = await gatehouse('status', '--data-dir', server.dataDir, '--json');
    const report = JSON.parse(stdout) as StatusReport;
    assert.equal(report.supervisor.pid, server.pid);
    assert.equal(report.supervisor.port, server.port);
    assert.equal(report.supervisor.workers, 2);
    assert.equal(report.supervisor.reloadState, 'idle');
    assert.deepEqual(report.workers.map((w) => w.pid).sort(), server.workerPids().sort());
    for (const worker of report.workers) {
      assert.equal(worker.state, 'serving');
      assert.ok(worker.rssBytes !== null && worker.rssBytes > 0);
      assert.equal(worker.inFlight, 0);
    }
    const served = report.workers.reduce((sum, w) => sum + w.requestsServed!, 0);
    assert.ok(served >= 3, `served ${served}`);
    assert.equal(report.requestsServed.total, served);
  });

  it('prints a table with one row per worker', async () => {
    const { stdout } = await gatehouse('status', '--data-dir', server.dataDir);
    const lines = stdout.trimEnd().split('\n');
    assert.match(
      lines[0]!,
      new RegExp(`^supervisor pid ${server.pid}, port ${server.port}, up \\d+s, reload: idle$`),
    );
    const header = lines.findIndex((l) => l.startsWith('WORKER'));
    assert.ok(header > 0, stdout);
    const rows = lines.slice(header + 1);
    assert.equal(rows.length, 2, stdout);
    for (const pid of server.workerPids())
      assert.ok(
        rows.some((row) => row.split(/\s+/)[2] === String(pid)),
        `pid ${pid} in\n${stdout}`,
      );
    for (const row of rows) assert.match(row, /serving/);
  });

  it('listens on a socket only its owner can open', () => {
    assert.equal(statSync(statusSocketPath(server.dataDir)).mode & 0o777, 0o600);
  });

  it('fails with exit status 1 when no server runs on the data directory', async () => {
    const empty = tempDataDir();
    try {
      await assert.rejects(
        gatehouse('status', '--data-dir', empty),
        (error: { code?: number; stderr?: string }) => {
          assert.equal(error.code, 1);
          assert.match(error.stderr ?? '', /no running server/);
          return true;
        },
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
