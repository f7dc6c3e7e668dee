/**
 * BENCH_NGINX=1: a temporary Nginx in front of Gatehouse, as it is deployed. The shipped site file
 * (ops/nginx/gatehouse.conf) is used with its ports and paths adapted (listen on a free loopback port, the
 * upstream pointed at the bench server, TLS and log lines dropped); when it is missing or does not pass
 * `nginx -t` after adaptation, a minimal proxy configuration is written instead and the report says so.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../peers/free-port.js';

export interface NginxFront {
  readonly port: number;
  /** Which configuration is in use, for the report. */
  readonly note: string;
  stop(): Promise<void>;
}

const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx'];

function nginxBinary(): string {
  const found = NGINX_CANDIDATES.find((p) => existsSync(p));
  if (found === undefined)
    throw new Error('BENCH_NGINX=1 but nginx is not installed (Debian: apt-get install nginx)');
  return found;
}

function minimalSite(listenPort: number, upstreamPort: number): string {
  return `upstream gatehouse_bench {
  server 127.0.0.1:${upstreamPort};
  keepalive 64;
}
server {
  listen 127.0.0.1:${listenPort};
  location / {
    proxy_pass http://gatehouse_bench;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $remote_addr;
  }
}
`;
}

/** Top-level blocks of an Nginx file (`upstream x {…}`, `server {…}`), comments removed. */
function topLevelBlocks(text: string): { header: string; body: string }[] {
  const clean = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join('\n');
  const blocks: { header: string; body: string }[] = [];
  let depth = 0;
  let header = '';
  let start = 0;
  for (let i = 0; i < clean.length; i++) {
    const ch = clean[i];
    if (ch === '{') {
      if (depth === 0) start = i + 1;
      depth++;
    } else if (ch === '}') {
      depth--;
      if (depth === 0) {
        blocks.push({ header: header.trim(), body: clean.slice(start, i) });
        header = '';
      }
    } else if (depth === 0) header = ch === ';' ? '' : header + ch;
  }
  return blocks;
}

/**
 * The shipped site adapted to the bench: its upstream blocks pointed at the bench server, and the server block
 * that proxies (the HTTPS one; the port-80 redirect is dropped) listening on a free loopback port in plain
 * HTTP, with its TLS lines removed and its logs off or in the temporary directory. Everything else (keep-alive
 * to the upstream, headers, timeouts, body limit) is kept as shipped.
 */
function adaptShipped(text: string, listenPort: number, upstreamPort: number, dir: string): string | null {
  const blocks = topLevelBlocks(text);
  const upstreams = blocks.filter((b) => b.header.startsWith('upstream'));
  const proxying = blocks.find((b) => b.header === 'server' && b.body.includes('proxy_pass'));
  if (upstreams.length === 0 || proxying === undefined) return null;
  const upstreamText = upstreams.map(
    (b) =>
      `${b.header} {${b.body.replace(/server\s+(127\.0\.0\.1|localhost|\[::1\]):\d+/g, `server 127.0.0.1:${upstreamPort}`)}}`,
  );
  let listenDone = false;
  const serverBody = proxying.body
    .split('\n')
    .map((line) => {
      const trimmed = line.trim();
      if (/^listen\s/.test(trimmed)) {
        if (listenDone) return '';
        listenDone = true;
        return `    listen 127.0.0.1:${listenPort};`;
      }
      if (/^ssl_|^http2\b/.test(trimmed)) return '';
      if (/^access_log\s/.test(trimmed)) return '    access_log off;';
      if (/^error_log\s/.test(trimmed)) return `    error_log ${join(dir, 'error.log')} warn;`;
      return line;
    })
    .join('\n');
  return [...upstreamText, `server {${serverBody}}`].join('\n') + '\n';
}

function mainConfig(dir: string, site: string): string {
  const runAsRoot = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `${runAsRoot}worker_processes auto;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  include ${site};
}
`;
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nginx is not listening on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startNginxFront(repoRoot: string, upstreamPort: number): Promise<NginxFront> {
  const nginx = nginxBinary();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  const port = await findFreePort();
  const site = join(dir, 'site.conf');
  const conf = join(dir, 'nginx.conf');
  const shipped = join(repoRoot, 'ops', 'nginx', 'gatehouse.conf');
  const test = (): boolean => {
    try {
      execFileSync(nginx, ['-t', '-q', '-p', dir, '-c', conf], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };

  let note: string;
  writeFileSync(conf, mainConfig(dir, site));
  const adapted = existsSync(shipped)
    ? adaptShipped(readFileSync(shipped, 'utf8'), port, upstreamPort, dir)
    : null;
  if (adapted !== null) {
    writeFileSync(site, adapted);
    note =
      'Gatehouse via Nginx: ops/nginx/gatehouse.conf, its HTTPS server block served in plain HTTP on a loopback port ' +
      '(TLS lines and the port-80 redirect dropped, access log off, upstream pointed at the bench server), worker_processes auto; server CPU counts the Gatehouse workers only';
    if (!test()) {
      writeFileSync(site, minimalSite(port, upstreamPort));
      note =
        'Gatehouse via Nginx: a minimal proxy configuration (keep-alive upstream), because ops/nginx/gatehouse.conf ' +
        'did not pass nginx -t once adapted; worker_processes auto';
    }
  } else {
    writeFileSync(site, minimalSite(port, upstreamPort));
    note =
      'Gatehouse via Nginx: a minimal proxy configuration (keep-alive upstream), because ops/nginx/gatehouse.conf ' +
      'is missing or has no proxying server block; worker_processes auto';
  }
  if (!test()) throw new Error(`the temporary nginx configuration in ${dir} does not pass nginx -t`);

  const child = spawn(nginx, ['-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await waitForPort(port, 10_000);
  return {
    port,
    note,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
