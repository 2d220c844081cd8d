import type { LogLine } from '@workbench/api';

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

/** Indexes of the lines that pass the filter (search: case-insensitive substring). */
export function filterLogs(lines: readonly LogLine[], f: LogFilter): number[] {
  const needle = f.search.toLowerCase();
  const all = f.streams.size === 4 && !f.level && !needle;
  const out: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (all) {
      out.push(i);
      continue;
    }
    const l = lines[i]!;
    if (!f.streams.has(l.stream)) continue;
    if (!levelPasses(l.level, f.level)) continue;
    if (needle && !l.text.toLowerCase().includes(needle)) continue;
    out.push(i);
  }
  return out;
}

/** Split text into plain and matching parts, for highlighting (case-insensitive). */
export function splitMatches(text: string, needle: string): Array<{ text: string; match: boolean }> {
  if (!needle) return [{ text, match: false }];
  const lower = text.toLowerCase();
  const n = needle.toLowerCase();
  const parts: Array<{ text: string; match: boolean }> = [];
  let at = 0;
  for (;;) {
    const i = lower.indexOf(n, at);
    if (i < 0) break;
    if (i > at) parts.push({ text: text.slice(at, i), match: false });
    parts.push({ text: text.slice(i, i + n.length), match: true });
    at = i + n.length;
  }
  if (at < text.length) parts.push({ text: text.slice(at), match: false });
  return parts.length ? parts : [{ text, match: false }];
}

/** Append lines in seq order, dropping repeats; keep at most `cap` (the newest). */
export function appendLines(prev: LogLine[], add: readonly LogLine[], cap: number): LogLine[] {
  if (add.length === 0) return prev;
  const last = prev.length ? prev[prev.length - 1]!.seq : -1;
  const fresh = add[0]!.seq > last ? add : add.filter((l) => l.seq > last);
  if (fresh.length === 0) return prev;
  const next = prev.concat(fresh);
  return next.length > cap ? next.slice(next.length - cap) : next;
}

export interface FilterCache {
  lines: readonly LogLine[];
  key: string;
  idx: number[];
}

/**
 * filterLogs, incrementally: when the same filter sees the same lines with more appended, only
 * the new tail is scanned (a live console filters each frame's new lines, not all of them).
 */
export function filterLogsCached(cache: FilterCache | null, lines: readonly LogLine[], f: LogFilter): FilterCache {
  const key = `${[...f.streams].sort().join(',')}|${f.level}|${f.search.toLowerCase()}`;
  if (cache && cache.key === key && cache.lines.length <= lines.length && cache.lines.length > 0 && lines[0] === cache.lines[0] && lines[cache.lines.length - 1] === cache.lines[cache.lines.length - 1]) {
    if (cache.lines.length === lines.length) return { lines, key, idx: cache.idx };
    const start = cache.lines.length;
    const tail = filterLogs(lines.slice(start), f);
    const idx = cache.idx.slice();
    for (const i of tail) idx.push(i + start);
    return { lines, key, idx };
  }
  return { lines, key, idx: filterLogs(lines, f) };
}

export interface Grouped {
  /** Index (into the lines) of each shown row: the first of a run of repeats. */
  idx: number[];
  /** How many consecutive identical lines each row stands for. */
  counts: number[];
  /** The lines and filtered indexes this grouping was made from (for incremental updates). */
  from: readonly number[];
  lines: readonly LogLine[];
}

const sameLine = (a: LogLine, b: LogLine) => a.text === b.text && a.stream === b.stream && a.level === b.level;

/**
 * Collapse runs of identical consecutive lines (same text, stream and level) among the shown
 * ones into one row with a count. Incremental like filterLogsCached: when the shown indexes
 * only grew, the new tail is folded onto the last group.
 */
export function groupRepeats(lines: readonly LogLine[], idx: readonly number[], prev: Grouped | null): Grouped {
  let out: Grouped;
  let start: number;
  const grew = prev && prev.lines.length <= lines.length && prev.lines.length > 0 && prev.lines[0] === lines[0] && prev.lines[prev.lines.length - 1] === lines[prev.lines.length - 1];
  if (prev && grew && prev.from.length <= idx.length && prev.from.length > 0 && prev.from[0] === idx[0] && prev.from[prev.from.length - 1] === idx[prev.from.length - 1]) {
    if (prev.from.length === idx.length) return prev;
    out = { idx: prev.idx.slice(), counts: prev.counts.slice(), from: idx, lines };
    start = prev.from.length;
  } else {
    out = { idx: [], counts: [], from: idx, lines };
    start = 0;
  }
  for (let k = start; k < idx.length; k++) {
    const i = idx[k]!;
    const n = out.idx.length;
    if (n > 0 && sameLine(lines[out.idx[n - 1]!]!, lines[i]!)) out.counts[n - 1]!++;
    else {
      out.idx.push(i);
      out.counts.push(1);
    }
  }
  return out;
}

/** Lines as plain text (for copy and download): time, stream, level, text. */
export function linesAsText(lines: readonly LogLine[], idx?: readonly number[]): string {
  const pick = idx ? idx.map((i) => lines[i]!) : lines;
  let out = '';
  for (const l of pick) out += `${new Date(l.ts).toISOString()} ${l.stream}${l.level && l.level !== 'INFO' ? ` ${l.level}` : ''} ${l.text}\n`;
  return out;
}
