/**
 * Storage faults with the real cluster: the database cannot take writes. Writes must answer 503 with a clear
 * body, reads keep working, no worker dies (a restart would not fix the disk, it would only start a crash loop),
 * and writes work again once the fault is gone.
 *  - another process holds the write lock past the busy timeout (portable): 503 service_unavailable;
 *  - the disk is full (a small tmpfs; needs root and mount, skipped otherwise): 503 database_unavailable;
 *  - the data directory is read-only at start (same): the service exits at once with a clear message.
 * Linux refuses to remount a filesystem read-only while files are open for writing, and root ignores file
 * modes, so "read-only while running" cannot be staged; SQLite reports such a disk as SQLITE_READONLY or
 * SQLITE_IOERR, which src/store/sqlite/sqlite-unavailable.ts maps like the faults below (unit-tested there).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { unavailableErrorOf } from '../../src/store/sqlite/sqlite-unavailable.js';
import { ERRORS } from '../../src/errors.js';
import {
  cleanEnv,
  createUsers,
  FAST_PASSWORD_ENV,
  GATEHOUSE_BIN,
  openTestStores,
  REPO_ROOT,
  startGatehouse,
  TEST_SIGNING_KEY,
  type GatehouseProcess,
  type TestUser,
} from '../support/gatehouse-process.js';
import { requestOnNewConnection } from '../support/http.js';

const ENV = { GATEHOUSE_LOGIN_RATE_BY_USERNAME: '', GATEHOUSE_LOGIN_RATE_BY_IP: '' };
const READ_ONLY_BODY =
  '{"detail":"The database cannot accept writes right now; try again later.","code":"database_unavailable"}';
const UNAVAILABLE_BODY =
  '{"detail":"Service temporarily unavailable, try again later.","code":"service_unavailable"}';

interface Session {
  readonly server: GatehouseProcess;
  readonly user: TestUser;
  readonly access: string;
  readonly refresh: string;
}

async function session(server: GatehouseProcess): Promise<Session> {
  const [user] = await createUsers(server.dataDir, [{ username: 'alice' }]);
  const login = await requestOnNewConnection(`${server.url}/api/token/`, {
    body: { username: 'alice', password: user!.password },
  });
  assert.equal(login.status, 200, login.text);
  const { access, refresh } = JSON.parse(login.text) as { access: string; refresh: string };
  return { server, user: user!, access, refresh };
}

const writeNote = (s: Session, text: string) =>
  requestOnNewConnection(`${s.server.url}/api/notes/`, {
    body: { text },
    headers: { authorization: `Bearer ${s.access}` },
  });
const login = (s: Session) =>
  requestOnNewConnection(`${s.server.url}/api/token/`, {
    body: { username: 'alice', password: s.user.password },
  });
const readNotes = (s: Session) => requestOnNewConnection(`${s.server.url}/api/notes/`);
const me = (s: Session) =>
  requestOnNewConnection(`${s.server.url}/api/me/`, { headers: { authorization: `Bearer ${s.access}` } });

function assertNoWorkerDied(server: GatehouseProcess): void {
  assert.deepEqual(
    server.logs.filter(
      (l) => l.msg === 'worker died' || l.msg === 'uncaught exception' || l.msg === 'request failed',
    ),
    [],
    'no worker died and nothing answered 500',
  );
}

/** Mounts a tmpfs of `size` at a new directory, or returns null when this process may not mount. */
function mountTmpfs(size: string): string | null {
  if (process.getuid?.() !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-fault-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('faults: the database cannot take writes', () => {
  const mounts: string[] = [];
  after(() => {
    for (const dir of mounts) unmount(dir);
  });

  it('maps SQLite availability errors (and only those) to 503', () => {
    const cases: [string, unknown][] = [
      ['SQLITE_READONLY', ERRORS.database_read_only],
      ['SQLITE_READONLY_DBMOVED', ERRORS.database_read_only],
      ['SQLITE_FULL', ERRORS.database_read_only],
      ['SQLITE_BUSY', ERRORS.service_unavailable],
      ['SQLITE_BUSY_TIMEOUT', ERRORS.service_unavailable],
      ['SQLITE_IOERR_WRITE', ERRORS.service_unavailable],
      ['SQLITE_IOERR_SHORT_READ', ERRORS.service_unavailable],
      ['SQLITE_CANTOPEN', ERRORS.service_unavailable],
      ['SQLITE_CONSTRAINT_UNIQUE', null],
      ['SQLITE_ERROR', null],
      ['SQLITE_READONLYX', null],
      ['EACCES', null],
    ];
    for (const [code, expected] of cases)
      assert.equal(unavailableErrorOf(Object.assign(new Error('x'), { code })), expected, code);
    for (const value of [null, undefined, 'SQLITE_FULL', 5, {}, { code: 5 }])
      assert.equal(unavailableErrorOf(value), null);
  });

  it('write lock held by another process past the busy timeout: 503, reads work, no restart, then writes resume', async () => {
    const server = await startGatehouse({ workers: 2, env: ENV });
    try {
      const s = await session(server);
      assert.equal((await writeNote(s, 'before')).status, 201);
      // A backup, a stuck maintenance command: any connection holding the write lock. SQLite's busy timeout
      // (5 s, open-database.ts) is waited for, then the write fails with SQLITE_BUSY.
      const holder = openTestStores(server.dataDir);
      holder.db.exec('BEGIN IMMEDIATE');
      let released = false;
      try {
        // One write: a worker waits out the busy timeout synchronously (better-sqlite3), so more writes would
        // only queue behind it; the token endpoints' 503 is shown by the disk-full test below.
        const note = await writeNote(s, 'during');
        assert.equal(note.status, 503, note.text);
        assert.equal(note.text, UNAVAILABLE_BODY);
        // Readers are not blocked by a writer in WAL mode.
        assert.equal((await readNotes(s)).status, 200);
        assert.equal((await me(s)).status, 200);
        holder.db.exec('ROLLBACK');
        released = true;
      } finally {
        if (!released) holder.db.exec('ROLLBACK');
        holder.close();
      }
      const after = await writeNote(s, 'after');
      assert.equal(after.status, 201, after.text);
      assert.ok(
        server.logs.some(
          (l) => l.msg === 'database unavailable' && String(l['code']).startsWith('SQLITE_BUSY'),
        ),
      );
      assertNoWorkerDied(server);
    } finally {
      await server.stop();
    }
  });

  it('disk full (tmpfs): writes answer 503, reads work, no restart, writes resume once space is freed', async (t) => {
    const mount = mountTmpfs('4m');
    if (mount === null) return t.skip('needs root and mount(8) to stage a full disk');
    mounts.push(mount);
    const server = await startGatehouse({
      workers: 2,
      dataDir: join(mount, 'data'),
      keepDataDir: true,
      env: ENV,
    });
    try {
      const s = await session(server);
      assert.equal((await writeNote(s, 'before')).status, 201);
      const filler = join(mount, 'filler');
      // Fill every free block of the tmpfs.
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
      } catch {
        // dd stops with ENOSPC: that is the point.
      }
      const refresh = requestOnNewConnection(`${server.url}/api/token/refresh/`, {
        body: { refresh: s.refresh },
      });
      const answers = await Promise.all([
        writeNote(s, 'x'.repeat(200)),
        writeNote(s, 'y'.repeat(200)),
        login(s),
        refresh,
      ]);
      for (const r of answers) {
        assert.equal(r.status, 503, r.text);
        assert.equal(r.text, READ_ONLY_BODY);
      }
      const notes = await readNotes(s);
      assert.equal(notes.status, 200);
      assert.deepEqual(
        (JSON.parse(notes.text) as { text: string }[]).map((n) => n.text),
        ['before'],
      );
      assert.equal((await me(s)).status, 200);
      rmSync(filler);
      const after = await writeNote(s, 'after');
      assert.equal(after.status, 201, after.text);
      // The refresh token whose rotation failed was not consumed: it still rotates.
      const retried = await requestOnNewConnection(`${server.url}/api/token/refresh/`, {
        body: { refresh: s.refresh },
      });
      assert.equal(retried.status, 200, retried.text);
      assert.ok(server.logs.some((l) => l.msg === 'database unavailable' && l['code'] === 'SQLITE_FULL'));
      assertNoWorkerDied(server);
      const stores = openTestStores(server.dataDir);
      assert.equal(stores.db.pragma('integrity_check', { simple: true }), 'ok');
      stores.close();
    } finally {
      await server.stop();
    }
  });

  it('data directory read-only at start: the service exits at once with a clear message, no restarts', async (t) => {
    const mount = mountTmpfs('4m');
    if (mount === null) return t.skip('needs root and mount(8) to stage a read-only disk');
    mounts.push(mount);
    const dataDir = join(mount, 'data');
    mkdirSync(dataDir);
    // A database that exists (migrated, as after `gatehouse migrate`), on a disk that is then made read-only.
    await createUsers(dataDir, [{ username: 'alice' }]);
    writeFileSync(join(mount, 'marker'), '');
    execFileSync('mount', ['-o', 'remount,ro', mount], { stdio: 'ignore' });
    const result = spawnSync(
      process.execPath,
      [GATEHOUSE_BIN, 'serve', '--port', '0', '--workers', '2', '--data-dir', dataDir],
      {
        cwd: REPO_ROOT,
        env: { ...cleanEnv(), GATEHOUSE_SIGNING_KEY: TEST_SIGNING_KEY, ...FAST_PASSWORD_ENV, ...ENV },
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    assert.equal(result.status, 1, 'the service exits with status 1 instead of running');
    const output = result.stdout + result.stderr;
    assert.match(output, /cannot open the SQLite database .* for writing .*data directory must be writable/);
    assert.doesNotMatch(output, /worker ready|worker died/, 'no worker was started, so none is restarted');
  });
});
