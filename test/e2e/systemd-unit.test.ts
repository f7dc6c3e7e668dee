/**
 * systemd integration: the shipped unit passes `systemd-analyze verify` (install prefix substituted only), and
 * the supervisor notifies readiness the Type=notify way — READY=1 once every worker is up, RELOADING=1 then
 * READY=1 around a reload, STOPPING=1 on stop — through systemd-notify to the socket in NOTIFY_SOCKET. systemd
 * itself is not PID 1 in a test container, so a small Python datagram receiver stands in for it (the real
 * systemd-notify waits until the receiver has read the message); without python3, a stand-in systemd-notify on
 * PATH records its arguments instead.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import { REPO_ROOT, startGatehouse, type GatehouseProcess } from '../support/gatehouse-process.js';

const UNIT = join(REPO_ROOT, 'ops', 'systemd', 'gatehouse.service');
const has = (command: string, args: string[]): boolean =>
  spawnSync(command, args, { stdio: 'ignore' }).status === 0;

describe(
  'ops/systemd/gatehouse.service',
  { skip: has('systemd-analyze', ['--version']) ? false : 'systemd-analyze is not installed' },
  () => {
    it('passes systemd-analyze verify', () => {
      const dir = mkdtempSync(join(tmpdir(), 'gatehouse-unit-'));
      try {
        // verify checks that ExecStart exists: point the install prefix at this checkout.
        const unit = join(dir, 'gatehouse.service');
        writeFileSync(
          unit,
          readFileSync(UNIT, 'utf8').replaceAll('/opt/gatehouse/current', REPO_ROOT.replace(/\/$/, '')),
        );
        const run = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
        assert.equal(run.status, 0, run.stdout + run.stderr);
        assert.equal(run.stderr.trim(), '', 'verify printed warnings');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('is hardened but lets V8 generate code (no MemoryDenyWriteExecute)', () => {
      const unit = readFileSync(UNIT, 'utf8');
      assert.doesNotMatch(unit, /^MemoryDenyWriteExecute\s*=/m);
      for (const line of [
        'Type=notify',
        'NotifyAccess=all',
        'ExecReload=/bin/kill -HUP $MAINPID',
        'Restart=on-failure',
        'KillMode=mixed',
        'StateDirectory=gatehouse',
        'LimitNOFILE=65536',
        'NoNewPrivileges=yes',
        'ProtectSystem=strict',
      ]) {
        assert.match(unit, new RegExp(`^${line.replace(/[$]/g, '\\$')}$`, 'm'), line);
      }
    });
  },
);

/** The notifications the supervisor sent, one string per message ("READY=1 | STATUS=…"). */
interface NotificationSink {
  readonly env: Record<string, string>;
  messages(): string[];
  close(): void;
}

/** A stand-in for systemd's notification socket: a Python AF_UNIX datagram receiver. */
async function pythonReceiver(dir: string): Promise<NotificationSink> {
  const script = join(dir, 'receive.py');
  writeFileSync(
    script,
    [
      'import os, socket, sys',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
      's.bind(sys.argv[1])',
      'print("listening", flush=True)',
      'while True:',
      '    data, fds, _, _ = socket.recv_fds(s, 4096, 8)',
      // systemd-notify waits (BARRIER=1) until the fd it passes is closed by the manager.
      '    for fd in fds: os.close(fd)',
      '    print(data.decode().replace("\\n", " | "), flush=True)',
    ].join('\n'),
  );
  const socketPath = join(dir, 'notify.sock');
  const child: ChildProcess = spawn('python3', [script, socketPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const listening = new Promise<void>((resolve) =>
    createInterface({ input: child.stdout! }).on('line', (line) =>
      line === 'listening' ? resolve() : lines.push(line),
    ),
  );
  await listening;
  return {
    env: { NOTIFY_SOCKET: socketPath },
    messages: () => lines.filter((l) => l !== 'BARRIER=1'),
    close: () => child.kill(),
  };
}

/** Without python3: a systemd-notify on PATH that records its arguments. */
function recordingNotifier(dir: string): NotificationSink {
  const log = join(dir, 'notify.log');
  const bin = join(dir, 'bin');
  spawnSync('mkdir', ['-p', bin]);
  writeFileSync(join(bin, 'systemd-notify'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\n`);
  chmodSync(join(bin, 'systemd-notify'), 0o755);
  return {
    env: { NOTIFY_SOCKET: join(dir, 'unused.sock'), PATH: `${bin}:${process.env['PATH'] ?? ''}` },
    messages: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
    close: () => {},
  };
}

describe('readiness notification (Type=notify)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-notify-'));
  let sink: NotificationSink | null = null;
  let gatehouse: GatehouseProcess | null = null;
  after(async () => {
    await gatehouse?.stop();
    sink?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends READY=1 when the workers are up, RELOADING=1 / READY=1 around a reload, STOPPING=1 on stop', async (t) => {
    const real =
      has('python3', ['-c', 'import socket; socket.recv_fds']) && has('systemd-notify', ['--version']);
    t.diagnostic(real ? 'systemd-notify → python3 AF_UNIX receiver' : 'stand-in systemd-notify on PATH');
    sink = real ? await pythonReceiver(dir) : recordingNotifier(dir);
    gatehouse = await startGatehouse({ workers: 2, env: { ...sink.env, GATEHOUSE_SHUTDOWN_GRACE: '1' } });
    const seen = async (n: number): Promise<string[]> => {
      for (let i = 0; i < 200 && sink!.messages().length < n; i++) await sleep(25);
      return sink!.messages();
    };
    const ready = real
      ? `READY=1 | STATUS=serving on port ${gatehouse.port} with 2 worker(s)`
      : `--ready --status=serving on port ${gatehouse.port} with 2 worker(s)`;
    assert.deepEqual(await seen(1), [ready]);

    gatehouse.child.kill('SIGHUP');
    await gatehouse.waitForLog((l) => l.msg === 'reload complete');
    const afterReload = await seen(3);
    assert.match(
      afterReload[1]!,
      real
        ? /^STATUS=reloading \| RELOADING=1 \| MONOTONIC_USEC=\d+$/
        : /^RELOADING=1 MONOTONIC_USEC=\d+ --status=reloading$/,
    );
    assert.equal(afterReload[2], ready);

    assert.equal(await gatehouse.stop(), 0);
    gatehouse = null;
    assert.equal((await seen(4))[3], real ? 'STATUS=stopping | STOPPING=1' : 'STOPPING=1 --status=stopping');
  });
});
