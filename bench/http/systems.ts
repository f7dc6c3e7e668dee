/**
 * The servers a benchmark run compares, each started as its own process tree and stopped by PID:
 *  - gatehouse: `bin/gatehouse serve` (supervisor + worker processes, SO_REUSEPORT, embedded SQLite);
 *  - bare-uws: bench/peers/bare-uws.js, uWS answering a fixed body (the ceiling for Node on this machine);
 *  - fastify: bench/peers/fastify-cluster.js, Fastify + @fastify/jwt + @fastify/rate-limit on node:cluster.
 * All three print the same JSON log lines ("worker ready" with workerPid, "listening" with port), so one
 * reader serves them all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const SYSTEM_NAMES = ['gatehouse', 'bare-uws', 'fastify'] as const;
export type SystemName = (typeof SYSTEM_NAMES)[number];
/** A system as it appears in the results: gatehouse-nginx is Gatehouse behind Nginx (BENCH_NGINX=1). */
export type SystemLabel = SystemName | 'gatehouse-nginx';

export const SYSTEM_TITLES: Readonly<Record<SystemLabel, string>> = {
  gatehouse: 'Gatehouse',
  'gatehouse-nginx': 'Gatehouse via Nginx',
  'bare-uws': 'bare uWS (ceiling)',
  fastify: 'Fastify + jwt + rate-limit',
};

export interface RunningSystem {
  readonly name: SystemLabel;
  readonly workers: number;
  readonly baseUrl: string;
  /** The processes that answer requests (the workers), for RSS and CPU sampling. */
  readonly workerPids: readonly number[];
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const PEERS_DIR = fileURLToPath(new URL('../peers/', import.meta.url));

interface LogLine {
  readonly msg?: string;
  readonly [key: string]: unknown;
}

/** Starts a server process and resolves once it logged `listening` and `workers` "worker ready" lines. */
export function startServerProcess(
  name: SystemLabel,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  workers: number,
): Promise<RunningSystem> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pids = new Map<unknown, number>();
  const stderr: string[] = [];
  let port = 0;
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start: ${why}\n${stderr.slice(-20).join('\n')}`));
    };
    const timer = setTimeout(
      () => fail(`not listening within ${START_TIMEOUT_MS / 1000} s`),
      START_TIMEOUT_MS,
    );
    const check = (): void => {
      if (port === 0 || pids.size < workers) return;
      clearTimeout(timer);
      resolve({
        name,
        workers,
        baseUrl: `http://127.0.0.1:${port}`,
        workerPids: [...pids.values()],
        stop: () => stopProcess(child, exited),
      });
    };
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        return;
      }
      if (parsed.msg === 'worker ready' && typeof parsed['workerPid'] === 'number')
        pids.set(parsed['slot'] ?? parsed['workerPid'], parsed['workerPid']);
      if (parsed.msg === 'listening' && typeof parsed['port'] === 'number') port = parsed['port'];
      check();
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (stderr.length < 200) stderr.push(line);
    });
    child.on('error', (error) => fail(error.message));
    child.on('exit', (code, signal) => {
      if (port === 0 || pids.size < workers) fail(`exited with ${signal ?? code}`);
    });
  });
}

async function stopProcess(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

export interface GatehouseLaunch {
  readonly repoRoot: string;
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
}

export function startGatehouse(launch: GatehouseLaunch, workers: number): Promise<RunningSystem> {
  const bin = join(launch.repoRoot, 'bin', 'gatehouse');
  const args = [bin, 'serve', '--port', '0', '--workers', String(workers), '--data-dir', launch.dataDir];
  return startServerProcess('gatehouse', process.execPath, args, launch.env, workers);
}

export function startBareUws(workers: number): Promise<RunningSystem> {
  return startServerProcess(
    'bare-uws',
    process.execPath,
    [join(PEERS_DIR, 'bare-uws.js'), '--workers', String(workers)],
    peerEnv(),
    workers,
  );
}

/** Fastify verifies the same HS256 tokens: it is given Gatehouse's signing secret. */
export function startFastify(workers: number, secret: string): Promise<RunningSystem> {
  const args = [join(PEERS_DIR, 'fastify-cluster.js'), '--workers', String(workers)];
  return startServerProcess(
    'fastify',
    process.execPath,
    args,
    { ...peerEnv(), BENCH_JWT_SECRET: secret },
    workers,
  );
}

function peerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('GATEHOUSE_') && !k.startsWith('BENCH_')) env[k] = v;
  return env;
}
