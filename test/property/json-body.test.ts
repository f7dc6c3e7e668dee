/**
 * Property tests of the request body path (fast-check, bounded runs): parseJsonBody never throws and answers
 * ok / 400 / 415 exactly as a model built on TextDecoder + JSON.parse and DRF's rules says; BodyCollector
 * delivers exactly the bytes sent, once (copied, as uWS reuses its buffers), refuses over the limit, and
 * delivers nothing once the client has gone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BodyCollector } from '../../src/http/body-reader.js';
import { isJsonMediaType, parseJsonBody } from '../../src/http/json-body.js';
import type { HttpResponse } from '../../src/http/uws.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Python's type name of a JSON text that is not an object, as DRF reports it (json.loads keeps 1.0 a float). */
function pythonTypeOfJsonText(text: string, value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  return /[.eE]/.test(text) ? 'float' : 'int';
}

const JSON_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/*',
  '*/*',
  ' application/json ',
];
const OTHER_TYPES = [
  '',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
  'json',
  'text/json',
];

const contentType = fc.oneof(fc.constantFrom(...JSON_TYPES, ...OTHER_TYPES), fc.string({ maxLength: 40 }));

/** Bytes that are sometimes JSON, sometimes almost JSON, sometimes not UTF-8 at all. */
const bodyBytes = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8')),
  fc.jsonValue({ maxDepth: 3 }).map((v) => {
    const text = JSON.stringify(v) ?? 'null';
    return Buffer.from(text.slice(0, Math.floor(text.length / 2)), 'utf8');
  }),
  fc
    .constantFrom(
      '1.0',
      '-0',
      '1e5',
      '-0.0',
      '1E-2',
      '123456789012345678901234567890',
      'NaN',
      'Infinity',
      '\ufeff{}',
      ' {} ',
      '{"a":1,"a":2}',
      '{"__proto__":{"x":1}}',
    )
    .map((t) => Buffer.from(t, 'utf8')),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
  fc.string({ maxLength: 64 }).map((s) => Buffer.from(s, 'utf8')),
);

describe('parseJsonBody (property)', () => {
  it('never throws and agrees with JSON.parse and DRF on every body and content type', () => {
    fc.assert(
      fc.property(bodyBytes, contentType, (raw, type) => {
        const result = parseJsonBody(raw, type);
        if (raw.length === 0) return assert.deepEqual(result, { ok: true, value: {} });
        if (!isJsonMediaType(type)) {
          assert.ok(!result.ok);
          assert.equal(result.error.status, 415);
          assert.deepEqual(JSON.parse(result.error.body), {
            detail: `Unsupported media type "${type}" in request.`,
          });
          return;
        }
        let text: string | null;
        try {
          text = strictUtf8.decode(raw);
        } catch {
          text = null;
        }
        let value: unknown;
        let parsed = text !== null;
        if (text !== null) {
          try {
            value = JSON.parse(text);
          } catch {
            parsed = false;
          }
        }
        if (!parsed) {
          assert.ok(!result.ok);
          assert.equal(result.error.status, 400);
          const detail = (JSON.parse(result.error.body) as { detail: string }).detail;
          assert.match(detail, /^JSON parse error - /);
          return;
        }
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
          assert.ok(result.ok);
          return assert.deepEqual(result.value, value);
        }
        assert.ok(!result.ok);
        assert.equal(result.error.status, 400);
        assert.equal(
          result.error.body,
          JSON.stringify({
            non_field_errors: [
              `Invalid data. Expected a dictionary, but got ${pythonTypeOfJsonText(text!, value)}.`,
            ],
          }),
        );
      }),
      { numRuns: 3000 },
    );
  });

  it('never echoes the body back in a parse error', () => {
    const marker = 'SECRET-PASSWORD-4711';
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), (before, after) => {
        const raw = Buffer.from(`{"password":"${marker}"${before}${after}`, 'utf8');
        const result = parseJsonBody(raw, 'application/json');
        if (!result.ok) assert.ok(!result.error.body.includes(marker), result.error.body);
      }),
      { numRuns: 500 },
    );
  });
});

/** A stand-in for uWS's HttpResponse: records the onData handler, and neuters each chunk after the call as uWS does. */
class FakeResponse {
  private handler: ((chunk: ArrayBuffer, isLast: boolean) => void) | null = null;

  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): void {
    this.handler = handler;
  }

  send(bytes: Uint8Array, isLast: boolean): void {
    const chunk = new Uint8Array(bytes).buffer;
    this.handler!(chunk, isLast);
    // uWS reuses the memory once the callback returns: anything not copied now is garbage later.
    new Uint8Array(chunk).fill(0xee);
  }
}

function collect(res: FakeResponse, limit: number): BodyCollector {
  return new BodyCollector(res as unknown as HttpResponse, limit);
}

describe('BodyCollector (property)', () => {
  const chunks = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 });

  it('delivers exactly the bytes sent, or tooLarge past the limit, whenever whenDone is called', () => {
    fc.assert(
      fc.property(chunks, fc.integer({ min: 0, max: 2000 }), fc.nat({ max: 12 }), (parts, limit, askAt) => {
        const res = new FakeResponse();
        const collector = collect(res, limit);
        const delivered: { body: Buffer | null; tooLarge: boolean }[] = [];
        const ask = (): void => collector.whenDone((body, tooLarge) => delivered.push({ body, tooLarge }));
        const all = parts.length === 0 ? [new Uint8Array(0)] : parts;
        all.forEach((part, i) => {
          if (i === askAt) ask();
          res.send(part, i === all.length - 1);
        });
        if (askAt >= all.length) ask();
        const expected = Buffer.concat(all);
        assert.equal(
          delivered.length,
          1,
          'delivered exactly once, when both the last chunk and the caller were there',
        );
        if (expected.length > limit) assert.deepEqual(delivered[0], { body: null, tooLarge: true });
        else {
          assert.equal(delivered[0]!.tooLarge, false);
          assert.deepEqual(delivered[0]!.body ?? Buffer.alloc(0), expected);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('after cancel() (the client went away) nothing is delivered, whatever arrives', () => {
    fc.assert(
      fc.property(chunks, fc.boolean(), (parts, askFirst) => {
        const res = new FakeResponse();
        const collector = collect(res, 10_000);
        let calls = 0;
        if (askFirst) collector.whenDone(() => calls++);
        collector.cancel();
        parts.forEach((part, i) => res.send(part, i === parts.length - 1));
        assert.equal(calls, 0);
      }),
      { numRuns: 300 },
    );
  });
});
