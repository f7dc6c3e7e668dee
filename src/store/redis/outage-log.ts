/**
 * Logs a backend outage once when it starts and once when it ends, however many requests it affects: a node
 * serving 20,000 requests a second must not write 20,000 log lines a second while Redis restarts. In between,
 * it only counts the decisions taken by the failure policy, reported with the recovery line.
 */
import type { Logger } from '../../log/logger.js';

export class OutageLog {
  private downSince = 0;
  private decided = 0;
  private lastReplyErrorAt = 0;

  constructor(
    private logger: Logger | null,
    /** What is affected, for the log lines (e.g. "throttle store"). */
    private readonly what: string,
  ) {}

  /** The worker's logger, once the application exists (outages before that are still counted). */
  useLogger(logger: Logger): void {
    this.logger = logger;
  }

  get isDown(): boolean {
    return this.downSince !== 0;
  }

  /** The backend cannot be reached (refused, reset, timed out). Logs only the first report of an outage. */
  down(reason: string): void {
    if (this.downSince !== 0) return;
    this.downSince = Date.now();
    this.decided = 0;
    this.logger?.warn(
      { component: 'redis', what: this.what, reason },
      `Redis unreachable: the ${this.what} follows its failure policy until Redis answers again`,
    );
  }

  /** The backend answered with an error (a bug, a full memory): logged at most once a minute. */
  replyError(reason: string): void {
    const now = Date.now();
    if (now - this.lastReplyErrorAt < 60_000) return;
    this.lastReplyErrorAt = now;
    this.logger?.error(
      { component: 'redis', what: this.what, reason },
      `Redis refused a command of the ${this.what}; it follows its failure policy`,
    );
  }

  /** One decision was taken by the failure policy. */
  decidedByPolicy(): void {
    this.decided++;
  }

  /** The backend answers again. Logs the end of an outage, if there was one. */
  up(): void {
    if (this.downSince === 0) return;
    this.logger?.info(
      {
        component: 'redis',
        what: this.what,
        downMs: Date.now() - this.downSince,
        decidedByPolicy: this.decided,
      },
      `Redis reachable again: the ${this.what} is back to normal`,
    );
    this.downSince = 0;
  }
}
