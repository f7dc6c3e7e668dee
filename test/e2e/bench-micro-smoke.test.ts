/**
 * The micro-benchmarks of `make bench-micro` that exercise the request path run end to end on tiny samples.
 * pipeline-per-request checks that each request it measures gets the answer it should before measuring, so a
 * change of the pipeline that its stand-in for uWS no longer matches fails here, not in front of a user.
 * Nothing looks at the figures.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT, cleanEnv } from '../support/gatehouse-process.js';

function runMicro(name: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'dist', 'bench', 'micro', `${name}.js`), '0.01'], {
    cwd: REPO_ROOT,
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('make bench-micro (tiny samples)', () => {
  it('pipeline-per-request: every request answers as expected, then one row per case', () => {
    const r = runMicro('pipeline-per-request');
    assert.equal(r.status, 0, r.stderr);
    for (const row of [
      'GET /api/public/',
      'GET /api/hello/',
      '→ 429',
      '→ 401',
      '→ 404',
      'stage: router.match',
    ])
      assert.ok(r.stdout.includes(row), `missing row ${row}:\n${r.stdout}`);
  });

  it('router-match: the table of cases', () => {
    const r = runMicro('router-match');
    assert.equal(r.status, 0, r.stderr);
    for (const row of ['gatehouse: static hit', 'gatehouse: parameter', 'gatehouse: not found'])
      assert.ok(r.stdout.includes(row), `missing row ${row}:\n${r.stdout}`);
  });
});
