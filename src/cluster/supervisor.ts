/**
 * The cluster supervisor (`gatehouse serve`): runs one worker process per slot, all serving one port through
 * SO_REUSEPORT; replaces a worker that dies, with exponential backoff; gives up with a non-zero exit when
 * workers keep dying (a crash loop, so systemd can act); turns SIGTERM/SIGINT into one graceful stop and SIGHUP
 * into a reload without failed requests. It also owns the duties that must run in one process only (token
 * pruning, WAL checkpoints) and the shared memory the workers map.
 *
 * A worker counts as up only once it reported `ready` (it listens and its application is built). A reload is
 * blue-green: every new worker must be ready before any old one stops accepting; if one of them cannot start
 * (a bad application module, a key that does not load), the new ones are stopped and the old ones never
 * noticed. Old workers then close their listening socket, answer what their connections still send with
 * `Connection: close`, and close the rest after the grace period (docs/architecture.md explains why this
 * loses no request, and what net.ipv4.tcp_migrate_req has to do with it).
 *
 * Workers are processes, not threads: with this uWebSockets.js build a worker thread that exits with open
 * sockets aborts the whole process, so only processes isolate crashes (docs/architecture.md).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Config } from '../config/config-types.js';
import type { Logger } from '../log/logger.js';
import { SupervisorObservability } from '../metrics/supervisor-observability.js';
import { openStores } from '../store/open-stores.js';
import type { Stores } from '../store/types.js';
import { pickFreePort } from './free-port.js';
import type { SupervisorMessage, WorkerMessage } from './messages.js';
import { SharedRegions } from './shared-state.js';
import { socketMigration, socketMigrationWarning } from './socket-migration.js';
import { createNotifier, type Notifier } from './systemd-notify.js';
import { workerScriptPath } from './worker-script.js';

const READY_TIMEOUT_MS = 30_000;
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 10_000;
const CHECKPOINT_INTERVAL_MS = 30_000;
/** How long after the grace period a worker that did not exit is killed. */
const KILL_AFTER_GRACE_MS = 2000;

/** Why a worker was started: a worker that cannot start is a death only when it replaces a dead one. */
type Purpose = 'start' | 'respawn' | 'reload';

interface WorkerHandle {
  readonly id: number;
  readonly slot: number;
  readonly child: ChildProcess;
  readonly purpose: Purpose;
  readonly startedAt: number;
  /** starting → serving (reported ready, counted as up) → retiring (asked to stop; its exit is no crash). */
  state: 'starting' | 'serving' | 'retiring';
}

export interface SupervisorOptions {
  readonly config: Config;
  /** Re-reads and validates configuration for SIGHUP; throws (ConfigError) when it is bad. */
  readonly reloadConfig: () => Config;
  readonly logger: Logger;
  /** The worker entry (workerScriptPath(process.argv[1]): reached through the `current` release symlink). */
  readonly workerScript?: string;
  /** NOTIFY_SOCKET when started by systemd with Type=notify, else null. */
  readonly notifySocket?: string | null;
  /** Called when the supervisor decides to exit (after stopping every worker). */
  readonly onExit: (code: number) => void;
}

