/** The `gatehouse` command as operators and scripts use it: help on every level, users, migrations, config. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../../src/cli/main.js';
import type { Command, CommandGroup } from '../../src/cli/command.js';
import {
  cleanEnv,
  FAST_PASSWORD_ENV,
  GATEHOUSE_BIN,
  openTestStores,
  REPO_ROOT,
  startGatehouse,
  tempDataDir,
} from '../support/gatehouse-process.js';
import { request } from '../support/http.js';

function gatehouse(
  args: string[],
  input?: string,
  env: Record<string, string> = {},
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [GATEHOUSE_BIN, ...args], {
    cwd: REPO_ROOT,
    input: input ?? '',
    env: { ...cleanEnv(), ...FAST_PASSWORD_ENV, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function commandPaths(node: Command | CommandGroup, prefix: string[] = []): string[][] {
  if (!('commands' in node)) return [prefix];
  return [prefix, ...node.commands.flatMap((c) => commandPaths(c, [...prefix, c.name]))];
}

describe('gatehouse CLI', () => {
  let dataDir: string;
  before(() => {
    dataDir = tempDataDir();
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('answers --help on every level with a usage line', () => {
    const paths = commandPaths(ROOT);
    assert.ok(paths.some((p) => p.join(' ') === 'user create'));
    for (const path of paths) {
      const r = gatehouse([...path, '--help']);
      assert.equal(r.status, 0, `${path.join(' ')}: ${r.stderr}`);
      assert.match(
        r.stdout,
        new RegExp(`^Usage: gatehouse${path.length ? ' ' + path.join(' ') : ''}`),
        path.join(' '),
      );
    }
  });

  it('reports unknown commands and options with the usage and status 2', () => {
    const unknown = gatehouse(['frobnicate']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const badOption = gatehouse(['user', 'list', '--colour']);
    assert.equal(badOption.status, 2);
    assert.match(badOption.stderr, /Usage: gatehouse user list/);
    const missing = gatehouse(['user', 'create']);
    assert.equal(missing.status, 2);
  });

  it('migrates a new data directory, then finds nothing to do', () => {
    const first = gatehouse(['migrate', '--data-dir', dataDir]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /migrated from version 0 to \d+/);
    const second = gatehouse(['migrate', '--data-dir', dataDir]);
    assert.match(second.stdout, /schema is up to date/);
  });

  it('creates, lists, deactivates and re-activates users, reading passwords from stdin only', () => {
    const created = gatehouse(
      ['user', 'create', 'alice', '--staff', '--data-dir', dataDir],
      'correct horse battery\n',
    );
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /created user alice \(id \d+\)/);
    assert.equal(
      gatehouse(['user', 'create', 'alice', '--data-dir', dataDir], 'x').status,
      1,
      'duplicate refused',
    );
    assert.equal(
      gatehouse(['user', 'create', 'bad name!', '--data-dir', dataDir], 'x').status,
      1,
      'invalid username refused',
    );
    assert.equal(
      gatehouse(['user', 'create', 'empty', '--data-dir', dataDir], '').status,
      1,
      'empty password refused',
    );

    const stores = openTestStores(dataDir);
    const alice = stores.users.findByUsername('alice')!;
    stores.close();
    assert.equal(alice.isStaff, true);
    assert.match(alice.passwordHash, /^\$argon2id\$/);
    assert.ok(!alice.passwordHash.includes('correct horse'));

    const listed = gatehouse(['user', 'list', '--json', '--data-dir', dataDir]);
    const rows = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { username: string; is_active: boolean });
    assert.deepEqual(
      rows.map((r) => r.username),
      ['alice'],
    );
    assert.equal(gatehouse(['user', 'deactivate', 'alice', '--data-dir', dataDir]).status, 0);
    assert.match(gatehouse(['user', 'list', '--data-dir', dataDir]).stdout, /alice\s+no\s+yes/);
    assert.equal(gatehouse(['user', 'activate', 'alice', '--data-dir', dataDir]).status, 0);
    assert.equal(gatehouse(['user', 'passwd', 'alice', '--data-dir', dataDir], 'another password').status, 0);
    assert.equal(gatehouse(['user', 'passwd', 'nobody', '--data-dir', dataDir], 'x').status, 1);
    assert.equal(gatehouse(['user', 'revoke-tokens', 'alice', '--data-dir', dataDir]).status, 0);
    assert.equal(gatehouse(['flush-expired-tokens', '--data-dir', dataDir]).status, 0);
  });

  it('imports a Django user export', () => {
    const csv = join(dataDir, 'users.csv');
    writeFileSync(
      csv,
      'id,username,password,is_active,is_staff\n50,django_user,pbkdf2_sha256$1000$salt$BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=,1,0\n',
    );
    const r = gatehouse(['user', 'import', csv, '--data-dir', dataDir]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /imported 1 user/);
    const again = gatehouse(['user', 'import', csv, '--data-dir', dataDir]);
    assert.match(again.stderr, /already exists/);
  });

  it('validates configuration and shows it without secrets', () => {
    const ok = gatehouse(['config', 'check', '--data-dir', dataDir], undefined, {
      GATEHOUSE_SIGNING_KEY: 'super-secret-value-0123456789abcdef',
    });
    assert.equal(ok.status, 0, ok.stderr);
    assert.doesNotMatch(ok.stdout, /super-secret-value/);
    assert.match(ok.stdout, /"signingKey": "<set>"/);
    const bad = gatehouse(['config', 'check'], undefined, { GATEHOUSE_PORT: 'x', GATEHOUSE_WORKERS: '-1' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /GATEHOUSE_PORT: expected/);
    assert.match(bad.stderr, /GATEHOUSE_WORKERS: expected/);
    assert.match(gatehouse(['config', 'settings']).stdout, /GATEHOUSE_THROTTLE_RATES/);
  });

  it('refuses to serve on a bad configuration, naming every problem', () => {
    const r = gatehouse(['serve', '--port', 'eighty', '--data-dir', dataDir], undefined, {
      GATEHOUSE_ACCESS_TOKEN_LIFETIME: 'forever',
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--port: expected an integer/);
    assert.match(r.stderr, /GATEHOUSE_ACCESS_TOKEN_LIFETIME: expected a duration/);
  });

  it('generates a private development key when none is configured, and warns', async () => {
    const server = await startGatehouse({
      workers: 1,
      env: { GATEHOUSE_SIGNING_KEY: '' },
      keepDataDir: true,
    });
    try {
      const keyFile = join(server.dataDir, 'signing.key');
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      const warning = server.logs.find(
        (l) => l.level === 'warn' && /Production must set/.test(String(l.msg)),
      );
      assert.ok(warning, 'the start-up log warns that production must set a key');
      assert.ok(
        !JSON.stringify(server.logs).includes(readFileSync(keyFile, 'utf8').trim()),
        'the key is not logged',
      );
      assert.equal((await request(`${server.url}/healthz`)).status, 200);
    } finally {
      await server.stop();
      rmSync(server.dataDir, { recursive: true, force: true });
    }
  });
});
