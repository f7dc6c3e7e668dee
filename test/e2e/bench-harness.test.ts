/**
 * `make bench` runs end to end on a tiny plan and writes its table, JSON and chart. Nothing here looks at how
 * fast anything was: only that every planned run happened, answered correctly and was reported.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { BenchResults } from '../../bench/http/results.js';
import { REPO_ROOT, cleanEnv } from '../support/gatehouse-process.js';

const RUN_BENCH = join(REPO_ROOT, 'dist', 'bench', 'http', 'run-bench.js');
const wrkInstalled = spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout?.startsWith('wrk') ?? false;

function runBench(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [RUN_BENCH], {
    cwd: REPO_ROOT,
    env: {
      ...cleanEnv(),
      BENCH_DURATION: '1',
      BENCH_WARMUP: '0',
      BENCH_WORKERS: '1',
      BENCH_CONNECTIONS: '4',
      ...env,
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function readResults(dir: string, name: string): { results: BenchResults; markdown: string; svg: string } {
  return {
    results: JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as BenchResults,
    markdown: readFileSync(join(dir, `${name}.md`), 'utf8'),
    svg: readFileSync(join(dir, `${name}.svg`), 'utf8'),
  };
}

describe('make bench harness', () => {
  const dirs: string[] = [];
  const resultsDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-test-'));
    dirs.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('measures Gatehouse and both peers with autocannon and writes the table, JSON and SVG', () => {
    const dir = resultsDir();
    const run = runBench({ BENCH_SCENARIOS: 'public,protected,refresh', BENCH_RESULTS_DIR: dir });
    assert.equal(run.status, 0, run.stderr + run.stdout);

    // One progress line as each run starts and one as it finishes: 3 Gatehouse scenarios, 2 per peer.
    assert.equal(run.stdout.match(/^\[\d\/7\] start /gm)?.length, 7, run.stdout);
    assert.equal(run.stdout.match(/^\[\d\/7\] done /gm)?.length, 7, run.stdout);

    const { results, markdown, svg } = readResults(dir, 'http-autocannon');
    assert.equal(results.conditions.tool, 'autocannon');
    assert.match(results.conditions.generator, /^autocannon \d+\.\d+\.\d+/);
    assert.ok(results.conditions.cores >= 1);
    const systems = results.rows.map((r) => `${r.system}:${r.scenario}`).sort();
    assert.deepEqual(systems, [
      'bare-uws:protected',
      'bare-uws:public',
      'fastify:protected',
      'fastify:public',
      'gatehouse:protected',
      'gatehouse:public',
      'gatehouse:refresh',
    ]);
    for (const row of results.rows) {
      assert.ok(row.requests > 0, `${row.system} ${row.scenario} answered nothing`);
      assert.equal(row.workers, 1);
      assert.equal(row.workerPeakRssMiB.length, 1, 'one RSS figure per worker');
      assert.ok(row.peakRssPerWorkerMiB > 0, 'the worker was sampled');
    }
    // Every refresh of the chain succeeded: each answer's new token was used for the next request.
    const refresh = results.rows.find((r) => r.scenario === 'refresh')!;
    assert.equal(refresh.non2xx, 0);
    assert.equal(refresh.errors, 0);

    assert.match(markdown, /^# make bench \(autocannon\)/);
    assert.match(markdown, /\| scenario \| workers \| system \| req\/s \| × ceiling \| × Fastify \|/);
    assert.match(
      markdown,
      /\| GET \/api\/hello\/ \(JWT\) \| 1 \| Gatehouse \| [\d,]+ \| \d+\.\d\d× \| \d+\.\d\d× \|/,
    );
    assert.match(markdown, /\*\*Goals\*\*/);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal(
      svg.match(/<rect x="\d+" y="\d+" width="[\d.]+" height="16"/g)?.length,
      7,
      'one bar per row',
    );
    assert.ok(!existsSync(join(dir, 'http-autocannon.json.tmp')), 'no temporary file left behind');
  });

  it(
    'drives wrk with the Lua script, refresh chain included',
    { skip: !wrkInstalled && 'wrk is not installed' },
    () => {
      const dir = resultsDir();
      const run = runBench({
        BENCH_TOOL: 'wrk',
        BENCH_SYSTEMS: 'gatehouse',
        BENCH_SCENARIOS: 'protected,refresh',
        BENCH_WARMUP: '1',
        BENCH_RESULTS_DIR: dir,
      });
      assert.equal(run.status, 0, run.stderr + run.stdout);
      const { results } = readResults(dir, 'http-wrk');
      assert.match(results.conditions.generator, /^wrk /);
      assert.deepEqual(
        results.rows.map((r) => r.scenario),
        ['protected', 'refresh'],
      );
      for (const row of results.rows) {
        assert.ok(row.requests > 0);
        // Warm-up and measured run each get their own tokens, and wrk's start-up call to request() is covered.
        assert.equal(row.non2xx, 0, `${row.scenario}: non-2xx answers`);
        assert.equal(row.errors, 0);
      }
    },
  );

  it('refuses unknown settings before starting anything', () => {
    const run = runBench({ BENCH_SCENARIOS: 'public,nope', BENCH_TOOL: 'ab' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /BENCH_SCENARIOS: unknown nope/);
    assert.match(run.stderr, /BENCH_TOOL=ab/);
  });
});
