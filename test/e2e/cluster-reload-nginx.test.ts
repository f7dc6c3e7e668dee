/**
 * Reload under load without a failed request: a real Gatehouse cluster behind a real Nginx running the shipped
 * ops/nginx/gatehouse.conf (TLS server block, ports and paths adapted only), three SIGHUPs while a bounded
 * load of authenticated GETs and POSTs runs, and every single request must get a 2xx.
 *
 * The run needs net.ipv4.tcp_migrate_req=1 (docs/architecture.md), which this test must not change on the
 * host. So the whole scenario runs in a network namespace of its own: the test starts this same file again
 * under `unshare --net` with --reload-scenario; that child brings the namespace's loopback up, sets the
 * sysctl inside the namespace only (refusing to if it is not in a new namespace), starts Gatehouse, Nginx and
 * the load, and prints one RESULT line. Needs root, nginx, unshare and ip; skipped otherwise.
 *
 * The scenario also takes other settings, to measure what happens without the sysctl or without Nginx:
 *   node dist/test/e2e/cluster-reload-nginx.test.js --reload-scenario '{"migrate":0,"via":"direct","newConnectionPerRequest":true}'
 * (run it under `unshare --net`; docs/architecture.md records the figures).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createUsers, startGatehouse, type GatehouseProcess } from '../support/gatehouse-process.js';
import { request } from '../support/http.js';
import { startLoad, type LoadResult } from '../support/load-loop.js';
import {
  adaptSite,
  freePort,
  nginxBinary,
  selfSignedCertificate,
  shippedSite,
  startNginx,
  type NginxProcess,
} from '../support/nginx.js';

const SCENARIO_FLAG = '--reload-scenario';
const TCP_MIGRATE_REQ = '/proc/sys/net/ipv4/tcp_migrate_req';

interface ScenarioOptions {
  /** The test process's network namespace: the scenario refuses to touch sysctls in it. */
  readonly parentNetns: string;
  readonly migrate: 0 | 1;
  readonly via: 'nginx' | 'direct';
  readonly newConnectionPerRequest: boolean;
  readonly reloads: number;
  readonly concurrency: number;
  /** shutdownGrace of the workers: above the site's upstream keepalive_timeout (5 s). */
  readonly graceSec: number;
}

interface ScenarioResult {
  readonly options: ScenarioOptions;
  readonly reloadsCompleted: number;
  readonly workersStartedByReloads: number;
  readonly load: LoadResult;
  /** Lines of Nginx's error log about upstream connections (each is a retry or a failure Nginx saw). */
  readonly nginxUpstreamErrors: readonly string[];
}

const DEFAULTS: Omit<ScenarioOptions, 'parentNetns'> = {
  migrate: 1,
  via: 'nginx',
  newConnectionPerRequest: false,
  reloads: 3,
  concurrency: 16,
  graceSec: 6,
};

