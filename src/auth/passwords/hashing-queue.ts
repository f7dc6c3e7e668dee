/**
 * Caps how many password hashes one worker runs at once; the others wait in line. argon2 is CPU-bound: with
 * one worker process per core, one hash at a time per worker already uses every core, so a higher cap only adds
 * threads that compete with the event loops for the same cores (and lengthen the request path's tail latency
 * during a login flood) without adding login throughput.
 */
import type { PasswordHasher } from './password-hasher.js';

export function limitHashingConcurrency(hasher: PasswordHasher, limit: number): PasswordHasher {
  if (limit <= 0 || !Number.isFinite(limit)) return hasher;
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    const next = waiting.shift();
    if (next !== undefined) next();
    else running--;
  };
  const acquire = (): Promise<void> | null => {
    if (running < limit) {
      running++;
      return null;
    }
    // The slot is handed over by release() without decrementing, so `running` stays at the limit.
    return new Promise<void>((resolve) => waiting.push(resolve));
  };
  const queued = <T>(work: () => Promise<T>): Promise<T> => {
    const turn = acquire();
    const run = (): Promise<T> => work().finally(release);
    return turn === null ? run() : turn.then(run);
  };
  return {
    hash: (password) => queued(() => hasher.hash(password)),
    verify: (encoded, password) => queued(() => hasher.verify(encoded, password)),
    verifyDummy: (password) => queued(() => hasher.verifyDummy(password)),
    needsRehash: (encoded) => hasher.needsRehash(encoded),
  };
}
