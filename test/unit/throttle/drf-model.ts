/** DRF's SimpleRateThrottle.allow_request and wait(), transcribed (times in ms instead of seconds). */
export class DrfSlidingLog {
  /** Newest first, like DRF's cache list. */
  private readonly history: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly periodMs: number,
  ) {}

  /** Returns null when admitted, else DRF's wait() in ms. */
  allow(now: number): number | null {
    while (this.history.length > 0 && this.history[this.history.length - 1]! <= now - this.periodMs)
      this.history.pop();
    if (this.history.length >= this.limit) {
      const remainingDuration = this.periodMs - (now - this.history[this.history.length - 1]!);
      const availableRequests = this.limit - this.history.length + 1;
      return remainingDuration / availableRequests;
    }
    this.history.unshift(now);
    return null;
  }
}
