/**
 * What the kernel knows about a process, read from /proc (Linux): CPU time spent (utime + stime) and resident
 * memory (VmRSS, and VmHWM, its high-water mark). Used for the server's workers and the generators.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (almost always 100). */
export const CLOCK_TICKS = ((): number => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a running process has used so far, or null when it is gone. */
export function cpuSeconds(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its closing ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, i.e. 11 and 12 after the name.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export interface MemoryKiB {
  readonly rss: number;
  readonly hwm: number;
}

export function memoryKiB(pid: number): MemoryKiB | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

export interface WorkerUsage {
  readonly pid: number;
  /** Largest VmRSS seen while sampling. */
  readonly peakRssKiB: number;
  /** VmHWM at the end: the peak over the process's whole life (earlier scenarios included). */
  readonly lifetimePeakKiB: number;
  readonly cpuSeconds: number;
}

/**
 * Samples the server's worker processes during one measured run: VmRSS every `intervalMs` (the peak is kept)
 * and the CPU time used between start and stop.
 */
export class WorkerSampler {
  private readonly peaks = new Map<number, number>();
  private readonly cpuAtStart = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pids: readonly number[],
    private readonly intervalMs = 200,
  ) {}

  start(): void {
    for (const pid of this.pids) {
      this.cpuAtStart.set(pid, cpuSeconds(pid) ?? 0);
      this.peaks.set(pid, 0);
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): WorkerUsage[] {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    return this.pids.map((pid) => ({
      pid,
      peakRssKiB: this.peaks.get(pid) ?? 0,
      lifetimePeakKiB: memoryKiB(pid)?.hwm ?? 0,
      cpuSeconds: Math.max(0, (cpuSeconds(pid) ?? 0) - (this.cpuAtStart.get(pid) ?? 0)),
    }));
  }

  private sample(): void {
    for (const pid of this.pids) {
      const rss = memoryKiB(pid)?.rss;
      if (rss !== undefined && Number.isFinite(rss) && rss > (this.peaks.get(pid) ?? 0))
        this.peaks.set(pid, rss);
    }
  }
}
