/**
 * Request bodies decoded by their declared charset as Django + DRF decode them (names checked against
 * Python 3.11's codecs.lookup; an unknown name is ignored, as Django ignores it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBody, declaredCodec } from '../../../src/http/body-charset.js';

describe('declaredCodec', () => {
  const names: [string, string | null][] = [
    ['application/json', null],
    ['application/json; charset=utf-8', 'utf-8'],
    ['application/json;charset=UTF8', 'utf-8'],
    ['application/json; charset=ISO-8859-1', 'latin-1'],
    ['application/json; charset="latin-1"', 'latin-1'],
    ['application/json; charset=iso_8859-1:1987; q=1', 'latin-1'],
    ['application/json; Charset=US-ASCII', 'ascii'],
    ['application/json; charset=ANSI_X3.4-1968', 'ascii'],
    ['application/json; charset=utf-16', 'utf-16'],
    ['application/json; charset=UTF-16LE', 'utf-16-le'],
    ['application/json; charset=utf-16be', 'utf-16-be'],
    ['application/json; charset=windows 1252', 'cp1252'],
    ['application/json; charset=utf-8-sig', 'utf-8-sig'],
    ['application/json; charset=bogus', null],
    ['application/json; charset=', null],
  ];
  for (const [contentType, codec] of names) {
    it(`${contentType} -> ${codec ?? 'UTF-8 by default'}`, () =>
      assert.equal(declaredCodec(contentType), codec));
  }
});

describe('decodeBody', () => {
  const text = '{"u":"josé €"}';
  it('decodes UTF-8 by default and refuses bytes that are not', () => {
    assert.deepEqual(decodeBody(Buffer.from(text), 'application/json'), { ok: true, text });
    assert.deepEqual(decodeBody(Buffer.from([0x7b, 0xe9, 0x7d]), 'application/json'), {
      ok: false,
      codec: 'utf-8',
    });
    // A byte order mark stays (DRF's json.loads then refuses it); utf-8-sig drops it.
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')]);
    assert.deepEqual(decodeBody(bom, 'application/json'), { ok: true, text: '\ufeff{}' });
    assert.deepEqual(decodeBody(bom, 'application/json; charset=utf-8-sig'), { ok: true, text: '{}' });
  });

  it('decodes Latin-1 byte for byte, and ASCII strictly', () => {
    const latin = Buffer.from('{"u":"josé"}', 'latin1');
    assert.deepEqual(decodeBody(latin, 'application/json; charset=latin-1'), {
      ok: true,
      text: '{"u":"josé"}',
    });
    assert.deepEqual(decodeBody(Buffer.from([0x80, 0x9f]), 'application/json; charset=l1'), {
      ok: true,
      text: '\u0080\u009f',
    });
    assert.deepEqual(decodeBody(latin, 'application/json; charset=ascii'), { ok: false, codec: 'ascii' });
    assert.deepEqual(decodeBody(Buffer.from('{}'), 'application/json; charset=ascii'), {
      ok: true,
      text: '{}',
    });
  });

  it('decodes UTF-16 by its byte order mark, little-endian without one', () => {
    const le = Buffer.from(text, 'utf16le');
    const be = Buffer.from(le).swap16();
    const type = 'application/json; charset=utf-16';
    assert.deepEqual(decodeBody(le, type), { ok: true, text });
    assert.deepEqual(decodeBody(Buffer.concat([Buffer.from([0xff, 0xfe]), le]), type), { ok: true, text });
    assert.deepEqual(decodeBody(Buffer.concat([Buffer.from([0xfe, 0xff]), be]), type), { ok: true, text });
    assert.deepEqual(decodeBody(be, 'application/json; charset=utf-16be'), { ok: true, text });
    assert.deepEqual(decodeBody(Buffer.from([0x7b]), type), { ok: false, codec: 'utf-16' });
  });

  it("decodes Windows-1252, refusing the five bytes Python's cp1252 leaves undefined", () => {
    const type = 'application/json; charset=cp1252';
    assert.deepEqual(decodeBody(Buffer.from([0x80, 0x41]), type), { ok: true, text: '€A' });
    assert.deepEqual(decodeBody(Buffer.from([0x81]), type), { ok: false, codec: 'cp1252' });
  });
});
