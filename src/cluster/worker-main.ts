/**
 * Entry point of a worker process. It waits for the supervisor's `start` message (configuration, shared-memory
 * handles, port), builds the application, listens, and reports `ready`. On `stop` it drains and exits 0.
 * A worker never outlives its supervisor: when the IPC channel closes it stops too.
 */
import { buildApp, type App } from '../app/build-app.js';
import { createLogger, type Logger } from '../log/logger.js';
import { connectToSupervisor, sayFarewell } from '../metrics/worker-link.js';
import { openStores } from '../store/open-stores.js';
import type { SupervisorMessage, WorkerMessage } from './messages.js';
import { lowerHashingPriority } from './hashing-priority.js';
import { attachSharedState } from './shared-state.js';
import { completeConfig } from './worker-config.js';
import { codeRoot } from './worker-script.js';

let app: App | null = null;
let logger: Logger = createLogger('info', { role: 'worker' });
let stopping = false;
/** The configured grace, once known (a SIGTERM sent to the worker directly uses it too). */
let shutdownGraceMs = 5000;

function send(message: WorkerMessage): void {
  process.send?.(message);
}

async function start(message: Extract<SupervisorMessage, { type: 'start' }>): Promise<void> {
  const config = completeConfig(message.config);
  shutdownGraceMs = config.shutdownGraceMs;
  logger = createLogger(config.logLevel, { role: 'worker', worker: message.workerId });
  const shared = attachSharedState(message.shared);
  const { stores } = await openStores(config);
  app = await buildApp({
    config,
    stores,
    shared,
    logger,
    requestIdPrefix: `${process.pid.toString(36)}-`,
  });
  connectToSupervisor(app, message.workerId);
  if (config.passwordHashingNice > 0) {
    const result = await lowerHashingPriority(config.passwordHashingNice);
    logger.debug({ ...result, nice: config.passwordHashingNice }, 'password hashing threads reniced');
  }
  const port = await app.server.listen(config.host, message.port);
  send({ type: 'ready', port, codeRoot: codeRoot() });
}

async function stop(graceMs: number, drainMs: number): Promise<never> {
  if (stopping) return new Promise<never>(() => {});
  stopping = true;
  // Closed before the log line is written: whoever reads "draining" knows this worker accepts nothing new.
  app?.server.stopAccepting();
  logger.info({ inFlight: app?.server.requestsInFlight ?? 0, graceMs, drainMs }, 'draining');
  if (app !== null) {
    await app.server.stop(graceMs, drainMs);
    await sayFarewell();
    await app.close();
  }
  logger.flush();
  process.exit(0);
}

process.on('message', (message: SupervisorMessage) => {
  if (message.type === 'start') {
    start(message).catch((error: unknown) => {
      const text = error instanceof Error ? error.message : String(error);
      logger.fatal({ err: error }, 'worker failed to start');
      send({ type: 'fatal', message: text });
      setTimeout(() => process.exit(1), 50);
    });
  } else if (message.type === 'stop') {
    void stop(message.graceMs, message.drainMs);
  }
});

// The supervisor is gone (killed, or crashed): nobody will restart or stop us, so stop now.
process.on('disconnect', () => void stop(1000, 0));
// Signals sent to the whole process group (Ctrl-C, a closing terminal, `kill -HUP -<pgid>`) reach the workers
// too; the supervisor coordinates stops and reloads, so the workers ignore them.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
// Under systemd, KillMode=mixed sends SIGTERM to the supervisor only; with another KillMode (or a kill by
// hand) the worker stops by itself like the supervisor would have stopped it.
process.on('SIGTERM', () => void stop(shutdownGraceMs, 0));
process.on('uncaughtException', (error) => {
  // State is unknown after an uncaught exception: log, exit, and let the supervisor start a fresh worker.
  logger.fatal({ err: error }, 'uncaught exception');
  logger.flush();
  process.exit(1);
});
process.on('unhandledRejection', (error) => {
  logger.error({ err: error }, 'unhandled rejection');
});
