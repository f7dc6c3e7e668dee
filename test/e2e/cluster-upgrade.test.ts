/**
 * Upgrades without downtime: releases installed side by side and a `current` symlink (what ops/install.sh
 * does). The server runs through the symlink; switching it to a new release and sending SIGHUP starts workers
 * of the new release while the running ones finish on the old files (src/cluster/worker-script.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  cleanEnv,
  FAST_PASSWORD_ENV,
  GatehouseProcess,
  REPO_ROOT,
  TEST_SIGNING_KEY,
} from '../support/gatehouse-process.js';
import { request } from '../support/http.js';

/** A release as install.sh lays it out: the built server, its launcher, its manifest and its dependencies. */
function makeRelease(root: string, name: string): string {
  const release = join(root, 'releases', name);
  mkdirSync(join(release, 'bin'), { recursive: true });
  cpSync(join(REPO_ROOT, 'dist', 'src'), join(release, 'dist', 'src'), { recursive: true });
  copyFileSync(join(REPO_ROOT, 'bin', 'gatehouse'), join(release, 'bin', 'gatehouse'));
  copyFileSync(join(REPO_ROOT, 'package.json'), join(release, 'package.json'));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(release, 'node_modules'));
  return realpathSync(release);
}

/** Points `current` at a release in one rename, as `ln -sfn` + `mv -T` does. */
function switchCurrent(root: string, release: string): void {
  const next = join(root, 'current.next');
  symlinkSync(release, next);
  renameSync(next, join(root, 'current'));
}

describe('upgrade by reload', () => {
  let root: string | null = null;
  let gatehouse: GatehouseProcess | null = null;
  after(async () => {
    await gatehouse?.stop();
    if (root !== null) rmSync(root, { recursive: true, force: true });
  });

  it('starts the workers of the release `current` points to at the next SIGHUP', async () => {
    root = mkdtempSync(join(tmpdir(), 'gatehouse-upgrade-'));
    const first = makeRelease(root, '1');
    const second = makeRelease(root, '2');
    switchCurrent(root, first);
    const dataDir = join(root, 'data');
    const child = spawn(
      process.execPath,
      [
        join(root, 'current', 'bin', 'gatehouse'),
        'serve',
        '--port',
        '0',
        '--workers',
        '2',
        '--data-dir',
        dataDir,
      ],
      {
        env: {
          ...cleanEnv(),
          GATEHOUSE_SIGNING_KEY: TEST_SIGNING_KEY,
          GATEHOUSE_ACCESS_LOG: 'false',
          GATEHOUSE_SHUTDOWN_GRACE: '1',
          ...FAST_PASSWORD_ENV,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    gatehouse = new GatehouseProcess(child, dataDir, false);
    gatehouse.port = (await gatehouse.waitForLog((l) => l.msg === 'listening'))['port'] as number;
    const ready = (): { purpose: unknown; codeRoot: unknown }[] =>
      gatehouse!.logs
        .filter((l) => l.msg === 'worker ready')
        .map((l) => ({ purpose: l['purpose'], codeRoot: l['codeRoot'] }));
    assert.deepEqual(ready(), [
      { purpose: 'start', codeRoot: first + '/' },
      { purpose: 'start', codeRoot: first + '/' },
    ]);

    switchCurrent(root, second);
    child.kill('SIGHUP');
    await gatehouse.waitForLog((l) => l.msg === 'reload complete');
    assert.deepEqual(ready().slice(2), [
      { purpose: 'reload', codeRoot: second + '/' },
      { purpose: 'reload', codeRoot: second + '/' },
    ]);
    assert.equal((await request(`${gatehouse.url}/api/public/`)).status, 200);
  });
});
