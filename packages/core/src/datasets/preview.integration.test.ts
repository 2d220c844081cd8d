import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { tempDir } from '../testing/temp-workspace.js';
import { previewFile } from './preview.js';

let dir: string;
let dispose: () => Promise<void>;
beforeEach(async () => ({ dir, dispose } = await tempDir('wb-preview-')));
afterEach(async () => dispose());

async function file(name: string, content: string | Buffer): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, content);
  return p;
}

describe('csv and tsv', () => {
  test('quoted fields with commas, quotes and line breaks; CRLF; BOM', async () => {
    const p = await file('people.csv', '\uFEFFname,note,age\r\n"Smith, Ann","said ""hi""\r\nthen left",41\r\nBob,,7\r\n');
    expect(await previewFile(p)).toEqual({
      format: 'csv',
      file: 'people.csv',
      columns: ['name', 'note', 'age'],
      rows: [
        ['Smith, Ann', 'said "hi"\r\nthen left', '41'],
        ['Bob', '', '7'],
      ],
      truncated: false,
    });
  });

  test('limit and truncation; ragged rows are kept', async () => {
    const lines = ['a,b', ...Array.from({ length: 50 }, (_, i) => `${i},${i * 2}`), '99'];
    const p = await file('n.csv', lines.join('\n'));
    const r = await previewFile(p, { limit: 3 });
    expect(r.rows).toEqual([
      ['0', '0'],
      ['1', '2'],
      ['2', '4'],
    ]);
    expect(r.truncated).toBe(true);
    const all = await previewFile(p, { limit: 1000 });
    expect(all.rows).toHaveLength(51);
    expect(all.rows.at(-1)).toEqual(['99']);
    expect(all.truncated).toBe(false);
  });

  test('tsv', async () => {
    const p = await file('t.tsv', 'x\ty\n1\thello world\n');
    expect(await previewFile(p)).toMatchObject({ format: 'tsv', columns: ['x', 'y'], rows: [['1', 'hello world']], truncated: false });
  });

  test('a huge single-line CSV is read only up to the byte budget', async () => {
    const p = path.join(dir, 'wide.csv');
    const fh = await open(p, 'w');
    const chunk = Buffer.from('abcdefghij,'.repeat(100_000)); // ~1.1 MB, no newline
    for (let i = 0; i < 30; i++) await fh.write(chunk);
    await fh.close();
    const started = Date.now();
    const r = await previewFile(p);
    expect(r).toMatchObject({ format: 'csv', columns: [], rows: [], truncated: true });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('a record cut by the byte budget is dropped, never shown half', async () => {
    const p = await file('cut.csv', 'a,b\n1,"one"\n2,"two is long"\n3,three\n');
    const r = await previewFile(p, { maxBytes: 22 }); // ends inside the quoted "two is long"
    expect(r).toEqual({ format: 'csv', file: 'cut.csv', columns: ['a', 'b'], rows: [['1', 'one']], truncated: true });
    const r2 = await previewFile(p, { maxBytes: 18 }); // ends inside an unquoted field
    expect(r2.rows).toEqual([['1', 'one']]);
    const q = await file('quoted.csv', 'a,b\n1,"multi\nline field"\n2,x\n');
    const r3 = await previewFile(q, { maxBytes: 16 }); // ends after the line break inside the quotes
    expect(r3).toMatchObject({ columns: ['a', 'b'], rows: [], truncated: true });
    expect((await previewFile(q)).rows).toEqual([['1', 'multi\nline field'], ['2', 'x']]);
  });

  test('an unclosed quote at the real end of the file is an input error', async () => {
    const p = await file('bad.csv', 'a,b\n1,"open\n');
    await expect(previewFile(p)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('not valid CSV') });
  });

  test('empty file', async () => {
    expect(await previewFile(await file('empty.csv', ''))).toEqual({ format: 'csv', file: 'empty.csv', columns: [], rows: [], truncated: false });
  });

  test('a binary file named .csv or .jsonl (gzip, UTF-16) is refused instead of shown as garbage', async () => {
    const { gzipSync } = await import('node:zlib');
    const gz = gzipSync(Buffer.from('a,b\n1,2\n'));
    await expect(previewFile(await file('data.csv', gz))).rejects.toMatchObject({ code: 'INVALID_INPUT', message: "'data.csv' is not CSV text: it holds binary bytes (NUL) near the start" });
    await expect(previewFile(await file('utf16.tsv', Buffer.from('a\tb\n1\t2\n', 'utf16le')))).rejects.toMatchObject({ hint: expect.stringContaining('UTF-16') });
    await expect(previewFile(await file('x.jsonl', Buffer.concat([Buffer.from('{"a":1}\n'), Buffer.from([0, 1, 2])])))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    // Latin-1 bytes are not UTF-8 but hold no NUL: still previewed.
    expect((await previewFile(await file('latin1.csv', Buffer.from('name\ncaf\xe9\n', 'latin1')))).rows).toHaveLength(1);
  });
});

describe('jsonl', () => {
  test('columns are the union of keys in order of appearance', async () => {
    const p = await file('d.jsonl', '{"a":1,"b":"x"}\r\n\n{"c":true,"a":2}\n{"b":null,"d":{"n":[1,2]}}');
    expect(await previewFile(p)).toEqual({
      format: 'jsonl',
      file: 'd.jsonl',
      columns: ['a', 'b', 'c', 'd'],
      rows: [
        [1, 'x', null, null],
        [2, null, true, null],
        [null, null, null, { n: [1, 2] }],
      ],
      truncated: false,
    });
  });

  test('a malformed line is an error naming its number; lines past the limit are not read', async () => {
    const p = await file('bad.ndjson', '{"a":1}\n{"a":2}\n{"a":\n{"a":4}\n');
    await expect(previewFile(p)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('line 3') });
    expect(await previewFile(p, { limit: 2 })).toMatchObject({ rows: [[1], [2]], truncated: true });
  });

  test('a line cut by the byte budget is dropped; scalar lines become a value column', async () => {
    const p = await file('s.jsonl', '1\n"two"\n{"x":3}\n{"x":"a long last line"}\n');
    const r = await previewFile(p, { maxBytes: 30 });
    expect(r).toMatchObject({ columns: ['value', 'x'], rows: [[1, null], ['two', null], [null, 3]], truncated: true });
  });
});

describe('parquet', () => {
  test('reads columns and only the first rows', async () => {
    const p = path.join(dir, 'data.parquet');
    const n = 5000;
    parquetWriteFile({
      filename: p,
      columnData: [
        { name: 'id', data: Array.from({ length: n }, (_, i) => BigInt(i)), type: 'INT64' },
        { name: 'name', data: Array.from({ length: n }, (_, i) => `row ${i}`), type: 'STRING' },
        { name: 'score', data: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : i / 2)), type: 'DOUBLE' },
        { name: 'big', data: Array.from({ length: n }, () => 2n ** 62n), type: 'INT64' },
      ],
      rowGroupSize: 1000,
    });
    const r = await previewFile(p, { limit: 3 });
    expect(r).toEqual({
      format: 'parquet',
      file: 'data.parquet',
      columns: ['id', 'name', 'score', 'big'],
      rows: [
        [0, 'row 0', null, '4611686018427387904'],
        [1, 'row 1', 0.5, '4611686018427387904'],
        [2, 'row 2', 1, '4611686018427387904'],
      ],
      truncated: true,
    });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  test('a file that is not Parquet is an input error', async () => {
    const p = await file('fake.parquet', 'not parquet at all');
    await expect(previewFile(p)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('Parquet') });
  });
});

test('unknown formats and bad limits are refused with what is supported', async () => {
  const p = await file('notes.txt', 'hello');
  await expect(previewFile(p)).rejects.toMatchObject({ code: 'INVALID_INPUT', hint: expect.stringContaining('.csv, .tsv, .jsonl') });
  const c = await file('a.csv', 'a\n1\n');
  await expect(previewFile(c, { limit: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  await expect(previewFile(c, { limit: 1001 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  await expect(previewFile(path.join(dir, 'missing.csv'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
});
