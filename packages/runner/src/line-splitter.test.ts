import { describe, expect, test } from 'vitest';
import { LineSplitter } from './line-splitter.js';

function split(chunks: Array<string | Buffer>, maxLine = 100, keep = 10) {
  const out: Array<{ line: string; truncated: boolean; bytes: number }> = [];
  const s = new LineSplitter((line, info) => out.push({ line, ...info }), maxLine, keep);
  for (const c of chunks) s.push(typeof c === 'string' ? Buffer.from(c) : c);
  s.end();
  return out;
}

describe('line splitter', () => {
  test('lines across chunks, empty lines, and a last line without newline', () => {
    expect(split(['a\nb', 'c\n\nd']).map((x) => x.line)).toEqual(['a', 'bc', '', 'd']);
  });
  test('a UTF-8 character split between chunks survives', () => {
    const euro = Buffer.from('€\n');
    expect(split([euro.subarray(0, 1), euro.subarray(1)]).map((x) => x.line)).toEqual(['€']);
  });
  test('an over-long line is cut to its head and the rest skipped, in one chunk or many', () => {
    const long = 'x'.repeat(250);
    for (const chunks of [[long + '\nnext\n'], [long.slice(0, 60), long.slice(60, 200), long.slice(200) + '\nnext\n']]) {
      const out = split(chunks);
      expect(out).toEqual([
        { line: 'x'.repeat(10), truncated: true, bytes: 250 },
        { line: 'next', truncated: false, bytes: 4 },
      ]);
    }
  });
  test('memory stays bounded while a line never ends', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), 1000, 10);
    for (let i = 0; i < 1000; i++) s.push(Buffer.alloc(10_000, 97));
    expect((s as unknown as { pending: string }).pending.length).toBeLessThanOrEqual(1000);
    s.end();
    expect(lines).toEqual(['a'.repeat(10)]);
  });
});
