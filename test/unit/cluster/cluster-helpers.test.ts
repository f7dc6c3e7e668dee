/** The supervisor's small decisions, without processes: socket migration, worker entry, config of a new release. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { throttleLayoutOf } from '../../../src/cluster/shared-state.js';
import {
  socketMigration,
  socketMigrationWarning,
  TCP_MIGRATE_REQ,
} from '../../../src/cluster/socket-migration.js';
import { completeConfig } from '../../../src/cluster/worker-config.js';
import { workerScriptPath } from '../../../src/cluster/worker-script.js';
import type { Config } from '../../../src/config/config-types.js';
import { loadConfig } from '../../../src/config/load-config.js';

describe('socket migration check', { skip: process.platform !== 'linux' ? 'Linux only' : false }, () => {
  it('reads net.ipv4.tcp_migrate_req and warns when it is 0 or missing', () => {
    const read = (value: string | null) => (path: string) => {
      assert.equal(path, TCP_MIGRATE_REQ);
      if (value === null) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return value;
    };
    assert.equal(socketMigration(read('1\n')), 'on');
    assert.equal(socketMigration(read('0\n')), 'off');
    assert.equal(socketMigration(read(null)), 'unsupported');
    assert.equal(socketMigrationWarning('on'), null);
    assert.match(socketMigrationWarning('off')!, /^net\.ipv4\.tcp_migrate_req is 0: .*60-gatehouse\.conf/);
    assert.match(socketMigrationWarning('unsupported')!, /Linux >= 5\.14/);
  });
});

describe('worker entry', () => {
  it('goes through the path the command was started by, so a switched release symlink is followed', () => {
    const root = mkdtempSync(join(tmpdir(), 'gatehouse-entry-'));
    try {
      const release = join(root, 'releases', '1');
      mkdirSync(join(release, 'dist', 'src', 'cluster'), { recursive: true });
      mkdirSync(join(release, 'bin'));
      writeFileSync(join(release, 'dist', 'src', 'cluster', 'worker-main.js'), '');
      symlinkSync(release, join(root, 'current'));
      assert.equal(
        workerScriptPath(join(root, 'current', 'bin', 'gatehouse')),
        join(root, 'current', 'dist', 'src', 'cluster', 'worker-main.js'),
      );
      // Started some other way (no such layout): the worker next to the supervisor's own module.
      assert.match(
        workerScriptPath(join(root, 'elsewhere', 'gatehouse')),
        /\/dist\/src\/cluster\/worker-main\.js$/,
      );
      assert.match(workerScriptPath(undefined), /\/dist\/src\/cluster\/worker-main\.js$/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('configuration from an older supervisor', () => {
  it('keeps every value it has and takes this release’s defaults for settings it lacks', () => {
    const full = loadConfig({ env: { GATEHOUSE_PORT: '9000', GATEHOUSE_ACCESS_TOKEN_LIFETIME: '60' } });
    const { gatekeeper: _gatekeeper, ...older } = full as Config & Record<string, unknown>;
    const { refreshLifetimeSec: _refresh, ...olderTokens } = full.tokens;
    const completed = completeConfig({ ...older, tokens: olderTokens } as unknown as Config);
    assert.equal(completed.port, 9000);
    assert.equal(completed.tokens.accessLifetimeSec, 60);
    assert.equal(completed.tokens.refreshLifetimeSec, 86_400);
    assert.equal(completed.gatekeeper, null);
    assert.deepEqual(completed.trustedProxies, full.trustedProxies);
  });
});

describe('throttle region layout', () => {
  it('changes with the rates and the capacity, not with other settings', () => {
    const base = loadConfig({ env: {} });
    assert.equal(throttleLayoutOf(loadConfig({ env: { GATEHOUSE_PORT: '9000' } })), throttleLayoutOf(base));
    assert.notEqual(
      throttleLayoutOf(
        loadConfig({ env: { GATEHOUSE_THROTTLE_RATES: 'anon=1/min,user=2/min,limited=5/min' } }),
      ),
      throttleLayoutOf(base),
    );
    assert.notEqual(
      throttleLayoutOf(loadConfig({ env: { GATEHOUSE_THROTTLE_CAPACITY: '1024' } })),
      throttleLayoutOf(base),
    );
  });
});
