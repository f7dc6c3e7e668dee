/**
 * The reference deployment for differential and interoperability tests: Django 3.2 + Django REST framework
 * 3.14 + simplejwt 5.2.2 (Debian's packages, the versions CONTRACT.md was recorded from) serving the example API
 * of the contract from test/fixtures/drf-reference, on a free loopback port, with a SQLite file of its own in
 * a temporary folder. Stopped by PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  cleanEnv,
  GATEHOUSE_BIN,
  openTestStores,
  REPO_ROOT,
  startGatehouse,
  tempDataDir,
  TEST_SIGNING_KEY,
  type GatehouseProcess,
} from './gatehouse-process.js';
import { apiKeyHash } from '../../src/auth/api-keys/api-key.js';
import { freePort } from './redis-server.js';

/** Debian's interpreter, which sees Debian's python3-django* packages (a pyenv shim on PATH would not). */
const PYTHON = process.env['DRF_REFERENCE_PYTHON'] ?? '/usr/bin/python3';
const SERVE = join(REPO_ROOT, 'test', 'fixtures', 'drf-reference', 'serve.py');

export interface ReferenceUser {
  readonly username: string;
  readonly password: string;
  readonly is_staff?: boolean;
  readonly is_active?: boolean;
  /** A DRF authtoken key (40 characters at most), given to the user on both sides. */
  readonly api_key?: string;
}

/** Authentication schemes by Gatehouse's names (authenticationSchemes), in order. */
export type SchemeName = 'jwt' | 'basic' | 'apikey';

export interface DrfReference {
  readonly url: string;
  /** The folder of its SQLite database (`db.sqlite3`, a Django user table Gatehouse can import). */
  readonly dataDir: string;
  readonly databaseFile: string;
  stop(): Promise<void>;
}

/** Why the reference cannot run here, or null when it can (`.ci/run` installs its packages). */
export function drfReferenceMissing(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import django, rest_framework, rest_framework_simplejwt, jwt'], {
    stdio: 'ignore',
  });
  return probe.status === 0
    ? null
    : `${PYTHON} with python3-djangorestframework-simplejwt is not installed (.ci/run installs it)`;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Migrates a fresh database, creates `users` (ids 1, 2, … in order) and serves until stop(). Resolves once the
 * server answers HTTP.
 */
export async function startDrfReference(
  signingKey: string,
  users: readonly ReferenceUser[],
  schemes: readonly SchemeName[] = ['jwt'],
  rates = 'anon=1000/min,user=100000/min,limited=5/min',
): Promise<DrfReference> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-drf-'));
  const port = await freePort();
  const child = spawn(PYTHON, [SERVE, String(port)], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      DRF_REFERENCE_SIGNING_KEY: signingKey,
      DRF_REFERENCE_DATA_DIR: dataDir,
      DRF_REFERENCE_SCHEMES: schemes.join(','),
      DRF_REFERENCE_RATES: rates,
      PYTHONDONTWRITEBYTECODE: '1',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin!.end(JSON.stringify(users));
  const output: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited(child);
    clearTimeout(timer);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the reference printed no "ready" within 60 s')),
        60_000,
      );
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line !== 'ready') return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the reference exited with ${code}: ${output.join('')}`));
      });
    });
    // "ready" comes before the server binds its port: poll until it answers (a 405 of a route no throttle
    // counts, so the tests find every quota untouched).
    for (let attempt = 0; ; attempt++) {
      try {
        await fetch(`${url}/api/token/`);
        break;
      } catch (error) {
        if (attempt > 200 || child.exitCode !== null) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, dataDir, databaseFile: join(dataDir, 'db.sqlite3'), stop };
}

export interface ReferenceAndGatehouse {
  readonly reference: DrfReference;
  readonly gatehouse: GatehouseProcess;
  stop(): Promise<void>;
}

/**
 * The reference with `users`, and beside it a Gatehouse cluster (2 workers) on the same signing key and
 * authentication schemes whose data directory starts from `gatehouse user import` of the reference's
 * database: the same users, ids and (Django pbkdf2) password hashes, and the same API keys (stored the
 * Gatehouse way, as digests).
 */
export async function startBesideReference(
  users: readonly ReferenceUser[],
  env: Readonly<Record<string, string>> = {},
  schemes: readonly SchemeName[] = ['jwt'],
  rates?: string,
): Promise<ReferenceAndGatehouse> {
  const reference = await startDrfReference(TEST_SIGNING_KEY, users, schemes, rates);
  try {
    const dataDir = tempDataDir();
    const imported = spawnSync(
      process.execPath,
      [GATEHOUSE_BIN, 'user', 'import', reference.databaseFile, '--data-dir', dataDir],
      { cwd: REPO_ROOT, env: cleanEnv(), encoding: 'utf8' },
    );
    if (imported.status !== 0) throw new Error(`gatehouse user import failed: ${imported.stderr}`);
    await giveApiKeys(dataDir, users);
    const gatehouse = await startGatehouse({
      workers: 2,
      dataDir,
      env: {
        GATEHOUSE_AUTHENTICATION_SCHEMES: schemes.join(','),
        ...(rates === undefined ? {} : { GATEHOUSE_THROTTLE_RATES: rates }),
        ...env,
      },
    });
    return {
      reference,
      gatehouse,
      async stop() {
        await gatehouse.stop();
        await reference.stop();
      },
    };
  } catch (error) {
    await reference.stop();
    throw error;
  }
}

async function giveApiKeys(dataDir: string, users: readonly ReferenceUser[]): Promise<void> {
  const stores = openTestStores(dataDir);
  try {
    for (const user of users) {
      if (user.api_key === undefined) continue;
      const record = await stores.users.findByUsername(user.username);
      if (record === null) throw new Error(`${user.username} was not imported`);
      await stores.apiKeys.create(
        record.id,
        apiKeyHash(user.api_key),
        user.api_key.slice(0, 8),
        null,
        new Date().toISOString(),
      );
    }
  } finally {
    stores.close();
  }
}
