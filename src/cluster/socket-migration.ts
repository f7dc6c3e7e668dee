/**
 * All workers listen on one port with SO_REUSEPORT: the kernel spreads new connections over their listening
 * sockets. When one of those sockets closes (a worker retired by a reload, or a worker that died), the
 * connections waiting in its accept queue — handshake done, not yet accepted by the worker — are reset, unless
 * `net.ipv4.tcp_migrate_req` is 1 (Linux ≥ 5.14): then the kernel moves them to another listener of the group.
 * It is 0 by default, so the supervisor checks it at start and says what to do (ops/sysctl/60-gatehouse.conf).
 * The setting is per network namespace and covers IPv6 too (the TCP code is shared).
 */
import { readFileSync } from 'node:fs';

export const TCP_MIGRATE_REQ = '/proc/sys/net/ipv4/tcp_migrate_req';

export type SocketMigration = 'on' | 'off' | 'unsupported';

export function socketMigration(
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): SocketMigration {
  if (process.platform !== 'linux') return 'unsupported';
  try {
    return read(TCP_MIGRATE_REQ).trim() === '0' ? 'off' : 'on';
  } catch {
    return 'unsupported';
  }
}

/** The start-up warning for a state, or null when connections migrate. */
export function socketMigrationWarning(state: SocketMigration): string | null {
  switch (state) {
    case 'on':
      return null;
    case 'off':
      return (
        'net.ipv4.tcp_migrate_req is 0: connections waiting in the accept queue of a worker that stops (reload, crash) ' +
        'are reset instead of moving to another worker. Set it to 1: install ops/sysctl/60-gatehouse.conf ' +
        '(or run sysctl -w net.ipv4.tcp_migrate_req=1)'
      );
    case 'unsupported':
      return (
        'this kernel cannot migrate queued connections between listening sockets (Linux >= 5.14 with ' +
        'net.ipv4.tcp_migrate_req=1): a reload or a worker crash may reset a few connections; keep Nginx retries on'
      );
  }
}
