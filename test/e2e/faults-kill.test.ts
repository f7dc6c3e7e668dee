/**
 * Faults with real processes: SIGKILL during a write load (notes created, refresh tokens rotated).
 *  - one worker killed: the supervisor replaces it, the other worker keeps serving, and after the run the
 *    database passes PRAGMA integrity_check and holds every write that was answered 2xx;
 *  - the whole service killed (supervisor and workers, by PID): restarted on the same data directory, the same
 *    holds, and a token rotated before the kill is refused as blacklisted.
 * Requests in flight on a killed process are lost (the client sees the connection reset and does not know the
 * outcome); the figures - time to replacement, requests lost - are printed as test diagnostics.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createUsers,
  openTestStores,
  startGatehouse,
  tempDataDir,
  type TestUser,
} from '../support/gatehouse-process.js';
import { requestOnNewConnection } from '../support/http.js';

const ENV = { GATEHOUSE_LOGIN_RATE_BY_USERNAME: '', GATEHOUSE_LOGIN_RATE_BY_IP: '' };
const NOTE_WRITERS = 6;
const REFRESH_CHAINS = 4;

interface Rotation {
  readonly old: string;
  readonly next: string;
  /** The rotated-away refresh token itself. */
  readonly oldToken: string;
}

/** What the load saw: every write answered 2xx, and every request that got no answer. */
interface LoadRecord {
  readonly notes: Map<number, string>;
  readonly issued: Set<string>;
  readonly rotations: Rotation[];
  /** Requests sent on a connection the server accepted, then dropped by the kill (outcome unknown). */
  lost: number;
  /** Connections refused while nothing listened (the whole service down): never sent, nothing lost. */
  notConnected: number;
  answered: number;
  /** Non-2xx answers by status (a refused refresh after a lost rotation is expected: 401). */
  readonly refused: Map<number, number>;
}

