/**
 * A real PostgreSQL for tests: initdb in a temporary folder, then `postgres` on a free loopback port with its
 * unix socket in that folder, durability switched off (tests only), stopped by PID (SIGINT: fast shutdown).
 *
 * PostgreSQL refuses to run as root. Under root (CI containers) both programs run as the unprivileged user
 * `nobody` (uid/gid 65534) through util-linux's setpriv, which execs in place, so the PID we hold is the
 * postmaster itself; the folder is handed to that user first. Otherwise they run as the current user.
 * The server trusts local connections (`--auth=trust`): no password in any URL.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './redis-server.js';

const UNPRIVILEGED = 65534;
const SUPERUSER = 'gatehouse';

export interface PostgresServer {
  readonly port: number;
  readonly pid: number;
  /** URL of a database (default: the `postgres` database initdb creates). */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** The folder of initdb/postgres: the newest Debian /usr/lib/postgresql/<version>/bin, else PATH. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(root, versions[0]!, 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const path = which.stdout.trim();
  return which.status === 0 && path.length > 0 ? path.slice(0, path.lastIndexOf('/')) : null;
}

export function postgresAvailable(): boolean {
  return (
    postgresBinDir() !== null &&
    (process.getuid?.() !== 0 || spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0)
  );
}

const asRoot = (): boolean => process.getuid?.() === 0;

/** The command line that runs `program` as an unprivileged user when we are root. */
function command(program: string, args: string[]): [string, string[]] {
  if (!asRoot()) return [program, args];
  return [
    'setpriv',
    [`--reuid=${UNPRIVILEGED}`, `--regid=${UNPRIVILEGED}`, '--clear-groups', program, ...args],
  ];
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (bin === null) throw new Error('PostgreSQL is not installed (initdb not found)');
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  if (asRoot()) chownSync(dir, UNPRIVILEGED, UNPRIVILEGED);
  const dataDir = join(dir, 'data');
  const [initdb, initArgs] = command(join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    SUPERUSER,
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-locale',
    '--no-sync',
  ]);
  const init = spawnSync(initdb, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr}`);
  }
  const port = await freePort();
  const [postgres, args] = command(join(bin, 'postgres'), [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=${dir}`,
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=300',
  ]);
  const child = spawn(postgres, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  await ready(child);
  const url = (database = 'postgres'): string => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
  return {
    port,
    pid: child.pid!,
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function ready(child: ChildProcess): Promise<void> {
  const output: string[] = [];
  let started = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`postgres did not start within 20 s: ${output.join('')}`));
    }, 20_000);
    // The pipe is drained for the server's whole life (a full pipe would block its logging), kept only until ready.
    child.stderr!.on('data', (chunk: Buffer) => {
      if (started) return;
      output.push(chunk.toString());
      if (output.join('').includes('database system is ready to accept connections')) {
        started = true;
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`postgres exited with ${code}: ${output.join('')}`));
    });
  });
}
