import type { LogLine } from '@workbench/api';
import { describe, expect, test } from 'vitest';
import { LogLines } from './log-store';
import { filterLines, groupRepeats, heldLinesAsText, ungroupedRows, type LogFilter, type Rows } from './logs';

const line = (seq: number, text: string, stream: LogLine['stream'] = 'stdout', level = 'INFO'): LogLine => ({ seq, ts: 1_700_000_000_000 + seq, stream, level, text });
const all = new Set<LogLine['stream']>(['stdout', 'stderr', 'event', 'system']);
const noFilter: LogFilter = { streams: all, level: '', search: '' };
const texts = (v: LogLines, ids: ArrayLike<number>) => Array.from(ids, (id) => v.text(id));
const rowsOf = (r: Rows) => Array.from({ length: r.count }, (_, k) => [r.id(k), r.repeats(k)]);
/** Tiny text chunks, so a few lines cross many chunk boundaries. */
const SMALL = { chars: 64, lines: 7 };
/** The straightforward answer a filter must give, over plain objects. */
const naive = (ls: LogLine[], needle: string) => ls.filter((l) => l.text.toLowerCase().includes(needle.toLowerCase())).map((l) => l.seq);

describe('log store', () => {
  test('append keeps seq order, drops repeats, and gives back every field', () => {
    const a = LogLines.from([line(1, 'one'), line(2, 'two', 'stderr', 'WARN')]);
    const b = a.append([line(2, 'two again'), line(3, 'three', 'event'), line(3, 'dup'), line(1, 'old')]);
    expect(b.length).toBe(3);
    expect(a.length).toBe(2); // the earlier view is unchanged
    expect(b.line(1)).toEqual(line(2, 'two', 'stderr', 'WARN'));
    expect(texts(b, [0, 1, 2])).toEqual(['one', 'two', 'three']);
    expect([b.firstSeq, b.lastSeq]).toEqual([1, 3]);
    expect(b.append([])).toBe(b);
    expect(b.append([line(Number.NaN, 'nan seq')])).toBe(b);
    expect(() => b.append([line(9, 'x')], Number.NaN)).toThrow(/line cap/);
    expect(() => b.append([line(9, 'x')], -1)).toThrow(/line cap/);
    expect(b.append([line(9, 'x')], 0).length).toBe(0);
  });

  test('the cap keeps the newest lines under the same ids; trimmed columns are copied once most are dead', () => {
    let v = LogLines.empty();
    for (let s = 1; s <= 20_000; s += 100) v = v.append(Array.from({ length: 100 }, (_, i) => line(s + i, `line ${s + i}`)), 1000);
    expect(v.length).toBe(1000);
    expect([v.first, v.end]).toEqual([19_000, 20_000]);
    expect(v.text(v.first)).toBe('line 19001');
    expect(v.text(v.end - 1)).toBe('line 20000');
    expect(v.capacity).toBeLessThan(20_000); // the dead lines did not stay
  });

  test('an update applied twice to the same view (React runs updaters twice) reuses the lines, a different one copies', () => {
    const a = LogLines.from([line(1, 'a')]);
    const b1 = a.append([line(2, 'b'), line(3, 'c')]);
    const b2 = a.append([line(2, 'b'), line(3, 'c')]);
    expect(b2.lineage).toBe(b1.lineage);
    expect(texts(b2, [0, 1, 2])).toEqual(['a', 'b', 'c']);
    const c = a.append([line(2, 'other')]);
    expect(c.lineage).not.toBe(b1.lineage);
    expect(texts(c, [0, 1])).toEqual(['a', 'other']);
    expect(texts(b1, [0, 1, 2])).toEqual(['a', 'b', 'c']);
  });

  test('prepend puts earlier lines first and ignores ones not earlier', () => {
    const v = LogLines.from([line(10, 'ten'), line(11, 'eleven')]).prepend([line(8, 'eight'), line(9, 'nine'), line(10, 'dup')]);
    expect(Array.from({ length: v.length }, (_, k) => v.seq(v.first + k))).toEqual([8, 9, 10, 11]);
    expect(v.text(v.first + 2)).toBe('ten');
  });

  test('empty text, a huge line, odd characters and lone surrogates come back as they went in', () => {
    const huge = 'x'.repeat(3 << 20) + 'END';
    const odd = ['', 'tab\there', 'nul\u0000byte', 'emoji 😀 and 中文', 'lone \ud800 surrogate', '\ufffd replacement', 'multi\nline', 'İstanbul'];
    const ls = [line(1, 'before'), ...odd.map((t, i) => line(2 + i, t)), line(20, huge), line(21, 'after')];
    for (const chunk of [undefined, SMALL]) {
      const u = LogLines.from(ls, chunk);
      expect(texts(u, Array.from({ length: u.length }, (_, k) => k))).toEqual(ls.map((l) => l.text));
      expect(Array.from(filterLines(null, u, { ...noFilter, search: 'end' }).ids)).toEqual([ls.length - 2]);
    }
    const v = LogLines.from(ls);
    // Text that is not a string on the wire (hostile input) is kept as its string form.
    const w = v.append([{ seq: 30, ts: 0, stream: 'stdout', level: 'INFO', text: 42 as unknown as string }]);
    expect(w.text(w.end - 1)).toBe('42');
  });

  test('a million lines: the columns grow by doubling and every line reads back', () => {
    let v = LogLines.empty();
    const n = 1_000_000;
    for (let s = 1; s <= n; s += 10_000) v = v.append(Array.from({ length: 10_000 }, (_, i) => line(s + i, `step ${s + i}`, i % 3 ? 'stdout' : 'stderr')));
    expect(v.length).toBe(n);
    expect(v.capacity).toBe(1 << 20);
    for (const id of [0, 1023, 1024, 500_000, n - 1]) expect(v.text(id)).toBe(`step ${id + 1}`);
    const shown = filterLines(null, v, { ...noFilter, search: 'step 99999' });
    expect(texts(v, shown.ids)).toEqual(['step 99999', 'step 999990', 'step 999991', 'step 999992', 'step 999993', 'step 999994', 'step 999995', 'step 999996', 'step 999997', 'step 999998', 'step 999999']);
    expect(filterLines(null, v, { ...noFilter, streams: new Set(['stderr']) }).ids.length).toBe(333_400);
  });
});

