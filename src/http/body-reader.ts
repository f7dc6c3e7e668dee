/**
 * Collects a request body from uWS, enforcing the size limit while it streams. uWS hands out chunks that are
 * only valid during the callback (it neuters the ArrayBuffer afterwards), so every chunk is copied. Reading
 * starts inside the route handler (uWS drops data that arrives before onData is attached) and the pipeline runs
 * meanwhile; `whenDone` delivers the body once both are ready.
 *
 * No deadline here: uWS gives a request about 10 s (HTTP_IDLE_TIMEOUT_S, in 4-second ticks) until its response,
 * and body bytes do not restart that timer, so a client trickling its body a byte at a time is cut off by uWS
 * itself (test/e2e/resources-connections.test.ts shows it; docs/security.md).
 */
import type { HttpResponse } from './uws.js';

export type BodyCallback = (body: Buffer | null, tooLarge: boolean) => void;

export class BodyCollector {
  private chunks: Buffer[] = [];
  private size = 0;
  private finished = false;
  private tooLarge = false;
  private waiter: BodyCallback | null = null;

  constructor(
    res: HttpResponse,
    private readonly limit: number,
  ) {
    res.onData((chunk, isLast) => this.onChunk(chunk, isLast));
  }

  private onChunk(chunk: ArrayBuffer, isLast: boolean): void {
    if (this.finished) return;
    this.size += chunk.byteLength;
    if (this.size > this.limit) {
      this.tooLarge = true;
      this.chunks = [];
      this.finish();
      return;
    }
    if (chunk.byteLength > 0) this.chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
    if (isLast) this.finish();
  }

  /** The client went away: drop what was collected, and never call back. */
  cancel(): void {
    this.finished = true;
    this.chunks = [];
    this.waiter = null;
  }

  private finish(): void {
    this.finished = true;
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter !== null) this.deliver(waiter);
  }

  private deliver(callback: BodyCallback): void {
    if (this.tooLarge) return callback(null, true);
    const body =
      this.chunks.length === 0
        ? null
        : this.chunks.length === 1
          ? this.chunks[0]!
          : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    callback(body, false);
  }

  /** Calls back with the whole body (null when empty) or tooLarge; synchronously when it has already arrived. */
  whenDone(callback: BodyCallback): void {
    if (this.finished) this.deliver(callback);
    else this.waiter = callback;
  }

  get done(): boolean {
    return this.finished;
  }
}
