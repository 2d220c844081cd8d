import type { LogLine } from '@workbench/api';
import type { LogLines } from './log-store';

export type LogStream = LogLine['stream'];

export interface LogFilter {
  streams: ReadonlySet<LogStream>;
  /** '' for every level. */
  level: string;
  search: string;
}

const LEVEL_RANK: Record<string, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, WARNING: 3, ERROR: 4, CRITICAL: 5, FATAL: 5 };

/** A level and everything more severe (`WARN` keeps WARN, ERROR, …). Unknown levels pass when no level is chosen. */
export function levelPasses(lineLevel: string, min: string): boolean {
  if (!min) return true;
  const a = LEVEL_RANK[lineLevel.toUpperCase()];
  const b = LEVEL_RANK[min.toUpperCase()];
  if (a === undefined || b === undefined) return lineLevel.toUpperCase() === min.toUpperCase();
  return a >= b;
}

/** Split text into plain and matching parts, for highlighting (case-insensitive). */
export function splitMatches(text: string, needle: string): Array<{ text: string; match: boolean }> {
  if (!needle) return [{ text, match: false }];
  let lower = text.toLowerCase();
  const n = needle.toLowerCase();
  // Lower-casing can lengthen text (İ becomes i + a combining dot): then positions found in the
  // lower-cased text are mapped back to the characters they came from.
  let from: number[] | null = null;
  let to: number[] | null = null;
  if (lower.length !== text.length) {
    from = [];
    to = [];
    lower = '';
    for (let i = 0; i < text.length; ) {
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      const lc = ch.toLowerCase();
      lower += lc;
      for (let k = 0; k < lc.length; k++) {
        from.push(i);
        to.push(i + ch.length);
      }
      i += ch.length;
    }
  }
  const parts: Array<{ text: string; match: boolean }> = [];
  let at = 0;
  let pos = 0;
  for (;;) {
    const i = lower.indexOf(n, pos);
    if (i < 0) break;
    pos = i + n.length;
    const start = from ? from[i]! : i;
    const end = to ? to[i + n.length - 1]! : i + n.length;
    if (start < at) continue;
    if (start > at) parts.push({ text: text.slice(at, start), match: false });
    parts.push({ text: text.slice(start, end), match: true });
    at = end;
  }
  if (at < text.length) parts.push({ text: text.slice(at), match: false });
  return parts.length ? parts : [{ text, match: false }];
}

/** A growable Uint32Array; a view of it (`buf` up to a length) never changes as it grows. */
export class U32List {
  buf = new Uint32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.buf.length) {
      const b = new Uint32Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.length++] = v;
  }
}

/**
 * The lines a filter lets through, as line ids in order, kept for incremental updates: when the
 * same filter sees the same lines with more appended (and maybe the oldest trimmed), only the
 * new ones are scanned.
 */
export interface Filtered {
  /** Ids of the lines shown, oldest first (a view: it does not change). */
  readonly ids: Uint32Array;
  readonly lines: LogLines;
  readonly key: string;
  /** The list the ids are a window of, and where the window starts in it. */
  readonly list: U32List;
  readonly skip: number;
}

const filterKey = (f: LogFilter) => `${[...f.streams].sort().join(',')}|${f.level}|${f.search.toLowerCase()}`;

export function filterLines(prev: Filtered | null, lines: LogLines, f: LogFilter): Filtered {
  const key = filterKey(f);
  let list: U32List;
  let skip = 0;
  let from: number;
  if (prev && prev.key === key && prev.lines.lineage === lines.lineage && prev.lines.first <= lines.first && prev.lines.end <= lines.end) {
    if (prev.lines.first === lines.first && prev.lines.end === lines.end) return { ...prev, lines };
    list = prev.list;
    skip = prev.skip;
    from = prev.lines.end;
    // The same list, grown in place: earlier views of it end before the new ids.
    if (list.length !== skip + prev.ids.length) {
      list = copyList(prev.list, prev.skip, prev.skip + prev.ids.length);
      skip = 0;
    }
  } else {
    list = new U32List();
    from = lines.first;
  }
  while (skip < list.length && list.buf[skip]! < lines.first) skip++;
  scan(lines, from, lines.end, f, list);
  return { ids: list.buf.subarray(skip, list.length), lines, key, list, skip };
}

function copyList(list: U32List, from: number, to: number): U32List {
  const out = new U32List();
  out.buf = new Uint32Array(Math.max(1024, (to - from) * 2));
  out.buf.set(list.buf.subarray(from, to));
  out.length = to - from;
  return out;
}