const jtiOf = (token: string): string =>
  (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;

/**
 * Runs note writers and refresh-rotation chains against `port()` until `running()` turns false. Each request is
 * on its own connection, so the kernel spreads them over the workers (SO_REUSEPORT).
 */
async function writeLoad(url: () => string, user: TestUser, running: () => boolean): Promise<LoadRecord> {
  const record: LoadRecord = {
    notes: new Map(),
    issued: new Set(),
    rotations: [],
    lost: 0,
    notConnected: 0,
    answered: 0,
    refused: new Map(),
  };
  const refuse = (status: number): void =>
    void record.refused.set(status, (record.refused.get(status) ?? 0) + 1);
  const failed = (error: unknown): void => {
    if ((error as { code?: string }).code === 'ECONNREFUSED') record.notConnected++;
    else record.lost++;
  };
  const pairFor = async (): Promise<{ access: string; refresh: string } | null> => {
    try {
      const r = await requestOnNewConnection(`${url()}/api/token/`, {
        body: { username: user.username, password: user.password },
      });
      record.answered++;
      if (r.status !== 200) return (refuse(r.status), null);
      const pair = JSON.parse(r.text) as { access: string; refresh: string };
      record.issued.add(jtiOf(pair.refresh));
      return pair;
    } catch (error) {
      failed(error);
      return null;
    }
  };
  let access: string | null = null;
  while (access === null && running()) access = (await pairFor())?.access ?? null;

  const noteWriter = async (writer: number): Promise<void> => {
    for (let i = 0; running(); i++) {
      const text = `note-${writer}-${i}`;
      try {
        const r = await requestOnNewConnection(`${url()}/api/notes/`, {
          body: { text },
          headers: { authorization: `Bearer ${access}` },
        });
        record.answered++;
        if (r.status === 201) record.notes.set((JSON.parse(r.text) as { id: number }).id, text);
        else refuse(r.status);
      } catch (error) {
        failed(error);
        await sleep(20);
      }
    }
  };
  const refreshChain = async (): Promise<void> => {
    let refresh: string | null = null;
    while (running()) {
      if (refresh === null) {
        refresh = (await pairFor())?.refresh ?? null;
        if (refresh === null) await sleep(20);
        continue;
      }
      try {
        const r = await requestOnNewConnection(`${url()}/api/token/refresh/`, { body: { refresh } });
        record.answered++;
        if (r.status === 200) {
          const next = (JSON.parse(r.text) as { refresh: string }).refresh;
          record.rotations.push({ old: jtiOf(refresh), next: jtiOf(next), oldToken: refresh });
          refresh = next;
        } else {
          refuse(r.status);
          refresh = null;
        }
      } catch (error) {
        // The outcome is unknown: the rotation may have committed. Presenting this token again would then count
        // as reuse and revoke the family, so the chain starts over with a new login.
        failed(error);
        refresh = null;
        await sleep(20);
      }
    }
  };
  await Promise.all([
    ...Array.from({ length: NOTE_WRITERS }, (_, i) => noteWriter(i)),
    ...Array.from({ length: REFRESH_CHAINS }, () => refreshChain()),
  ]);
  return record;
}

/** True once `pid` is gone or a zombie (killed, not yet reaped by whoever inherited it). */
function isGone(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

/** Asserts that the database is intact and holds every write the load saw answered 2xx. */
function assertDurable(dataDir: string, record: LoadRecord): void {
  const stores = openTestStores(dataDir);
  try {
    const db = stores.db;
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepEqual(db.pragma('foreign_key_check'), []);
    const noteText = db.prepare<[number], string>('SELECT text FROM notes WHERE id = ?').pluck();
    for (const [id, text] of record.notes) assert.equal(noteText.get(id), text, `note ${id}`);
    const outstanding = db
      .prepare<[string], number>('SELECT count(*) FROM outstanding_tokens WHERE jti = ?')
      .pluck();
    const blacklisted = db
      .prepare<[string], number>('SELECT count(*) FROM blacklisted_tokens WHERE jti = ?')
      .pluck();
    for (const jti of record.issued)
      assert.equal(outstanding.get(jti), 1, `issued refresh token ${jti} is outstanding`);
    for (const { old, next } of record.rotations) {
      assert.equal(blacklisted.get(old), 1, `rotated token ${old} is blacklisted`);
      assert.equal(outstanding.get(next), 1, `its successor ${next} is outstanding`);
    }
  } finally {
    stores.close();
  }
}

describe('faults: SIGKILL during writes', () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('one worker killed: replaced, the service keeps answering, every 2xx write is durable', async (t) => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const server = await startGatehouse({ workers: 2, dataDir, keepDataDir: true, env: ENV });
    const [user] = await createUsers(dataDir, [{ username: 'writer' }]);
    let running = true;
    const load = writeLoad(
      () => server.url,
      user!,
      () => running,
    );
    const [victim, survivor] = server.workerPids();
    let replacementMs: number;
    let replaced;
    try {
      await sleep(800);
      const killedAt = performance.now();
      process.kill(victim!, 'SIGKILL');
      replaced = await server.waitForLog(
        (l) => l.msg === 'worker ready' && l['workerPid'] !== victim && l['workerPid'] !== survivor,
        15_000,
      );
      replacementMs = performance.now() - killedAt;
      await sleep(800);
    } finally {
      running = false;
    }
    const record = await load;
    const died = server.logs.filter((l) => l.msg === 'worker died');
    await server.stop();

    assert.equal(died.length, 1, 'exactly the killed worker died');
    assert.equal(died[0]!['workerPid'], victim);
    assert.equal(died[0]!['signal'], 'SIGKILL');
    assert.ok(replaced['workerPid'] !== undefined);
    assert.ok(record.notes.size > 0 && record.rotations.length > 0, 'the load wrote something');
    assertDurable(dataDir, record);
    t.diagnostic(
      `worker kill: replacement ready after ${Math.round(replacementMs!)} ms; ${record.answered} requests answered, ` +
        `${record.lost} lost in flight; ${record.notes.size} notes and ${record.rotations.length} rotations checked; ` +
        `refused: ${JSON.stringify([...record.refused])}`,
    );
  });

  it('the whole service killed: restarted on the same data, every 2xx write is durable', async (t) => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const first = await startGatehouse({ workers: 2, dataDir, keepDataDir: true, env: ENV });
    const [user] = await createUsers(dataDir, [{ username: 'writer' }]);
    let url = first.url;
    let running = true;
    const load = writeLoad(
      () => url,
      user!,
      () => running,
    );
    const pids = [first.pid, ...first.workerPids()];
    try {
      await sleep(1000);
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      await first.exited();
      // No process of the service is left (the workers are reaped by whoever inherited them).
      for (let i = 0; i < 50 && !pids.every(isGone); i++) await sleep(100);
      assert.deepEqual(
        pids.filter((pid) => !isGone(pid)),
        [],
        'every process of the service is gone',
      );
    } finally {
      running = false;
    }
    const record = await load;

    const restartAt = performance.now();
    const second = await startGatehouse({ workers: 2, dataDir, keepDataDir: true, env: ENV });
    const restartMs = performance.now() - restartAt;
    url = second.url;
    try {
      // The API agrees: the last token rotated before the kill is refused as blacklisted, not accepted again.
      const last = record.rotations.at(-1)!;
      const replay = await requestOnNewConnection(`${second.url}/api/token/refresh/`, {
        body: { refresh: last.oldToken },
      });
      assert.equal(replay.status, 401, replay.text);
      assert.equal(replay.text, '{"detail":"Token is blacklisted","code":"token_not_valid"}');
      const login = await requestOnNewConnection(`${second.url}/api/token/`, {
        body: { username: user!.username, password: user!.password },
      });
      assert.equal(login.status, 200, login.text);
    } finally {
      await second.stop();
    }
    assert.ok(record.notes.size > 0 && record.rotations.length > 0, 'the load wrote something');
    assertDurable(dataDir, record);
    t.diagnostic(
      `service kill: restarted and listening after ${Math.round(restartMs)} ms; ${record.answered} requests answered, ` +
        `${record.lost} lost in flight, ${record.notConnected} connections refused while it was down; ` +
        `${record.notes.size} notes and ${record.rotations.length} rotations checked`,
    );
  });
});
