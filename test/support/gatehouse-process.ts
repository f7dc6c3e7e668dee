/**
 * Starts the real server for end-to-end tests: `bin/gatehouse serve` as a child process (supervisor + worker
 * processes, real uWS, a real SQLite file in a temporary data directory) on a free port, and stops it.
 * Users are created through the same store code the CLI uses, on the same database file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createPasswordHasher } from '../../src/auth/passwords/index.js';
import { migrate } from '../../src/store/sqlite/migrations.js';
import { databasePath, openDatabase } from '../../src/store/sqlite/open-database.js';
import { SqliteStores } from '../../src/store/sqlite/sqlite-stores.js';
import type { UserStore } from '../../src/store/types.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const GATEHOUSE_BIN = join(REPO_ROOT, 'bin', 'gatehouse');
export const TEST_SIGNING_KEY = 'test-signing-key-0123456789abcdef0123456789abcdef';

/** Cheap argon2 parameters so tests spend their time on behaviour, not hashing. */
export const FAST_PASSWORD_ENV = {
  GATEHOUSE_PASSWORD_MEMORY_COST: '1024',
  GATEHOUSE_PASSWORD_TIME_COST: '1',
};

export interface StartOptions {
  readonly workers?: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly args?: readonly string[];
  readonly dataDir?: string;
  /** Keep the data directory after stop (the caller removes it). */
  readonly keepDataDir?: boolean;
}

export interface LogLine {
  readonly [key: string]: unknown;
  readonly msg?: string;
}

export class GatehouseProcess {
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  private exitPromise: Promise<number | null>;
  private logWaiters: { test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
    private readonly keepDataDir: boolean,
    public port = 0,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        parsed = { msg: line, raw: true };
      }
      this.logs.push(parsed);
      this.logWaiters = this.logWaiters.filter((w) => (w.test(parsed) ? (w.resolve(parsed), false) : true));
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.stderr.push(line));
    this.exitPromise = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the first log line (already seen or future) that passes `test`. */
  waitForLog(test: (line: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    const seen = this.logs.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${this.stderr.join('\n')}`)),
        timeoutMs,
      );
      // A server that exits first settles the caller through exited(); this timer must not hold the test open.
      timer.unref();
      this.logWaiters.push({
        test,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  workerPids(): number[] {
    const pids = new Map<number, number>();
    for (const l of this.logs)
      if (l.msg === 'worker ready') pids.set(l['slot'] as number, l['workerPid'] as number);
    return [...pids.values()];
  }

  exited(): Promise<number | null> {
    return this.exitPromise;
  }

  /** SIGTERM, wait for the exit status, remove the data directory. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    const code = await this.exitPromise;
    clearTimeout(timer);
    if (!this.keepDataDir) rmSync(this.dataDir, { recursive: true, force: true });
    return code;
  }
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
}

export async function startGatehouse(options: StartOptions = {}): Promise<GatehouseProcess> {
  const dataDir = options.dataDir ?? tempDataDir();
  const child = spawn(
    process.execPath,
    [
      GATEHOUSE_BIN,
      'serve',
      '--port',
      '0',
      '--workers',
      String(options.workers ?? 2),
      '--data-dir',
      dataDir,
      ...(options.args ?? []),
    ],
    {
      cwd: REPO_ROOT,
      env: {
        ...cleanEnv(),
        GATEHOUSE_SIGNING_KEY: TEST_SIGNING_KEY,
        GATEHOUSE_ACCESS_LOG: 'false',
        ...FAST_PASSWORD_ENV,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const server = new GatehouseProcess(child, dataDir, options.keepDataDir ?? false);
  const started = await Promise.race([
    server.waitForLog((l) => l.msg === 'listening', 30_000),
    server.exited().then((code) => {
      throw new Error(
        `gatehouse exited with ${code} before listening: ${server.stderr.join('\n')} ${JSON.stringify(server.logs)}`,
      );
    }),
  ]);
  server.port = started['port'] as number;
  return server;
}

/** The environment without GATEHOUSE_* variables of the developer's shell (they would change the tests). */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_')) env[k] = v;
  return env;
}

export interface TestUser {
  readonly id: number;
  readonly username: string;
  readonly password: string;
}

export interface NewTestUser {
  readonly username: string;
  /** Default: `<username>-password`. */
  readonly password?: string;
  readonly isStaff?: boolean;
  readonly isActive?: boolean;
}

/** Creates users directly in the server's SQLite file, as `gatehouse user create` would. */
export async function createUsers(dataDir: string, users: readonly NewTestUser[]): Promise<TestUser[]> {
  const db = openDatabase(databasePath(dataDir));
  migrate(db);
  const stores = new SqliteStores(db);
  try {
    return await addUsers(stores.users, users);
  } finally {
    stores.close();
  }
}

/**
 * Creates users in any user store (SQLite or PostgreSQL), their passwords hashed with the cheap argon2
 * parameters of FAST_PASSWORD_ENV (a hash keeps its parameters, so the server verifies it as it is).
 */
export async function addUsers(store: UserStore, users: readonly NewTestUser[]): Promise<TestUser[]> {
  const hasher = await createPasswordHasher({
    memoryCostKiB: 1024,
    timeCost: 1,
    parallelism: 1,
    maxPasswordLength: 1024,
  });
  const created: TestUser[] = [];
  for (const u of users) {
    const password = u.password ?? `${u.username}-password`;
    const record = await store.create({
      username: u.username,
      passwordHash: await hasher.hash(password),
      isActive: u.isActive ?? true,
      isStaff: u.isStaff ?? false,
      isSuperuser: false,
    });
    created.push({ id: record.id, username: record.username, password });
  }
  return created;
}

/** Opens the server's database for assertions (closed by the caller). */
export function openTestStores(dataDir: string): SqliteStores {
  return new SqliteStores(openDatabase(databasePath(dataDir)));
}
