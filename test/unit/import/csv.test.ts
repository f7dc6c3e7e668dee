import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv } from '../../../src/store/import/csv.js';

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

describe('parseCsv (RFC 4180)', () => {
  it('splits records on CRLF, LF or CR, with or without a final line break', () => {
    assert.deepEqual(fields('a,b\r\nc,d\r\n'), [
      ['a', 'b'],
      ['c', 'd'],
    ]);
    assert.deepEqual(fields('a,b\nc,d'), [
      ['a', 'b'],
      ['c', 'd'],
    ]);
    assert.deepEqual(fields('a,b\rc,d\r'), [
      ['a', 'b'],
      ['c', 'd'],
    ]);
    assert.deepEqual(fields(''), []);
  });

  it('keeps empty fields, including a trailing one', () => {
    assert.deepEqual(fields(',a,,\n'), [['', 'a', '', '']]);
    assert.deepEqual(fields('a,\n\n'), [['a', ''], ['']]);
  });

  it('reads quoted fields holding commas, doubled quotes and line breaks', () => {
    const records = parseCsv('id,text\r\n1,"a, ""b""\r\nc"\r\n2,"" \r\n3,""\r\n');
    assert.deepEqual(
      records.map((r) => r.fields),
      [
        ['id', 'text'],
        ['1', 'a, "b"\r\nc'],
        ['2', ''],
        ['3', ''],
      ],
    );
    assert.equal(records[2]!.error, 'text follows the closing quote of a field');
    assert.deepEqual(
      records.map((r) => r.line),
      [1, 2, 4, 5],
    );
    assert.equal(records[3]!.error, null);
  });

  it('skips a UTF-8 byte order mark', () => {
    assert.deepEqual(fields('\uFEFFusername,password\n'), [['username', 'password']]);
  });

  it('does not trim spaces: they are data', () => {
    assert.deepEqual(fields(' a , b \n'), [[' a ', ' b ']]);
  });

  it('marks records that break the grammar and goes on with the next one', () => {
    const records = parseCsv('a"b,c\n"x"y,z\nok,1\n"open,2\nlost\n');
    assert.equal(records[0]!.error, 'a quote appears inside an unquoted field');
    assert.equal(records[1]!.error, 'text follows the closing quote of a field');
    assert.deepEqual(records[1]!.fields, ['x', 'z']);
    assert.deepEqual(records[2], { fields: ['ok', '1'], line: 3, error: null });
    assert.equal(records[3]!.error, 'a quoted field is not closed before the end of the file');
    assert.equal(records.length, 4);
  });
});