function scan(lines: LogLines, from: number, to: number, f: LogFilter, out: U32List): void {
  const needle = f.search.toLowerCase();
  if (f.streams.size === 4 && !f.level && !needle) {
    for (let id = from; id < to; id++) out.push(id);
    return;
  }
  // Stream and level verdicts per interned id (a handful), not per line.
  const streamOk: boolean[] = [];
  const levelOk: boolean[] = [];
  const passes = (id: number) => {
    const s = lines.streamId(id);
    let so = streamOk[s];
    if (so === undefined) {
      const name = lines.streamOf(s);
      if (name === null) return f.streams.has(lines.stream(id)) && levelPassesAt(id);
      so = streamOk[s] = f.streams.has(name as LogStream);
    }
    return so && levelPassesAt(id);
  };
  const levelPassesAt = (id: number) => {
    const l = lines.levelId(id);
    let lo = levelOk[l];
    if (lo === undefined) {
      const name = lines.levelOf(l);
      if (name === null) return levelPasses(lines.level(id), f.level);
      lo = levelOk[l] = levelPasses(name, f.level);
    }
    return lo;
  };
  if (needle) lines.forEachMatch(from, to, needle, (id) => passes(id) && out.push(id));
  else for (let id = from; id < to; id++) if (passes(id)) out.push(id);
}

/**
 * Runs of identical consecutive shown lines (same text, stream and level) folded into one row
 * with a count. Kept for incremental updates like Filtered: new shown lines extend the last
 * row or start new ones, and nothing already made changes.
 */
export interface Rows {
  readonly count: number;
  /** The line id row `k` shows (the first of its run). */
  id(k: number): number;
  /** How many identical lines row `k` stands for. */
  repeats(k: number): number;
}

export function ungroupedRows(shown: Filtered): Rows {
  const ids = shown.ids;
  return { count: ids.length, id: (k) => ids[k]!, repeats: () => 1 };
}

export interface Grouped {
  readonly rows: Rows;
  /** Where each row starts, as positions in the filter's list. */
  readonly starts: U32List;
  readonly shown: Filtered;
  /** How far into the filter's list the grouping has looked, and how many rows it made. */
  readonly scanned: number;
  readonly rowsEnd: number;
}

export function groupRepeats(prev: Grouped | null, shown: Filtered): Grouped {
  const { list, skip, lines } = shown;
  const n = skip + shown.ids.length;
  let starts: U32List;
  let from: number;
  const sameList = prev && prev.shown.list === list && prev.shown.lines.lineage === lines.lineage && prev.scanned > skip && prev.scanned <= n;
  if (prev && sameList && prev.starts.length > 0) {
    if (prev.scanned === n && prev.shown.skip === skip) return { ...prev, shown };
    starts = prev.starts;
    from = prev.scanned;
    if (starts.length !== prev.rowsEnd) starts = copyList(starts, 0, prev.rowsEnd);
  } else {
    starts = new U32List();
    from = skip;
  }
  const buf = list.buf;
  for (let p = from; p < n; p++) {
    if (starts.length > 0) {
      // Compare with the first line of the last row still in view (all its lines are the same).
      const head = Math.max(starts.buf[starts.length - 1]!, skip);
      if (lines.sameLine(buf[head]!, buf[p]!)) continue;
    }
    starts.push(p);
  }
  const rowsEnd = starts.length;
  const sb = starts.buf;
  // The first row with a line still in view (rows made before the oldest lines were trimmed).
  let lo = 0;
  let hi = rowsEnd - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sb[mid]! <= skip) lo = mid;
    else hi = mid - 1;
  }
  const r0 = rowsEnd === 0 ? 0 : lo;
  const begin = (k: number) => Math.max(sb[r0 + k]!, skip);
  const rows: Rows = {
    count: rowsEnd - r0,
    id: (k) => buf[begin(k)]!,
    repeats: (k) => (r0 + k + 1 < rowsEnd ? sb[r0 + k + 1]! : n) - begin(k),
  };
  return { rows, starts, shown, scanned: n, rowsEnd };
}

/** One line as plain text (copy and download): time, stream, level, text. */
export function formatLine(ts: number, stream: string, level: string, text: string): string {
  return `${new Date(ts).toISOString()} ${stream}${level && level !== 'INFO' ? ` ${level}` : ''} ${text}\n`;
}

/** Lines from the server as plain text. */
export function linesAsText(lines: readonly LogLine[]): string {
  let out = '';
  for (const l of lines) out += formatLine(l.ts, l.stream, l.level, l.text);
  return out;
}

/** Held lines (all, or the ids given) as plain text, in parts of at most 10,000 lines (a Blob takes them as they are). */
export function heldLinesAsText(lines: LogLines, ids?: ArrayLike<number>): string[] {
  const parts: string[] = [];
  let out = '';
  const n = ids ? ids.length : lines.length;
  for (let k = 0; k < n; k++) {
    const id = ids ? ids[k]! : lines.first + k;
    out += formatLine(lines.ts(id), lines.stream(id), lines.level(id), lines.text(id));
    if ((k + 1) % 10_000 === 0) {
      parts.push(out);
      out = '';
    }
  }
  if (out || parts.length === 0) parts.push(out);
  return parts;
}