describe('filtering the store', () => {
  const ls = [line(1, 'epoch 1'), line(2, 'Warning: slow', 'stderr', 'WARN'), line(3, 'loss=0.5', 'event'), line(4, 'started', 'system'), line(5, 'boom', 'stdout', 'ERROR')];
  const v = LogLines.from(ls);
  test('by stream, level and search, as an index array', () => {
    const ids = (f: Partial<LogFilter>) => Array.from(filterLines(null, v, { ...noFilter, ...f }).ids);
    expect(filterLines(null, v, noFilter).ids).toBeInstanceOf(Uint32Array);
    expect(ids({})).toEqual([0, 1, 2, 3, 4]);
    expect(ids({ streams: new Set(['stderr']) })).toEqual([1]);
    expect(ids({ level: 'WARN' })).toEqual([1, 4]);
    expect(ids({ search: 'SLOW' })).toEqual([1]);
    expect(ids({ search: 'o', streams: new Set(['stdout', 'stderr']) })).toEqual([0, 1, 4]);
    expect(ids({ search: 'nothing like it' })).toEqual([]);
  });

  test('search finds matches inside closed chunks and the open one, never across two lines', () => {
    const many = Array.from({ length: 3000 }, (_, i) => line(i + 1, i % 2 ? `ab ${i}` : `cd ${i}`));
    for (const chunk of [undefined, SMALL, { chars: 1 << 20, lines: 1000 }]) {
      const w = LogLines.from(many, chunk);
      for (const needle of ['ab', 'AB 29', 'cd 2998', 'b 1', '9ab', '1cd', '']) {
        const got = Array.from(filterLines(null, w, { ...noFilter, search: needle }).ids, (id) => w.seq(id));
        expect(got, needle).toEqual(needle ? naive(many, needle) : many.map((l) => l.seq));
      }
    }
  });

  test('case-insensitive search where lower-casing lengthens the text (İ) and with characters outside Latin-1', () => {
    const ls2 = Array.from({ length: 2100 }, (_, i) => line(i + 1, i === 5 ? 'İstanbul' : i === 1500 ? 'Ünïcödé 😀 Tail' : `row ${i} İ`));
    for (const chunk of [undefined, SMALL]) {
      const w = LogLines.from(ls2, chunk);
      for (const needle of ['row 7 ', 'ünïcödé 😀', 'tail', 'stanbul', 'row 2099']) {
        expect(Array.from(filterLines(null, w, { ...noFilter, search: needle }).ids, (id) => w.seq(id)), needle).toEqual(naive(ls2, needle));
      }
    }
  });

  test('incremental: appended lines are scanned alone; trimmed ones leave the index; another filter is a full pass', () => {
    const f = { ...noFilter, streams: new Set<LogLine['stream']>(['stdout', 'stderr']), search: 'o' };
    const a = LogLines.from(ls.slice(0, 2));
    const c1 = filterLines(null, a, f);
    const b = a.append(ls.slice(2));
    const c2 = filterLines(c1, b, f);
    expect(Array.from(c2.ids)).toEqual([0, 1, 4]);
    expect(c2.list).toBe(c1.list); // grown in place
    expect(Array.from(c1.ids)).toEqual([0, 1]); // the earlier index is unchanged
    expect(filterLines(c2, b, f).ids).toBe(c2.ids);
    expect(Array.from(filterLines(c2, b, { ...f, search: 'boom' }).ids)).toEqual([4]);
    const trimmed = b.append([line(6, 'more o')], 3);
    expect(Array.from(filterLines(c2, trimmed, f).ids)).toEqual([4, 5]);
    // Two updates from the same earlier index (React may compute one twice) do not mix.
    const d1 = filterLines(c1, b, f);
    const d2 = filterLines(c1, b.append([line(7, 'o seven')]), f);
    expect(Array.from(d1.ids)).toEqual([0, 1, 4]);
    const seqs2 = Array.from(d2.ids, (id) => d2.lines.seq(id));
    expect(seqs2).toEqual([1, 2, 5, 7]);
  });

  test('copy text: the shown lines, time, stream and level', () => {
    const shown = filterLines(null, v, { ...noFilter, level: 'WARN' });
    expect(heldLinesAsText(v, shown.ids).join('')).toBe(`${new Date(1_700_000_000_002).toISOString()} stderr WARN Warning: slow\n${new Date(1_700_000_000_005).toISOString()} stdout ERROR boom\n`);
    expect(heldLinesAsText(LogLines.empty())).toEqual(['']);
  });
});