if (process.argv[2] === SCENARIO_FLAG) {
  const options: ScenarioOptions = {
    ...DEFAULTS,
    parentNetns: '',
    ...(JSON.parse(process.argv[3] ?? '{}') as Partial<ScenarioOptions>),
  };
  runScenario(options).then(
    (result) => {
      process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(
        `scenario failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
} else {
  describe(
    'reload under load through Nginx (network namespace, tcp_migrate_req=1)',
    { skip: skipReason() },
    () => {
      it(
        'three SIGHUPs during the load: zero failed or non-2xx requests',
        { timeout: 120_000 },
        async (t) => {
          const result = await runInNamespace({ migrate: 1, via: 'nginx' });
          if (typeof result === 'string') return t.skip(result);
          t.diagnostic(
            `requests ${result.load.total} in ${result.load.durationMs} ms, failed ${result.load.failed}, ` +
              `reloads ${result.reloadsCompleted}, new workers ${result.workersStartedByReloads}, ` +
              `nginx upstream errors ${result.nginxUpstreamErrors.length}`,
          );
          assert.equal(result.reloadsCompleted, 3);
          assert.equal(result.workersStartedByReloads, 6, 'every reload replaced both workers');
          assert.ok(result.load.total >= 200, `the load ran (${result.load.total} requests)`);
          assert.deepEqual(result.load.byStatus, {}, 'non-2xx answers');
          assert.deepEqual(result.load.errors, {}, 'requests without an answer');
          assert.equal(result.load.ok, result.load.total);
        },
      );
    },
  );
}

function skipReason(): string | false {
  if (process.platform !== 'linux') return 'Linux only';
  if (process.getuid?.() !== 0) return 'needs root to create a network namespace';
  if (nginxBinary() === null) return 'nginx is not installed';
  if (spawnSync('openssl', ['version']).status !== 0) return 'openssl is not installed';
  if (!existsSync(TCP_MIGRATE_REQ)) return 'kernel without net.ipv4.tcp_migrate_req (Linux < 5.14)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'ip (iproute2) is not installed';
  if (spawnSync('unshare', ['--net', 'true']).status !== 0)
    return 'cannot create a network namespace (unshare --net)';
  return false;
}

/** Runs the scenario in a new network namespace and returns its RESULT, or why it cannot run here. */
async function runInNamespace(overrides: Partial<ScenarioOptions>): Promise<ScenarioResult | string> {
  const options = { ...overrides, parentNetns: readlinkSync('/proc/self/ns/net') };
  const child = spawn(
    'unshare',
    ['--net', '--', process.execPath, fileURLToPath(import.meta.url), SCENARIO_FLAG, JSON.stringify(options)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  const skip = stdout.split('\n').find((l) => l.startsWith('SKIP '));
  if (code === 0 && skip !== undefined) return skip.slice('SKIP '.length);
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (code !== 0 || line === undefined)
    throw new Error(`scenario exited with ${code}: ${stderr.slice(-4000)}`);
  return JSON.parse(line.slice('RESULT '.length)) as ScenarioResult;
}

async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  // Never change the host's setting: only proceed in a namespace other than the one the test runs in.
  if (readlinkSync('/proc/self/ns/net') === options.parentNetns)
    throw new Error('not in a network namespace of its own; run under unshare --net');
  const up = spawnSync('ip', ['link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (up.status !== 0) throw new Error(`ip link set lo up: ${up.stderr}`);
  try {
    writeFileSync(TCP_MIGRATE_REQ, String(options.migrate));
  } catch (error) {
    // Containers often mount /proc/sys read-only, even inside a new network namespace.
    process.stdout.write(
      `SKIP cannot set ${TCP_MIGRATE_REQ} in the namespace (${(error as NodeJS.ErrnoException).code})\n`,
    );
    process.exit(0);
  }

  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-reload-'));
  let gatehouse: GatehouseProcess | null = null;
  let nginx: NginxProcess | null = null;
  try {
    gatehouse = await startGatehouse({
      workers: 2,
      env: { GATEHOUSE_SHUTDOWN_GRACE: String(options.graceSec), GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1/32' },
    });
    const [alice] = await createUsers(gatehouse.dataDir, [{ username: 'alice' }]);
    const pair = await request(`${gatehouse.url}/api/token/`, {
      body: { username: alice!.username, password: alice!.password },
    });
    const access = (pair.body as { access: string }).access;

    let port = gatehouse.port;
    let ca: string | undefined;
    if (options.via === 'nginx') {
      const certificate = selfSignedCertificate(dir);
      const [http, https] = [await freePort(), await freePort()];
      const site = adaptSite(shippedSite('gatehouse.conf'), {
        ports: { 80: http, 443: https, 8000: gatehouse.port },
        paths: {
          '/etc/ssl/gatehouse/fullchain.pem': certificate.certPath,
          '/etc/ssl/gatehouse/privkey.pem': certificate.keyPath,
          '/var/log/nginx/': dir + '/',
        },
      });
      nginx = await startNginx(nginxBinary()!, site, [https]);
      port = https;
      ca = certificate.pem;
    }

    const load = startLoad({
      port,
      ...(ca === undefined ? {} : { ca }),
      concurrency: options.concurrency,
      newConnectionPerRequest: options.newConnectionPerRequest,
      maxRequests: 200_000,
      requests: [
        { method: 'GET', path: '/api/hello/', headers: { authorization: `Bearer ${access}` } },
        // A POST too: Nginx never retries one that was sent, so only a clean reload keeps it whole.
        { method: 'POST', path: '/api/token/verify/', body: JSON.stringify({ token: access }) },
      ],
    });
    await sleep(1000);
    for (let i = 1; i <= options.reloads; i++) {
      process.kill(gatehouse.pid, 'SIGHUP');
      await waitForCount(gatehouse, 'reload complete', i);
      await sleep(700);
    }
    await sleep(500);
    const result = await load.stop();
    // The site logs to its own error_log (mapped into `dir`), retries included.
    const siteErrorLog = join(dir, 'gatehouse.error.log');
    const errorLog = existsSync(siteErrorLog) ? readFileSync(siteErrorLog, 'utf8') : '';
    return {
      options,
      reloadsCompleted: countLogs(gatehouse, 'reload complete'),
      workersStartedByReloads: gatehouse.logs.filter(
        (l) => l.msg === 'worker ready' && l['purpose'] === 'reload',
      ).length,
      load: result,
      nginxUpstreamErrors: errorLog.split('\n').filter((l) => /upstream/.test(l)),
    };
  } finally {
    await nginx?.stop();
    await gatehouse?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function countLogs(gatehouse: GatehouseProcess, msg: string): number {
  return gatehouse.logs.filter((l) => l.msg === msg).length;
}

async function waitForCount(gatehouse: GatehouseProcess, msg: string, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (countLogs(gatehouse, msg) < count) {
    if (Date.now() > deadline)
      throw new Error(`no ${count}th "${msg}" log line: ${gatehouse.stderr.join('\n')}`);
    await sleep(20);
  }
}
