/**
 * The cluster supervisor (`gatehouse serve`): runs one worker process per slot, all serving one port through
 * SO_REUSEPORT; replaces a worker that dies, with exponential backoff; gives up with a non-zero exit when
 * workers keep dying (a crash loop, so systemd can act); turns SIGTERM/SIGINT into one graceful stop and SIGHUP
 * into a rolling reload. It also owns the duties that must run in one process only (token pruning, WAL
 * checkpoints) and the shared memory the workers map.
 *
 * Workers are processes, not threads: with this uWebSockets.js build a worker thread that exits with open
 * sockets aborts the whole process, so only processes isolate crashes (docs/architecture.md).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config-types.js';
import type { Logger } from '../log/logger.js';
import { openStores } from '../store/open-stores.js';
import type { Stores } from '../store/types.js';
import type { SupervisorMessage, WorkerMessage } from './messages.js';
import { createSharedState, type SharedStateHandle } from './shared-state.js';

const WORKER_SCRIPT = fileURLToPath(new URL('./worker-main.js', import.meta.url));
const READY_TIMEOUT_MS = 30_000;
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 10_000;
const CHECKPOINT_INTERVAL_MS = 30_000;

interface WorkerHandle {
  readonly id: number;
  readonly slot: number;
  readonly child: ChildProcess;
  readonly startedAt: number;
  ready: boolean;
  /** Set when the supervisor asked it to stop: its exit is then not a crash. */
  retiring: boolean;
}

export interface SupervisorOptions {
  readonly config: Config;
  /** Re-reads and validates configuration for SIGHUP; throws (ConfigError) when it is bad. */
  readonly reloadConfig: () => Config;
  readonly logger: Logger;
  /** Called when the supervisor decides to exit (after stopping every worker). */
  readonly onExit: (code: number) => void;
}

export type ReloadState = 'idle' | 'reloading';

export class Supervisor {
  private config: Config;
  private readonly logger: Logger;
  private readonly slots: (WorkerHandle | null)[];
  private readonly failuresBySlot: number[];
  private readonly deaths: number[] = [];
  private nextWorkerId = 1;
  private port = 0;
  private shared: SharedStateHandle | null = null;
  private stores: Stores | null = null;
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private reloadState: ReloadState = 'idle';
  readonly startedAt = Date.now();

  constructor(private readonly options: SupervisorOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.slots = new Array<WorkerHandle | null>(this.config.workers).fill(null);
    this.failuresBySlot = new Array<number>(this.config.workers).fill(0);
  }

  get listeningPort(): number {
    return this.port;
  }

  get state(): ReloadState {
    return this.reloadState;
  }

  workers(): readonly WorkerHandle[] {
    return this.slots.filter((w): w is WorkerHandle => w !== null);
  }

  /** Starts every worker and resolves with the port once all are ready. */
  async start(): Promise<number> {
    const { stores } = await openStores(this.config);
    this.stores = stores;
    this.shared = createSharedState(this.config);
    // uWS sets SO_REUSEPORT only for a fixed port (binding port 0 gives each worker its own random port), so
    // "any free port" is chosen here once and every worker binds that one.
    this.port = this.config.port === 0 ? await findFreePort(this.config.host) : this.config.port;
    await Promise.all(this.slots.map((_, i) => this.spawn(i)));
    this.startDuties();
    return this.port;
  }

