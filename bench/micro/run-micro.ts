/**
 * `make bench-micro`: the in-process micro-benchmarks, one after the other, each in a fresh Node process (no
 * JIT state or heap carried from one to the next), each printing its own Markdown table with its conditions.
 *
 *   make bench-micro                              all of them (about a minute and a half)
 *   BENCH_MICRO=router-match,pipeline-per-request make bench-micro
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface MicroBench {
  readonly name: string;
  readonly shows: string;
}

const BENCHES: readonly MicroBench[] = [
  {
    name: 'jwt-verify',
    shows: 'HS256 verification: Gatehouse against fast-jwt, jose, jsonwebtoken and the bare HMAC',
  },
  { name: 'router-match', shows: 'route matching on the real route table' },
  {
    name: 'pipeline-per-request',
    shows: 'the JavaScript work of one whole request (adapter, router, pipeline, handler), then its stages',
  },
  {
    name: 'throttle-stores',
    shows: 'throttle decisions: shared memory against SQLite and a Map, 1 and 2 processes',
  },
  { name: 'password-timing', shows: 'login timing: unknown user against wrong password (argon2id defaults)' },
];

function selected(): MicroBench[] {
  const raw = process.env['BENCH_MICRO']?.trim();
  if (!raw) return [...BENCHES];
  const names = raw.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length > 0)
    throw new Error(
      `BENCH_MICRO: unknown ${unknown.join(', ')} (known: ${BENCHES.map((b) => b.name).join(', ')})`,
    );
  return BENCHES.filter((b) => names.includes(b.name));
}

function main(): number {
  let benches: MicroBench[];
  try {
    benches = selected();
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const failed: string[] = [];
  for (const bench of benches) {
    const script = fileURLToPath(new URL(`./${bench.name}.js`, import.meta.url));
    console.log(`\n## ${bench.name}: ${bench.shows} (bench/micro/${bench.name}.ts)\n`);
    if (!existsSync(script)) {
      console.log(`(not built: ${script} is missing)`);
      failed.push(bench.name);
      continue;
    }
    const started = performance.now();
    const run = spawnSync(process.execPath, [script], { stdio: 'inherit' });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (run.status !== 0) {
      console.log(`\n${bench.name} failed (${run.signal ?? `exit ${run.status}`}) after ${seconds} s`);
      failed.push(bench.name);
    } else console.log(`\n(${bench.name}: ${seconds} s)`);
  }
  if (failed.length > 0) console.error(`\nmake bench-micro: ${failed.join(', ')} did not complete`);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = main();