export class Supervisor {
  private config: Config;
  private readonly logger: Logger;
  private readonly notifier: Notifier;
  private readonly workerScript: string;
  /** The serving worker of each slot (null while a dead one waits for its replacement). */
  private readonly slots: (WorkerHandle | null)[];
  /** Every worker process alive, whatever its state. */
  private readonly live = new Set<WorkerHandle>();
  private readonly failuresBySlot: number[];
  private readonly deaths: number[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextWorkerId = 1;
  private port = 0;
  private regions: SharedRegions | null = null;
  private stores: Stores | null = null;
  private stopping = false;
  private reloading = false;
  private reloadQueued = false;
  /** Worker lifecycle metrics, the cluster's /metrics aggregate and `gatehouse status` (src/metrics/). */
  private readonly observability: SupervisorObservability;

  constructor(private readonly options: SupervisorOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.notifier = createNotifier(options.notifySocket ?? null, options.logger);
    this.workerScript = options.workerScript ?? workerScriptPath(undefined);
    this.slots = new Array<WorkerHandle | null>(this.config.workers).fill(null);
    this.failuresBySlot = new Array<number>(this.config.workers).fill(0);
    this.observability = new SupervisorObservability({
      logger: options.logger,
      workers: this.config.workers,
      reloadState: () => (this.reloading ? 'reloading' : 'idle'),
      port: () => this.port,
    });
  }

  get listeningPort(): number {
    return this.port;
  }

  /** The workers counted as up. */
  workers(): readonly { readonly slot: number; readonly pid: number | undefined }[] {
    return this.slots
      .filter((w): w is WorkerHandle => w !== null)
      .map((w) => ({ slot: w.slot, pid: w.child.pid }));
  }

  /** Starts every worker and resolves with the port once all are ready. */
  async start(): Promise<number> {
    const warning = socketMigrationWarning(socketMigration());
    if (warning !== null) this.logger.warn({ sysctl: 'net.ipv4.tcp_migrate_req' }, warning);
    const { stores } = await openStores(this.config);
    this.stores = stores;
    this.regions = new SharedRegions(this.config);
    this.port = this.config.port === 0 ? await pickFreePort(this.config.host) : this.config.port;
    const started = await Promise.all(this.slots.map((_, slot) => this.launch(slot, 'start')));
    for (const { handle } of started) this.serve(handle);
    this.startDuties();
    await this.observability.start(this.config.dataDir);
    this.notifier.ready(this.statusLine());
    return this.port;
  }

  /** Forks a worker and resolves once it reported ready; rejects when it fails, exits or stays silent. */
  private launch(slot: number, purpose: Purpose): Promise<{ handle: WorkerHandle; port: number }> {
    const child = fork(this.workerScript, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: process.execArgv,
      env: process.env,
    });
    const handle: WorkerHandle = {
      id: this.nextWorkerId++,
      slot,
      child,
      purpose,
      startedAt: Date.now(),
      state: 'starting',
    };
    this.live.add(handle);
    this.observability.workerSpawned(handle);
    forwardLines(child.stdout!, process.stdout);
    forwardLines(child.stderr!, process.stderr);

    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.logger.error(
          { worker: handle.id, slot, workerPid: child.pid },
          `worker did not report ready within ${READY_TIMEOUT_MS / 1000}s; killing it`,
        );
        child.kill('SIGKILL');
      }, READY_TIMEOUT_MS);
      let failure: string | null = null;
      child.on('message', (message: WorkerMessage) => {
        if (this.observability.handleMessage(handle, message)) return;
        if (message.type === 'ready' && handle.state === 'starting') {
          clearTimeout(timer);
          this.logger.info(
            {
              worker: handle.id,
              slot,
              workerPid: child.pid,
              port: message.port,
              purpose,
              startupMs: Date.now() - handle.startedAt,
              codeRoot: message.codeRoot,
            },
            'worker ready',
          );
          resolve({ handle, port: message.port });
        } else if (message.type === 'fatal') {
          failure = message.message;
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        this.live.delete(handle);
        this.observability.workerExited(handle, this.stopping || handle.state === 'retiring');
        const wasStarting = handle.state === 'starting';
        if (wasStarting)
          reject(
            new Error(
              `worker ${handle.id} exited before it was ready (${failure ?? signal ?? `code ${code}`})`,
            ),
          );
        this.onWorkerExit(handle, wasStarting, code, signal);
      });
      const start: SupervisorMessage = {
        type: 'start',
        workerId: handle.id,
        config: this.config,
        port: this.port,
        shared: this.regions!.descriptor,
      };
      child.send(start);
    });
  }

  private serve(handle: WorkerHandle): void {
    handle.state = 'serving';
    this.slots[handle.slot] = handle;
  }

  private onWorkerExit(
    handle: WorkerHandle,
    wasStarting: boolean,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    if (this.slots[handle.slot] === handle) this.slots[handle.slot] = null;
    if (this.stopping || handle.state === 'retiring') return;
    // A new worker of a reload that cannot start fails the reload (reload() says so), not the service; nor does
    // one of the first start (start() fails). A replacement that cannot start is part of a crash loop.
    if (wasStarting && handle.purpose !== 'respawn') return;
    const now = Date.now();
    this.deaths.push(now);
    while (this.deaths.length > 0 && this.deaths[0]! <= now - this.config.crashLoopWindowMs)
      this.deaths.shift();
    this.logger.error(
      { worker: handle.id, slot: handle.slot, workerPid: handle.child.pid, code, signal },
      wasStarting ? 'replacement worker could not start' : 'worker died',
    );
    if (this.deaths.length >= this.config.crashLoopMaxRestarts) {
      this.logger.fatal(
        {
          deaths: this.deaths.length,
          windowSec: this.config.crashLoopWindowMs / 1000,
          crashLoopMaxRestarts: this.config.crashLoopMaxRestarts,
        },
        `crash loop: ${this.deaths.length} worker deaths within ${this.config.crashLoopWindowMs / 1000}s; stopping the service (exit code 1)`,
      );
      void this.stop(1);
      return;
    }
    // A worker that ran for a while before dying resets its slot's backoff.
    if (!wasStarting && now - handle.startedAt > this.config.crashLoopWindowMs)
      this.failuresBySlot[handle.slot] = 0;
    const attempt = this.failuresBySlot[handle.slot]!++;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
    this.later(delay, () => this.respawn(handle.slot, now));
  }

  private respawn(slot: number, diedAt: number): void {
    // A reload may have filled the slot meanwhile.
    if (this.stopping || this.slots[slot] !== null) return;
    this.launch(slot, 'respawn').then(
      ({ handle }) => {
        if (this.stopping || this.slots[slot] !== null) return this.retire(handle);
        this.serve(handle);
        this.logger.info(
          { worker: handle.id, slot, workerPid: handle.child.pid, afterMs: Date.now() - diedAt },
          'worker replaced',
        );
      },
      // The exit handler has counted the failure and scheduled the next attempt.
      (error: unknown) => this.logger.error({ err: error, slot }, 'replacement worker failed'),
    );
  }

  /** SIGHUP: re-read configuration; when valid, start a full set of new workers, then retire the old ones. */
  async reload(): Promise<void> {
    if (this.stopping) return;
    if (this.reloading) {
      // A change made while a reload runs must not be lost: run one more reload after this one.
      this.reloadQueued = true;
      this.logger.info('reload already in progress; another one will follow it');
      return;
    }
    this.reloading = true;
    try {
      do {
        this.reloadQueued = false;
        await this.reloadOnce();
      } while (this.reloadQueued && !this.stopping);
    } finally {
      this.reloading = false;
    }
  }

  private async reloadOnce(): Promise<void> {
    let next: Config;
    try {
      next = this.options.reloadConfig();
    } catch (error) {
      this.logger.error(
        { err: error },
        'reload refused: the new configuration is invalid; the running workers are untouched',
      );
      return;
    }
    if (
      next.workers !== this.config.workers ||
      next.port !== this.config.port ||
      next.host !== this.config.host
    ) {
      this.logger.warn(
        'host, port and workers take effect on restart, not reload; keeping the current values',
      );
      next = { ...next, workers: this.config.workers, port: this.config.port, host: this.config.host };
    }
    this.notifier.reloading();
    const regions = this.regions!;
    const changes = regions.prepare(next);
    if (changes.revocationRetentionTooShort) {
      this.logger.warn(
        'token lifetimes grew: revocations are remembered for the old lifetimes until the next restart',
      );
    }
    const previous = this.config;
    this.config = next;
    this.logger.info({ workers: this.slots.length }, 'reload: starting new workers');
    const results = await Promise.allSettled(this.slots.map((_, slot) => this.launch(slot, 'reload')));
    const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.handle] : []));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure !== undefined || this.stopping) {
      for (const handle of started) this.retire(handle);
      this.config = previous;
      regions.rollback();
      if (failure !== undefined) {
        this.logger.error(
          { err: failure.reason },
          'reload failed: a new worker did not start; the running workers are untouched',
        );
        this.notifier.ready(this.statusLine());
      }
      return;
    }
    const old = this.slots.filter((w): w is WorkerHandle => w !== null);
    for (const handle of started) this.serve(handle);
    for (const handle of old) this.retire(handle);
    regions.commit();
    this.logger.info(
      { workers: started.length, retired: old.length, throttleCountersReset: changes.throttleCountersReset },
      'reload complete',
    );
    this.notifier.ready(this.statusLine());
  }

  /** Asks a worker to stop accepting, drain for the grace period and exit; kills it if it does not. */
  private retire(handle: WorkerHandle): void {
    if (handle.state === 'retiring') return;
    handle.state = 'retiring';
    const grace = this.config.shutdownGraceMs;
    const message: SupervisorMessage = { type: 'stop', graceMs: grace, drainMs: grace };
    if (handle.child.connected) handle.child.send(message);
    const kill = setTimeout(() => handle.child.kill('SIGKILL'), grace + KILL_AFTER_GRACE_MS);
    kill.unref();
    handle.child.once('exit', () => clearTimeout(kill));
  }

  /** SIGTERM/SIGINT: graceful stop of every worker, force-kill after the grace period, then exit. */
  async stop(code = 0): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.notifier.stopping();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const running = [...this.live];
    this.logger.info({ workers: running.length, graceMs: this.config.shutdownGraceMs }, 'stopping');
    await Promise.all(
      running.map(
        (handle) =>
          new Promise<void>((resolve) => {
            if (handle.child.exitCode !== null || handle.child.signalCode !== null) return resolve();
            handle.child.once('exit', () => resolve());
            // Retiring workers are already draining; the others stop accepting now and finish what is in flight.
            const message: SupervisorMessage = {
              type: 'stop',
              graceMs: this.config.shutdownGraceMs,
              drainMs: 0,
            };
            if (handle.child.connected && handle.state !== 'retiring') handle.child.send(message);
            setTimeout(
              () => handle.child.kill('SIGKILL'),
              this.config.shutdownGraceMs + KILL_AFTER_GRACE_MS,
            ).unref();
          }),
      ),
    );
    await this.observability.stop();
    this.regions?.destroy();
    await this.stores?.close();
    await this.notifier.flush();
    this.logger.info({ code }, 'stopped');
    this.options.onExit(code);
  }

  private statusLine(): string {
    return `serving on port ${this.port} with ${this.slots.length} worker(s)`;
  }

  /** A timer the stop cancels. Not unref'd: with every worker dead it is what keeps the supervisor alive. */
  private later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
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
      this.timers.add(prune);
    }
    const checkpoint = setInterval(async () => {
      try {
        await stores.checkpoint();
      } catch (error) {
        this.logger.warn({ err: error }, 'WAL checkpoint failed');
      }
    }, CHECKPOINT_INTERVAL_MS);
    checkpoint.unref();
    this.timers.add(checkpoint);
  }
}

/** Copies a worker's output line by line, so lines of different workers never interleave mid-line. */
function forwardLines(from: NodeJS.ReadableStream, to: NodeJS.WritableStream): void {
  const lines = createInterface({ input: from, crlfDelay: Infinity });
  lines.on('line', (line) => to.write(line + '\n'));
}
