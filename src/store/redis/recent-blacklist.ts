/**
 * The refresh-token jtis this worker has heard were blacklisted (revocation bus), until they expire. A hit is
 * a definite "blacklisted": blacklisting is never undone while the token lives. A miss proves nothing (the
 * message may have been lost, or the token blacklisted before this worker started), so the database is
 * asked then. It spares the database the replays and re-presentations of consumed tokens, not the normal case.
 */
export class RecentBlacklist {
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly maxEntries = 100_000,
    private readonly nowSec: () => number = () => Date.now() / 1000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  add(jti: string, expiresAt: number): void {
    if (expiresAt <= this.nowSec()) return;
    if (this.entries.size >= this.maxEntries) this.evict();
    this.entries.set(jti, expiresAt);
  }

  has(jti: string): boolean {
    const expiresAt = this.entries.get(jti);
    if (expiresAt === undefined) return false;
    if (expiresAt > this.nowSec()) return true;
    this.entries.delete(jti);
    return false;
  }

  /** Drops the expired entries; if that frees less than a quarter, the oldest quarter too (insertion order). */
  private evict(): void {
    const now = this.nowSec();
    for (const [jti, expiresAt] of this.entries) if (expiresAt <= now) this.entries.delete(jti);
    let excess = this.entries.size - Math.floor((this.maxEntries * 3) / 4);
    for (const jti of this.entries.keys()) {
      if (excess-- <= 0) break;
      this.entries.delete(jti);
    }
  }
}
