/**
 * Readiness notification for systemd (`Type=notify`) without native code. The protocol is a datagram on the
 * AF_UNIX socket named by NOTIFY_SOCKET, which Node cannot send (its dgram module speaks UDP only), so the
 * supervisor runs systemd's own `systemd-notify` for each message. The message then comes from another PID
 * than the service's main process, which systemd accepts with `NotifyAccess=all` (ops/systemd/gatehouse.service);
 * `systemd-notify` (systemd ≥ 246) waits until the manager has read the message, so it cannot be dropped for
 * coming from a process that already exited.
 *
 * Messages are sent one at a time, in order (RELOADING=1 must not overtake the READY=1 before it).
 * Without NOTIFY_SOCKET (not started by systemd) every call does nothing.
 */
import { spawn } from 'node:child_process';
import type { Logger } from '../log/logger.js';

export interface Notifier {
  ready(status: string): void;
  reloading(): void;
  status(status: string): void;
  stopping(): void;
  /** Resolves when every queued message was handed over (or failed). */
  flush(): Promise<void>;
}

const NOOP: Notifier = {
  ready() {},
  reloading() {},
  status() {},
  stopping() {},
  flush: () => Promise.resolve(),
};

/** `notifySocket`: the NOTIFY_SOCKET systemd set (null when not run by systemd). */
export function createNotifier(
  notifySocket: string | null,
  logger: Logger,
  command = 'systemd-notify',
): Notifier {
  if (notifySocket === null || notifySocket === '') return NOOP;
  let queue: Promise<void> = Promise.resolve();
  let warned = false;

  const send = (args: string[]): void => {
    queue = queue.then(
      () =>
        new Promise<void>((resolve) => {
          const child = spawn(command, args, { stdio: 'ignore' });
          child.on('error', (error) => {
            if (!warned)
              logger.warn({ err: error, command }, 'cannot notify systemd (is systemd-notify installed?)');
            warned = true;
            resolve();
          });
          child.on('exit', (code) => {
            if (code !== 0 && !warned) {
              logger.warn({ command, code }, 'systemd-notify failed; is NotifyAccess=all set in the unit?');
              warned = true;
            }
            resolve();
          });
        }),
    );
  };

  return {
    ready: (status) => send(['--ready', `--status=${status}`]),
    // systemd ≥ 253 wants the CLOCK_MONOTONIC time of the reload request with RELOADING=1; older ones ignore it.
    // process.hrtime is CLOCK_MONOTONIC on Linux.
    reloading: () =>
      send(['RELOADING=1', `MONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`, '--status=reloading']),
    status: (status) => send([`--status=${status}`]),
    stopping: () => send(['STOPPING=1', '--status=stopping']),
    flush: () => queue,
  };
}
