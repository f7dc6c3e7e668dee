/**
 * autocannon as a load generator: each scenario runs in a separate Node process (autocannon-driver.js), which
 * reports its own CPU time, so the report can say how much of the machine the generator took.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWithLines } from './child-lines.js';
import {
  GENERATOR_TIMEOUT_SEC,
  type LoadGenerator,
  type LoadJob,
  type LoadResult,
} from './load-generator.js';

const DRIVER = fileURLToPath(new URL('./autocannon-driver.js', import.meta.url));

export function autocannonGenerator(repoRoot: string): LoadGenerator {
  const version = (
    JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'autocannon', 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  return {
    tool: 'autocannon',
    describe: (connections) =>
      `autocannon ${version} in its own Node process (-c ${connections} -p 1 --timeout ${GENERATOR_TIMEOUT_SEC}, one thread)`,
    async run(job: LoadJob, onMeasureStart?: () => void): Promise<LoadResult> {
      // The job (and its refresh tokens) goes through a private file rather than argv, where `ps` would show it.
      const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-job-'));
      const jobFile = join(dir, 'job.json');
      writeFileSync(jobFile, JSON.stringify(job), { mode: 0o600 });
      let result: LoadResult | null = null;
      try {
        await runWithLines(process.execPath, [DRIVER, jobFile], {}, (line) => {
          const event = JSON.parse(line) as { event: string } & Omit<LoadResult, 'tool' | 'requestsPerSec'>;
          if (event.event === 'measuring') onMeasureStart?.();
          if (event.event === 'result') {
            const { event: _event, ...figures } = event;
            result = {
              tool: 'autocannon',
              ...figures,
              requestsPerSec: figures.requests / figures.durationSec,
            };
          }
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      if (result === null) throw new Error('the autocannon driver printed no result');
      return result;
    },
  };
}
