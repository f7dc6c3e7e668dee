/**
 * ops/install.sh: the dry run shows every step and changes nothing; an install staged under DESTDIR lays out a
 * release, the `current` symlink, configuration, key, unit, sysctl file and Nginx sites, the installed server
 * runs from it, and a second run changes nothing (idempotent). Never run for real on the test host: the system
 * steps (user, sysctl, systemctl) are only shown (dry run) or skipped (DESTDIR).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT } from '../support/gatehouse-process.js';

const INSTALL = join(REPO_ROOT, 'ops', 'install.sh');

function install(
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; output: string } {
  const run = spawnSync('sh', [INSTALL, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: run.status, output: run.stdout + run.stderr };
}

describe('ops/install.sh', () => {
  const destdir = mkdtempSync(join(tmpdir(), 'gatehouse-destdir-'));
  after(() => rmSync(destdir, { recursive: true, force: true }));

  it('--dry-run prints what it would do and changes nothing', () => {
    const prefix = join(tmpdir(), `gatehouse-dry-run-${process.pid}`);
    const etcExisted = existsSync('/etc/gatehouse');
    const { status, output } = install(['--dry-run', prefix]);
    assert.equal(status, 0, output);
    assert.match(output, /dry run: nothing is changed/);
    const release = new RegExp(`${prefix}/releases/\\d+\\.\\d+\\.\\d+-[0-9a-f]{12}`);
    for (const expected of [
      release,
      /^\+ cp -R .*\/dist\/src\/\. /m,
      /npm prune --omit=dev/,
      /^(\+ useradd --system .* gatehouse|= keep user gatehouse \(exists\))$/m,
      /\/etc\/gatehouse\/signing-key/,
      /\/etc\/systemd\/system\/gatehouse\.service/,
      /^\+ install -m 0644 .*ops\/sysctl\/60-gatehouse\.conf \/etc\/sysctl\.d\/60-gatehouse\.conf$/m,
      /^\+ sysctl -q -p \/etc\/sysctl\.d\/60-gatehouse\.conf$/m,
      new RegExp(`^\\+ mv -T ${prefix}/current\\.next ${prefix}/current$`, 'm'),
      /systemctl reload gatehouse/,
    ]) {
      assert.match(output, expected);
    }
    assert.equal(existsSync(prefix), false, 'the dry run created the prefix');
    assert.equal(existsSync('/etc/gatehouse'), etcExisted, 'the dry run touched /etc/gatehouse');
  });

  it('refuses a relative prefix and unknown options', () => {
    assert.equal(install(['--dry-run', 'relative/path']).status, 2);
    assert.equal(install(['--frobnicate']).status, 2);
  });

  it('installs under DESTDIR, runs from the install, and installs nothing twice', () => {
    const first = install(['/opt/gatehouse'], { DESTDIR: destdir });
    assert.equal(first.status, 0, first.output);
    const root = join(destdir, 'opt', 'gatehouse');
    const current = readlinkSync(join(root, 'current'));
    assert.match(current, /^releases\/\d+\.\d+\.\d+-[0-9a-f]{12}$/);
    const release = join(root, current);
    for (const path of [
      'dist/src/cli/main.js',
      'bin/gatehouse',
      'package.json',
      'node_modules/better-sqlite3',
      'ops/nginx/gatehouse.conf',
    ]) {
      assert.ok(existsSync(join(release, path)), path);
    }
    assert.equal(
      existsSync(join(release, 'node_modules', 'typescript')),
      false,
      'development dependencies were installed',
    );
    assert.equal(statSync(join(destdir, 'etc/gatehouse/signing-key')).mode & 0o777, 0o600);
    assert.match(readFileSync(join(destdir, 'etc/gatehouse/signing-key'), 'utf8'), /^[A-Za-z0-9+/]{64}$/);
    const unit = readFileSync(join(destdir, 'etc/systemd/system/gatehouse.service'), 'utf8');
    assert.match(
      unit,
      /^ExecStart=\/opt\/gatehouse\/current\/bin\/gatehouse serve --config \/etc\/gatehouse\/gatehouse\.json$/m,
    );
    for (const path of [
      'etc/sysctl.d/60-gatehouse.conf',
      'etc/nginx/sites-available/gatehouse.conf',
      'etc/nginx/sites-available/gatehouse-gatekeeper.conf',
    ]) {
      assert.ok(existsSync(join(destdir, path)), path);
    }
    const help = spawnSync(process.execPath, [join(root, 'current', 'bin', 'gatehouse'), 'serve', '--help'], {
      encoding: 'utf8',
    });
    assert.equal(help.status, 0, help.stderr);

    const key = readFileSync(join(destdir, 'etc/gatehouse/signing-key'), 'utf8');
    const second = install(['/opt/gatehouse'], { DESTDIR: destdir });
    assert.equal(second.status, 0, second.output);
    assert.match(second.output, /= keep .*\(this build is installed\)/);
    assert.doesNotMatch(second.output, /^\+ (cp|mkdir)/m);
    assert.equal(
      readFileSync(join(destdir, 'etc/gatehouse/signing-key'), 'utf8'),
      key,
      'the key was replaced',
    );
    assert.deepEqual(readdirSync(join(root, 'releases')), [current.slice('releases/'.length)]);
  });
});
