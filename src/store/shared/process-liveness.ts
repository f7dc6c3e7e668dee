/**
 * Whether a process id still names a running process: used to decide that the holder of a shared-memory lock,
 * or the supervisor named in a stale segment, is gone for good.
 */
import { existsSync, readFileSync } from 'node:fs';

const HAS_PROC = existsSync('/proc/self/stat');

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0); // signal 0: existence and permission check only, nothing is delivered
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!HAS_PROC) return true;
  // A process killed with SIGKILL stays a zombie until its parent reaps it, and kill(pid, 0) succeeds on a
  // zombie. A zombie holds no lock and runs no code, so it counts as dead. proc(5): state is the field after ')'.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false; // reaped between the two checks
  }
}