  private spawn(slot: number): Promise<{ port: number }> {
    const id = this.nextWorkerId++;
    const child = fork(WORKER_SCRIPT, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: process.execArgv, env: process.env });
    const handle: WorkerHandle = { id, slot, child, startedAt: Date.now(), ready: false, retiring: false };
    forwardLines(child.stdout!, process.stdout);
    forwardLines(child.stderr!, process.stderr);
    const previous = this.slots[slot];
    if (previous === null || previous === undefined || !previous.retiring) this.slots[slot] = handle;

    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.logger.error({ worker: id, slot }, 'worker did not become ready in time; killing it');
        child.kill('SIGKILL');
      }, READY_TIMEOUT_MS);
      child.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          handle.ready = true;
          this.slots[slot] = handle;
          this.logger.info({ worker: id, slot, workerPid: child.pid, port: message.port }, 'worker ready');
          resolve({ port: message.port });
        } else if (message.type === 'fatal') {
          clearTimeout(timer);
          reject(new Error(`worker ${id} could not start: ${message.message}`));
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (!handle.ready) reject(new Error(`worker ${id} exited before it was ready (${signal ?? code})`));
        this.onWorkerExit(handle, code, signal);
      });
      const start: SupervisorMessage = { type: 'start', workerId: id, config: this.config, port: this.port, shared: this.shared!.descriptor };
      child.send(start);
    });
  }

  private onWorkerExit(handle: WorkerHandle, code: number | null, signal: NodeJS.Signals | null): void {
    if (handle.retiring || this.stopping) {
      if (this.slots[handle.slot] === handle) this.slots[handle.slot] = null;
      return;
    }
    if (this.slots[handle.slot] === handle) this.slots[handle.slot] = null;
    const now = Date.now();
    this.deaths.push(now);
    while (this.deaths.length > 0 && this.deaths[0]! < now - this.config.crashLoopWindowMs) this.deaths.shift();
    this.logger.error({ worker: handle.id, slot: handle.slot, code, signal, workerPid: handle.child.pid }, 'worker died');
    if (this.deaths.length >= this.config.crashLoopMaxRestarts) {
      this.logger.fatal(
        { deaths: this.deaths.length, windowMs: this.config.crashLoopWindowMs },
        `crash loop: ${this.deaths.length} worker deaths within ${this.config.crashLoopWindowMs / 1000}s; stopping the service`,
      );
      void this.stop(1);
      return;
    }
    // A worker that ran for a while before dying resets its slot's backoff.
    if (now - handle.startedAt > this.config.crashLoopWindowMs) this.failuresBySlot[handle.slot] = 0;
    const attempt = this.failuresBySlot[handle.slot]!++;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
    const timer = setTimeout(() => {
      if (this.stopping) return;
      this.spawn(handle.slot).then(
        () => this.logger.info({ slot: handle.slot, afterMs: Date.now() - now }, 'worker replaced'),
        (error: unknown) => this.logger.error({ err: error, slot: handle.slot }, 'replacement worker failed'),
      );
    }, delay);
    timer.unref();
  }

  /** SIGHUP: re-read configuration; when valid, replace workers one at a time, each new one ready before the old drains. */
  async reload(): Promise<void> {
    if (this.stopping || this.reloadState === 'reloading') return;
    let next: Config;
    try {
      next = this.options.reloadConfig();
    } catch (error) {
      this.logger.error({ err: error }, 'reload refused: the new configuration is invalid; the running workers are untouched');
      return;
    }
    if (next.workers !== this.config.workers || next.port !== this.config.port || next.host !== this.config.host) {
      this.logger.warn('host, port and workers take effect on restart, not reload; keeping the current values');
      next = { ...next, workers: this.config.workers, port: this.config.port, host: this.config.host };
    }
    this.reloadState = 'reloading';
    this.config = next;
    this.logger.info('reload: starting new workers');
    try {
      for (let slot = 0; slot < this.slots.length; slot++) {
        const old = this.slots[slot];
        if (old) old.retiring = true;
        await this.spawn(slot);
        if (old) this.retire(old);
      }
      this.logger.info('reload complete');
    } catch (error) {
      this.logger.error({ err: error }, 'reload failed: a new worker did not start');
    } finally {
      this.reloadState = 'idle';
    }
  }

  private retire(handle: WorkerHandle): void {
    handle.retiring = true;
    const message: SupervisorMessage = { type: 'stop', graceMs: this.config.shutdownGraceMs, drainMs: this.config.shutdownGraceMs };
    if (handle.child.connected) handle.child.send(message);
    const kill = setTimeout(() => handle.child.kill('SIGKILL'), this.config.shutdownGraceMs + 2000);
    kill.unref();
    handle.child.once('exit', () => clearTimeout(kill));
  }

  /** SIGTERM/SIGINT: graceful stop of every worker, force-kill after the grace period, then exit. */
  async stop(code = 0): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    const running = this.slots.filter((w): w is WorkerHandle => w !== null);
    this.logger.info({ workers: running.length, graceMs: this.config.shutdownGraceMs }, 'stopping');
    await Promise.all(
      running.map(
        (handle) =>
          new Promise<void>((resolve) => {
            if (handle.child.exitCode !== null || handle.child.signalCode !== null) return resolve();
            handle.child.once('exit', () => resolve());
            const message: SupervisorMessage = { type: 'stop', graceMs: this.config.shutdownGraceMs, drainMs: 0 };
            if (handle.child.connected) handle.child.send(message);
            setTimeout(() => handle.child.kill('SIGKILL'), this.config.shutdownGraceMs + 2000).unref();
          }),
      ),
    );
    this.shared?.destroy();
    await this.stores?.close();
    this.logger.info({ code }, 'stopped');
    this.options.onExit(code);
  }

  private startDuties(): void {
    const stores = this.stores!;
    if (this.config.tokenPruneIntervalSec > 0) {
      const prune = setInterval(async () => {
        try {
          const removed = await stores.tokens.pruneExpired(Math.floor(Date.now() / 1000));
          if (removed > 0) this.logger.info({ removed }, 'pruned expired token rows');
        } catch (error) {
          this.logger.error({ err: error }, 'token pruning failed');
        }
      }, this.config.tokenPruneIntervalSec * 1000);
      prune.unref();
      this.timers.push(prune);
    }
    const checkpoint = setInterval(async () => {
      try {
        await stores.checkpoint();
      } catch (error) {
        this.logger.warn({ err: error }, 'WAL checkpoint failed');
      }
    }, CHECKPOINT_INTERVAL_MS);
    checkpoint.unref();
    this.timers.push(checkpoint);
  }
}

/** Asks the kernel for a free port by binding port 0 once (a brief window remains in which another process could take it). */
function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port: 0, exclusive: true }, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Copies a worker's output line by line, so lines of different workers never interleave mid-line. */
function forwardLines(from: NodeJS.ReadableStream, to: NodeJS.WritableStream): void {
  const lines = createInterface({ input: from, crlfDelay: Infinity });
  lines.on('line', (line) => to.write(line + '\n'));
}