describe('grouping repeated lines in the store', () => {
  test('runs of identical lines fold into one row with a count; incremental as lines arrive and old ones go', () => {
    const ls = [line(1, 'a'), line(2, 'a'), line(3, 'a', 'stderr'), line(4, 'b'), line(5, 'b'), line(6, 'b', 'stdout', 'WARN')];
    const v = LogLines.from(ls);
    const g = groupRepeats(null, filterLines(null, v, noFilter));
    expect(rowsOf(g.rows)).toEqual([
      [0, 2],
      [2, 1],
      [3, 2],
      [5, 1],
    ]);
    const f1 = filterLines(null, v, noFilter);
    const g1 = groupRepeats(null, f1);
    const w = v.append([line(7, 'b', 'stdout', 'WARN'), line(8, 'c')]);
    const g2 = groupRepeats(g1, filterLines(f1, w, noFilter));
    expect(rowsOf(g2.rows)).toEqual([
      [0, 2],
      [2, 1],
      [3, 2],
      [5, 2],
      [7, 1],
    ]);
    expect(rowsOf(g1.rows)[3]).toEqual([5, 1]); // the earlier rows are unchanged
    // Trimming the oldest line shortens the first row, then drops it.
    const t1 = w.append([line(9, 'c')], 8);
    const f2 = filterLines(filterLines(f1, w, noFilter), t1, noFilter);
    expect(rowsOf(groupRepeats(g2, f2).rows)).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
      [5, 2],
      [7, 2],
    ]);
    const t2 = t1.append([line(10, 'd')], 7);
    expect(rowsOf(groupRepeats(groupRepeats(g2, f2), filterLines(f2, t2, noFilter)).rows)[0]).toEqual([3, 2]);
    expect(rowsOf(ungroupedRows(f2))).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((id) => [id, 1]));
  });

  test('lines of the same length that differ, and repeats across chunk boundaries', () => {
    const ls = Array.from({ length: 2500 }, (_, i) => line(i + 1, i >= 1000 && i < 1100 ? 'same line' : `line ${String(i).padStart(4, '0')}`));
    for (const chunk of [undefined, SMALL]) {
      const v = LogLines.from(ls, chunk);
      const g = groupRepeats(null, filterLines(null, v, noFilter));
      expect(g.rows.count).toBe(2500 - 99);
      expect(rowsOf(g.rows)[1000]).toEqual([1000, 100]);
    }
  });
});
