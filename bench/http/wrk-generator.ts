/**
 * wrk (Debian's package, a C generator) as a load generator: on a 2-core machine one autocannon process
 * saturates below what a uWS server answers, wrk does not. One wrk thread (-t 1): the server's workers need the
 * other cores. The request comes from wrk/scenario.lua, which reads a job file written here, and wrk's own CPU
 * time is read from /proc/self/stat in the script's done().
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWithLines } from './child-lines.js';
import {
  GENERATOR_TIMEOUT_SEC,
  type LoadGenerator,
  type LoadJob,
  type LoadResult,
} from './load-generator.js';
import { CLOCK_TICKS } from './process-stats.js';

const THREADS = 1;

interface WrkFigures {
  requests: number;
  durationUs: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  timeouts: number;
  statusErrors: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  cpuTicks: number;
}

export function wrkGenerator(repoRoot: string): LoadGenerator {
  const script = join(repoRoot, 'bench', 'http', 'wrk', 'scenario.lua');
  // `wrk -v` prints its version and usage, and exits with status 1.
  const probe = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  const firstLine = (probe.stdout ?? '').split('\n')[0] ?? '';
  if (!firstLine.startsWith('wrk'))
    throw new Error('BENCH_TOOL=wrk but wrk is not installed (Debian: apt-get install wrk)');
  const version = firstLine.replace(/ Copyright.*$/, '');

  const runOnce = async (
    job: LoadJob,
    durationSec: number,
    tokens: readonly string[] | null,
    dir: string,
  ): Promise<LoadResult> => {
    const jobFile = join(dir, `job-${durationSec}-${Date.now()}.tsv`);
    const r = job.request;
    const lines = [
      `method\t${r.method}`,
      `path\t${r.path}`,
      ...Object.entries(r.headers).map(([k, v]) => `header\t${k}\t${v}`),
    ];
    if (r.body !== null) lines.push(`body\t${r.body}`);
    for (const token of tokens ?? []) lines.push(`token\t${token}`);
    writeFileSync(jobFile, lines.join('\n') + '\n', { mode: 0o600 });
    const args = [
      '-t',
      String(THREADS),
      '-c',
      String(Math.max(job.connections, THREADS)),
      '-d',
      `${durationSec}s`,
    ];
    args.push('--timeout', `${GENERATOR_TIMEOUT_SEC}s`, '--latency', '-s', script, job.baseUrl + r.path);
    let figures: WrkFigures | null = null;
    await runWithLines(
      'wrk',
      args,
      { env: { ...process.env, BENCH_WRK_JOB: jobFile, BENCH_WRK_THREADS: String(THREADS) } },
      (line) => {
        if (line.startsWith('BENCH_RESULT '))
          figures = JSON.parse(line.slice('BENCH_RESULT '.length)) as WrkFigures;
      },
    );
    if (figures === null) throw new Error('wrk printed no result line');
    const f: WrkFigures = figures;
    const seconds = f.durationUs / 1e6;
    return {
      tool: 'wrk',
      requests: f.requests,
      durationSec: seconds,
      requestsPerSec: f.requests / seconds,
      latencyP50Ms: f.p50Us / 1000,
      latencyP99Ms: f.p99Us / 1000,
      latencyMaxMs: f.maxUs / 1000,
      errors: f.connectErrors + f.readErrors + f.writeErrors + f.timeouts,
      non2xx: f.statusErrors,
      generatorCpuSec: f.cpuTicks / CLOCK_TICKS,
    };
  };

  return {
    tool: 'wrk',
    describe: (connections) =>
      `${version} (-t ${THREADS} -c ${connections} --timeout ${GENERATOR_TIMEOUT_SEC}s --latency, Lua script bench/http/wrk/scenario.lua)`,
    async run(job: LoadJob, onMeasureStart?: () => void): Promise<LoadResult> {
      const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-wrk-'));
      try {
        const chain = job.request.refreshChain;
        // Tokens in flight when a run stops are lost: the warm-up and the measured run get a half each.
        const half = chain === null ? 0 : job.warmupSec > 0 ? Math.floor(chain.length / 2) : 0;
        if (job.warmupSec > 0)
          await runOnce(job, job.warmupSec, chain === null ? null : chain.slice(0, half), dir);
        onMeasureStart?.();
        return await runOnce(job, job.durationSec, chain === null ? null : chain.slice(half), dir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
