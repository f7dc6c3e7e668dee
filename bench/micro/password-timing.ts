/**
 * Does a login for an unknown user cost what a wrong password costs? Measures, in-process with the default
 * settings, verify(realHash, wrongPassword) against verifyDummy(password) (and verify of a Django unusable
 * password, which also spends a dummy verification), N runs each after a warm-up, interleaved so that drift
 * (CPU frequency, other load) hits all alike. Prints medians and the ratio; the goal is a ratio within 20% of 1.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/micro/password-timing.js [N]
 */
import { availableParallelism, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DEFAULT_PASSWORD_HASHING } from '../../src/auth/passwords/password-hashing-settings.js';
import { createPasswordHasher } from '../../src/auth/passwords/password-hasher.js';

const RUNS = Number(process.argv[2] ?? 30);
const WARM_UP = 5;
const TOLERANCE = 0.2;

const settings = DEFAULT_PASSWORD_HASHING;
const hasher = await createPasswordHasher(settings);
const realHash = await hasher.hash('the real password of a real user');
const unusable = '!a8Kd03LmZq9XwP1sV7tB2nC6yR4eH5jG0fUiOo';
const attempt = 'a wrong password guess';

const cases: Array<{ name: string; run: () => Promise<unknown> }> = [
  { name: 'verify(realHash, wrongPassword)', run: () => hasher.verify(realHash, attempt) },
  { name: 'verifyDummy(password)', run: () => hasher.verifyDummy(attempt) },
  { name: "verify('!unusable', password)", run: () => hasher.verify(unusable, attempt) },
];

for (let i = 0; i < WARM_UP; i++) for (const c of cases) await c.run();

const samples = cases.map(() => [] as number[]);
for (let i = 0; i < RUNS; i++) {
  for (const [index, c] of cases.entries()) {
    const start = performance.now();
    await c.run();
    samples[index]!.push(performance.now() - start);
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const baseline = median(samples[0]!);

console.log(
  `password-timing: argon2id m=${settings.memoryCostKiB} KiB t=${settings.timeCost} p=${settings.parallelism}; ` +
    `N=${RUNS} each after ${WARM_UP} warm-up runs`,
);
console.log(
  `conditions: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}, ` +
    `UV_THREADPOOL_SIZE=${process.env['UV_THREADPOOL_SIZE'] ?? '4 (default)'}, flags: ${process.execArgv.join(' ') || 'none'}`,
);
console.log('');
console.log('| case | median ms | min ms | max ms | ratio to verify | within ±20% |');
console.log('| --- | ---: | ---: | ---: | ---: | --- |');
for (const [index, c] of cases.entries()) {
  const values = samples[index]!;
  const m = median(values);
  const ratio = m / baseline;
  console.log(
    `| ${c.name} | ${m.toFixed(2)} | ${Math.min(...values).toFixed(2)} | ${Math.max(...values).toFixed(2)} | ` +
      `${ratio.toFixed(3)} | ${Math.abs(ratio - 1) <= TOLERANCE ? 'yes' : 'NO'} |`,
  );
}
