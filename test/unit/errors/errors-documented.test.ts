import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERRORS, throttled } from '../../../src/errors.js';

const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
const documented = new Map(
  [...doc.matchAll(/^\| `([a-z0-9_]+)` \| (\d{3})[^|]*\| `([^`]*)` \|/gm)].map((m) => [
    m[1]!,
    { status: Number(m[2]), body: m[3]!.replace(/\\\|/g, '|') },
  ]),
);

describe('error table', () => {
  it('documents every code with its status and exact body in docs/errors.md', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      const row = documented.get(code);
      assert.ok(row, `${code} is missing from docs/errors.md`);
      assert.equal(row.status, spec.status, code);
      assert.equal(row.body, spec.body, code);
    }
  });

  it('documents no code that the table does not have', () => {
    for (const code of documented.keys())
      assert.ok(code in ERRORS, `docs/errors.md lists ${code}, which src/errors.ts lacks`);
  });

  it('has bodies that are compact JSON objects', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      const parsed = JSON.parse(spec.body) as unknown;
      assert.equal(JSON.stringify(parsed), spec.body, code);
      assert.equal(typeof parsed, 'object', code);
    }
  });

  it('words throttling like DRF, second in the singular', () => {
    assert.equal(throttled(0.2).body, '{"detail":"Request was throttled. Expected available in 1 second."}');
    assert.equal(
      throttled(59.01).body,
      '{"detail":"Request was throttled. Expected available in 60 seconds."}',
    );
    assert.equal(throttled(60), throttled(59.5), 'bodies are encoded once per wait');
  });
});
