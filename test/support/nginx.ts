/**
 * A real Nginx for end-to-end tests: the site files shipped in ops/nginx/, adapted only in ports and paths,
 * included from a minimal main configuration (what Debian's /etc/nginx/nginx.conf does for sites-enabled/),
 * run in the foreground from a temporary prefix and stopped by PID. Also: free ports, a self-signed
 * certificate for the TLS server block, and `nginx -t`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from './gatehouse-process.js';

export const OPS_NGINX = join(REPO_ROOT, 'ops', 'nginx');

/** The nginx binary, or null when it is not installed (`.ci/run` installs Debian's package). */
export function nginxBinary(): string | null {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'])
    if (existsSync(candidate)) return candidate;
  const found = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() !== '' ? found.stdout.trim() : null;
}

/** A port nothing listens on right now (bound and released; fine for tests on loopback). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Whether this host can bind ::1 (the shipped sites also listen on IPv6). */
export function hasIpv6Loopback(): boolean {
  return (
    existsSync('/proc/net/if_inet6') &&
    readFileSync('/proc/net/if_inet6', 'utf8').includes('00000000000000000000000000000001')
  );
}

export interface Certificate {
  readonly certPath: string;
  readonly keyPath: string;
  readonly pem: string;
}

/** A self-signed certificate for localhost / 127.0.0.1, made with the openssl command. */
export function selfSignedCertificate(dir: string): Certificate {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  return { certPath, keyPath, pem: readFileSync(certPath, 'utf8') };
}

export interface SiteAdaptation {
  /** Shipped port → test port, for `listen` lines and upstream `server 127.0.0.1:<port>` lines. */
  readonly ports: Readonly<Record<number, number>>;
  /** Shipped absolute path → test path (certificates, logs). */
  readonly paths?: Readonly<Record<string, string>>;
}

/**
 * The shipped site with only its ports and paths changed. IPv6 `listen` lines are dropped on hosts without an
 * IPv6 loopback (they would fail to bind, which says nothing about the site).
 */
export function adaptSite(site: string, adaptation: SiteAdaptation): string {
  let text = site;
  for (const [from, to] of Object.entries(adaptation.paths ?? {})) text = text.split(from).join(to);
  text = text.replace(
    /^(\s*listen\s+)(\[::\]:)?(\d+)\b/gm,
    (line, head: string, v6: string | undefined, port: string) => {
      const mapped = adaptation.ports[Number(port)];
      if (mapped === undefined) throw new Error(`no test port for "${line.trim()}"`);
      return `${head}${v6 ?? ''}${mapped}`;
    },
  );
  if (!hasIpv6Loopback()) text = text.replace(/^\s*listen\s+\[::\]:.*$/gm, '');
  text = text.replace(/(\bserver\s+127\.0\.0\.1:)(\d+)/g, (_all, head: string, port: string) => {
    const mapped = adaptation.ports[Number(port)];
    if (mapped === undefined) throw new Error(`no test port for upstream port ${port}`);
    return `${head}${mapped}`;
  });
  return text;
}

/** Reads a shipped site file of ops/nginx/. */
export function shippedSite(name: 'gatehouse.conf' | 'gatekeeper.conf'): string {
  return readFileSync(join(OPS_NGINX, name), 'utf8');
}

/** The main configuration around a site, as Debian's nginx.conf includes sites-enabled/ in `http`. */
function mainConfig(prefix: string, sitePath: string): string {
  const asRoot = process.getuid?.() === 0;
  return [
    // Workers as root only because the temporary prefix is private to the test's user.
    asRoot ? 'user root root;' : '',
    'worker_processes 1;',
    'daemon off;',
    `pid ${join(prefix, 'nginx.pid')};`,
    `error_log ${join(prefix, 'error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    `  access_log ${join(prefix, 'access.log')};`,
    `  client_body_temp_path ${join(prefix, 'client_body')};`,
    `  proxy_temp_path ${join(prefix, 'proxy')};`,
    `  fastcgi_temp_path ${join(prefix, 'fastcgi')};`,
    `  uwsgi_temp_path ${join(prefix, 'uwsgi')};`,
    `  scgi_temp_path ${join(prefix, 'scgi')};`,
    `  include ${sitePath};`,
    '}',
    '',
  ].join('\n');
}

export interface NginxPaths {
  readonly prefix: string;
  readonly config: string;
  readonly errorLog: string;
}

/** Writes the main configuration and the site into a new temporary prefix. */
export function writeNginxConfig(
  site: string,
  prefix = mkdtempSync(join(tmpdir(), 'gatehouse-nginx-')),
): NginxPaths {
  mkdirSync(prefix, { recursive: true });
  const sitePath = join(prefix, 'site.conf');
  writeFileSync(sitePath, site);
  const config = join(prefix, 'nginx.conf');
  writeFileSync(config, mainConfig(prefix, sitePath));
  return { prefix, config, errorLog: join(prefix, 'error.log') };
}

/** `nginx -t` on a site; returns its status and output. */
export function testNginxConfig(binary: string, site: string): { status: number | null; output: string } {
  const paths = writeNginxConfig(site);
  try {
    const run = spawnSync(binary, ['-t', '-p', paths.prefix, '-c', paths.config, '-e', paths.errorLog], {
      encoding: 'utf8',
    });
    return { status: run.status, output: run.stdout + run.stderr };
  } finally {
    rmSync(paths.prefix, { recursive: true, force: true });
  }
}

export class NginxProcess {
  constructor(
    readonly child: ChildProcess,
    readonly paths: NginxPaths,
  ) {}

  errorLog(): string {
    return existsSync(this.paths.errorLog) ? readFileSync(this.paths.errorLog, 'utf8') : '';
  }

  accessLog(): string {
    const path = join(this.paths.prefix, 'access.log');
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  }

  /** SIGQUIT (graceful), SIGKILL after 5 s; removes the prefix. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGQUIT');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.paths.prefix, { recursive: true, force: true });
  }
}

/** Starts Nginx in the foreground with the site and waits until every port in `ports` accepts connections. */
export async function startNginx(
  binary: string,
  site: string,
  ports: readonly number[],
): Promise<NginxProcess> {
  const paths = writeNginxConfig(site);
  const child = spawn(binary, ['-p', paths.prefix, '-c', paths.config, '-e', paths.errorLog], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const nginx = new NginxProcess(child, paths);
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    while (!(await accepts(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await nginx.stop();
        throw new Error(`nginx did not start: ${stderr.join('')} ${nginx.errorLog()}`);
      }
      await sleep(50);
    }
  }
  return nginx;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
