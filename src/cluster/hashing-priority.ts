/**
 * Keeps password hashing from starving the request path. argon2 runs on libuv's thread pool, whose threads
 * compete with the event loop for the same cores at the same priority: during a login flood on 2 cores, the
 * 4 pool threads of each worker took most of the CPU and protected GETs lost 3-4x their throughput (measured,
 * docs/benchmarks.md). Lowering the pool threads' priority (nice) gives the event loop precedence while hashing
 * still proceeds with whatever CPU is left; logins slow down under full load instead of everything else.
 *
 * libuv names no threads, so the pool threads are found by what they do: every thread's CPU time is read from
 * /proc/self/task, one piece of pool work per pool thread is run (pbkdf2, which runs on the pool), and the
 * threads that gained CPU time are the pool's. Linux applies setpriority(PRIO_PROCESS, tid) to one thread, and
 * lowering a priority needs no privilege. The pool also runs async file system work (log writes); it is fine
 * for that to wait too.
 */
import { pbkdf2 } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

function cpuTicks(tid: string): number {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks
  } catch {
    return -1;
  }
}

function threadTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task'))
    if (Number(tid) !== process.pid) ticks.set(tid, cpuTicks(tid));
  return ticks;
}

export interface HashingPriorityResult {
  readonly reniced: number;
  readonly poolSize: number;
}

/**
 * Lowers the priority of this process's libuv pool threads to `nice` (1-19). Returns how many threads were
 * reniced (0 where /proc is unavailable: other systems keep the default priority).
 */
export async function lowerHashingPriority(nice: number): Promise<HashingPriorityResult> {
  const poolSize = Math.max(1, Math.min(1024, Number(process.env['UV_THREADPOOL_SIZE'] ?? 4) || 4));
  let before: Map<string, number>;
  try {
    before = threadTicks();
  } catch {
    return { reniced: 0, poolSize };
  }
  // One job per pool thread, repeated until the pool shows up in the clock ticks (10 ms each): a few rounds of
  // ~20-50 ms at start-up.
  const salt = Buffer.alloc(16);
  let after = threadTicks();
  for (let round = 0; round < 6; round++) {
    await Promise.all(
      Array.from({ length: poolSize }, () => pbkdf2Async('gatehouse', salt, 200_000, 32, 'sha256')),
    );
    after = threadTicks();
    let busy = 0;
    for (const [tid, ticks] of after) if (ticks - (before.get(tid) ?? 0) >= 2) busy++;
    if (busy >= poolSize) break;
  }
  let reniced = 0;
  for (const [tid, ticks] of after) {
    const previous = before.get(tid) ?? 0;
    if (ticks - previous < 2) continue;
    try {
      setPriority(Number(tid), nice);
      reniced++;
    } catch {
      // The thread exited meanwhile, or the system refuses: keep the default priority.
    }
  }
  return { reniced, poolSize };
}
