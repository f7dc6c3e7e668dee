import { MAX_ARGON2_MEMORY_KIB, MAX_ARGON2_PARALLELISM, MAX_ARGON2_WORK_KIB } from './stored-hash-limits.js';

/** How new passwords are hashed (argon2id, RFC 9106) and how long a password may be. */
export interface PasswordHashingSettings {
  /** argon2id memory, in KiB (the `m` of the PHC string). */
  readonly memoryCostKiB: number;
  /** argon2id passes over the memory (the `t`). */
  readonly timeCost: number;
  /** argon2id lanes (the `p`). */
  readonly parallelism: number;
  /** Longest accepted password, in Unicode code points (what Python's `len()` counts). */
  readonly maxPasswordLength: number;
}

/**
 * The OWASP Password Storage Cheat Sheet (2023) asks for argon2id with at least m = 19 MiB, t = 2, p = 1 (or
 * an equivalent trade-off such as m = 46 MiB, t = 1). Gatehouse defaults to that minimum because a login
 * endpoint must stay responsive under load on small machines: one verification costs ~18 ms of one
 * thread-pool thread on a 2-core AMD EPYC VM (bench/micro/password-timing.ts). Deployments with spare memory
 * and CPU may raise it. Django's Argon2PasswordHasher uses m = 100 MiB, t = 2, p = 8; imported hashes keep
 * working, and needsRehash() tells the login path to rehash them with these settings once the password
 * matched.
 *
 * maxPasswordLength: a password is refused before any hashing when longer than this, so a client cannot make
 * the server hash megabytes (the kind of DoS behind Django's CVE-2013-1443, which made Django cap passwords at
 * 4096 bytes for a while). 1024 is far above any human or password-manager password.
 */
export const DEFAULT_PASSWORD_HASHING: PasswordHashingSettings = Object.freeze({
  memoryCostKiB: 19_456,
  timeCost: 2,
  parallelism: 1,
  maxPasswordLength: 1024,
});

/**
 * Every problem with the settings, each naming its field; empty when they are usable. The bounds are those
 * libargon2 enforces plus the limits on stored hashes (stored-hash-limits.ts), so that Gatehouse never writes a
 * hash it would refuse to verify.
 */
export function validatePasswordHashingSettings(settings: PasswordHashingSettings): string[] {
  const problems: string[] = [];
  const { memoryCostKiB, timeCost, parallelism, maxPasswordLength } = settings;

  const parallelismOk = isIntegerIn(parallelism, 1, MAX_ARGON2_PARALLELISM);
  if (!parallelismOk) {
    problems.push(
      `parallelism must be an integer from 1 to ${MAX_ARGON2_PARALLELISM} (got ${String(parallelism)})`,
    );
  }

  // RFC 9106 §3.1: m must be at least 8 × p KiB.
  const minMemory = parallelismOk ? 8 * parallelism : 8;
  const memoryOk = isIntegerIn(memoryCostKiB, minMemory, MAX_ARGON2_MEMORY_KIB);
  if (!memoryOk) {
    problems.push(
      `memoryCostKiB must be an integer from ${minMemory} (8 × parallelism) to ${MAX_ARGON2_MEMORY_KIB} (1 GiB) ` +
        `(got ${String(memoryCostKiB)})`,
    );
  }

  const timeOk = isIntegerIn(timeCost, 1, Number.MAX_SAFE_INTEGER);
  if (!timeOk) {
    problems.push(`timeCost must be a positive integer (got ${String(timeCost)})`);
  }
  if (memoryOk && timeOk && memoryCostKiB * timeCost > MAX_ARGON2_WORK_KIB) {
    problems.push(
      `timeCost × memoryCostKiB must not exceed ${MAX_ARGON2_WORK_KIB} KiB (4 GiB-passes) ` +
        `(got ${timeCost} × ${memoryCostKiB})`,
    );
  }

  if (!isIntegerIn(maxPasswordLength, 1, Number.MAX_SAFE_INTEGER)) {
    problems.push(`maxPasswordLength must be a positive integer (got ${String(maxPasswordLength)})`);
  }
  return problems;
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}
