import type { LogLine } from '@workbench/api';
import { logStreams } from './wire';

// A million log lines as a million objects (plus a million strings) is a heap V8 must scavenge
// and mark again and again, and its collections drop frames while the console scrolls. The
// store keeps lines in columns instead: typed arrays for seq, time, stream, level and text
// offsets, and the text of ~1,000 consecutive lines joined into one string. A million lines are
// then a few dozen typed arrays and a few hundred strings; a line is decoded (a slice) only for
// the rows on screen. Chunks are made big enough (256 Ki characters) for V8 to put them in its
// large-object space, which a collection never copies.
//
// Lines are addressed by id: the id of the first line a store ever held is 0 and ids only grow
// (trimming the oldest lines does not renumber the rest), so an index built over the lines
// (a filter, a grouping) stays valid as lines arrive and old ones go.

/** When a text chunk is closed: at this many characters, or this many lines. */
export interface ChunkSize {
  chars: number;
  lines: number;
}
const CHUNK: ChunkSize = { chars: 1 << 18, lines: 1 << 14 };
const FIRST_CAPACITY = 1024;

/** Small integer ids for the few distinct streams and levels; past `max` ids, lines keep their own string. */
class Interner {
  readonly values: string[] = [];
  private readonly ids = new Map<string, number>();
  constructor(
    /** The id that means "not interned: see the line's own value". */
    readonly overflow: number,
    seed: readonly string[] = [],
  ) {
    for (const v of seed) this.id(v);
  }
  id(v: string): number {
    const known = this.ids.get(v);
    if (known !== undefined) return known;
    if (this.values.length >= this.overflow) return this.overflow;
    this.ids.set(v, this.values.length);
    this.values.push(v);
    return this.values.length - 1;
  }
}

/** The mutable columns behind one or more LogLines views. Lines below `length` never change. */
class Columns {
  /** Shared by every store whose ids mean the same lines (a trimmed copy keeps it). */
  readonly lineage: object;
  /** Id of the line at physical index 0. */
  readonly base: number;
  /** Id one past the newest line. */
  length: number;
  private seqs: Float64Array;
  private times: Float64Array;
  private streamIds: Uint8Array;
  private levelIds: Uint16Array;
  /** Where each line's text ends in its chunk (it starts where the previous line ends, or at 0). */
  private ends: Uint32Array;
  private readonly streams = new Interner(0xff, logStreams);
  private readonly levels = new Interner(0xffff, ['INFO', '']);
  private readonly rareValues = new Map<number, { stream?: string; level?: string }>();
  /** Closed chunks: their text, the id of their first line, and their text lower-cased (for search, made on first use; null where lower-casing changes the length). */
  private readonly chunks: string[] = [];
  private readonly chunkFirst: number[] = [];
  private readonly lowered: Array<string | null | undefined> = [];
  /** The chunk still filling: its lines' texts, and the id of its first line. */
  private open: string[] = [];
  private openChars = 0;
  private openFirst: number;

  constructor(
    base: number,
    capacity: number,
    lineage: object = {},
    readonly chunk: ChunkSize = CHUNK,
  ) {
    this.lineage = lineage;
    this.base = base;
    this.length = base;
    this.openFirst = base;
    const cap = Math.max(FIRST_CAPACITY, capacity);
    this.seqs = new Float64Array(cap);
    this.times = new Float64Array(cap);
    this.streamIds = new Uint8Array(cap);
    this.levelIds = new Uint16Array(cap);
    this.ends = new Uint32Array(cap);
  }

  get capacity(): number {
    return this.seqs.length;
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const more = <T extends Float64Array | Uint8Array | Uint16Array | Uint32Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(cap);
      b.set(a);
      return b;
    };
    this.seqs = more(this.seqs, Float64Array);
    this.times = more(this.times, Float64Array);
    this.streamIds = more(this.streamIds, Uint8Array);
    this.levelIds = more(this.levelIds, Uint16Array);
    this.ends = more(this.ends, Uint32Array);
  }

  push(seq: number, ts: number, stream: string, level: string, text: string): void {
    if (this.length - this.base === this.capacity) this.grow();
    const at = this.length - this.base;
    const id = this.length;
    this.seqs[at] = seq;
    this.times[at] = ts;
    const s = this.streams.id(stream);
    const l = this.levels.id(level);
    this.streamIds[at] = s;
    this.levelIds[at] = l;
    if (s === this.streams.overflow || l === this.levels.overflow) this.rareValues.set(id, { ...(s === this.streams.overflow && { stream }), ...(l === this.levels.overflow && { level }) });
    // A line of a chunk's size or more gets a chunk of its own.
    if (this.open.length > 0 && text.length >= this.chunk.chars) this.close();
    this.open.push(text);
    this.openChars += text.length;
    this.ends[at] = this.openChars;
    this.length++;
    if (this.open.length >= this.chunk.lines || this.openChars >= this.chunk.chars) this.close();
  }

  private close(): void {
    this.chunks.push(this.open.join(''));
    this.chunkFirst.push(this.openFirst);
    this.lowered.push(undefined);
    this.open = [];
    this.openChars = 0;
    this.openFirst = this.length;
  }

  seq(id: number): number {
    return this.seqs[id - this.base] ?? Number.NaN;
  }
  ts(id: number): number {
    return this.times[id - this.base] ?? Number.NaN;
  }
  streamId(id: number): number {
    return this.streamIds[id - this.base] ?? 0;
  }
  levelId(id: number): number {
    return this.levelIds[id - this.base] ?? 0;
  }
  stream(id: number): string {
    const s = this.streamId(id);
    return s === this.streams.overflow ? (this.rareValues.get(id)?.stream ?? '') : this.streams.values[s]!;
  }
  level(id: number): string {
    const l = this.levelId(id);
    return l === this.levels.overflow ? (this.rareValues.get(id)?.level ?? '') : this.levels.values[l]!;
  }
  streamOf(streamId: number): string | null {
    return streamId === this.streams.overflow ? null : this.streams.values[streamId]!;
  }
  levelOf(levelId: number): string | null {
    return levelId === this.levels.overflow ? null : this.levels.values[levelId]!;
  }

  /** The closed chunk holding line `id` (< openFirst): binary search over the chunks' first lines. */
  private chunkOf(id: number): number {
    let lo = 0;
    let hi = this.chunkFirst.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.chunkFirst[mid]! <= id) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  private start(id: number, chunk: number): number {
    return id === this.chunkFirst[chunk] ? 0 : this.ends[id - 1 - this.base]!;
  }
  private end(id: number): number {
    return this.ends[id - this.base]!;
  }

  text(id: number): string {
    if (id < this.base || id >= this.length) return '';
    if (id >= this.openFirst) return this.open[id - this.openFirst]!;
    const c = this.chunkOf(id);
    return this.chunks[c]!.slice(this.start(id, c), this.end(id));
  }

  /** Whether two lines have the same text, without decoding either. */
  sameText(a: number, b: number): boolean {
    if (a >= this.openFirst || b >= this.openFirst) return this.text(a) === this.text(b);
    const ca = this.chunkOf(a);
    const cb = this.chunkOf(b);
    const sa = this.start(a, ca);
    const sb = this.start(b, cb);
    const n = this.end(a) - sa;
    if (this.end(b) - sb !== n) return false;
    const ta = this.chunks[ca]!;
    const tb = this.chunks[cb]!;
    for (let i = 0; i < n; i++) if (ta.charCodeAt(sa + i) !== tb.charCodeAt(sb + i)) return false;
    return true;
  }

  private lowerChunk(c: number): string | null {
    let l = this.lowered[c];
    if (l === undefined) {
      const text = this.chunks[c]!;
      const lower = text.toLowerCase();
      // Lower-casing can lengthen a string (İ → i̇): then offsets no longer line up, and that
      // chunk is searched line by line.
      l = lower.length === text.length ? lower : null;
      this.lowered[c] = l;
    }
    return l;
  }

  /**
   * Calls `hit` with each line in [from, to) whose text contains `needle` (already lower-case),
   * in order. Closed chunks are searched whole with indexOf over their lower-cased text.
   */
  forEachMatch(from: number, to: number, needle: string, hit: (id: number) => void): void {
    let id = Math.max(from, this.base);
    to = Math.min(to, this.length);
    const n = needle.length;
    while (id < to) {
      if (id >= this.openFirst) {
        for (; id < to; id++) if (this.open[id - this.openFirst]!.toLowerCase().includes(needle)) hit(id);
        return;
      }
      const c = this.chunkOf(id);
      const chunkEnd = Math.min(to, c + 1 < this.chunkFirst.length ? this.chunkFirst[c + 1]! : this.openFirst);
      const lower = this.lowerChunk(c);
      if (lower === null) {
        for (; id < chunkEnd; id++) if (this.text(id).toLowerCase().includes(needle)) hit(id);
        continue;
      }
      let pos = this.start(id, c);
      const stop = this.end(chunkEnd - 1);
      let line = id;
      for (;;) {
        const at = lower.indexOf(needle, pos);
        if (at < 0 || at + n > stop) break;
        while (this.end(line) <= at) line++;
        // A match that runs into the next line is no match (and no later one in this line fits).
        if (at + n <= this.end(line)) hit(line);
        pos = this.end(line);
      }
      id = chunkEnd;
    }
  }
}

/**
 * An immutable view of log lines [first, end) (ids) over shared columns. Appending returns a
 * new view and writes past this one's end, so a view handed to React never changes under it.
 */
export class LogLines {
  private constructor(
    private readonly cols: Columns,
    /** Id of the oldest line in view. */
    readonly first: number,
    /** Id one past the newest line in view. */
    readonly end: number,
  ) {}

  /** `chunk`: where text chunks close (tests make them small to exercise the boundaries). */
  static empty(chunk?: ChunkSize): LogLines {
    return new LogLines(new Columns(0, FIRST_CAPACITY, {}, chunk), 0, 0);
  }

  static from(lines: readonly LogLine[], chunk?: ChunkSize): LogLines {
    return LogLines.empty(chunk).append(lines);
  }

  get length(): number {
    return this.end - this.first;
  }
  /** Two views with the same lineage mean the same line by the same id. */
  get lineage(): object {
    return this.cols.lineage;
  }
  /** Lines the columns have room for before they grow (they double). */
  get capacity(): number {
    return this.cols.capacity;
  }
  get firstSeq(): number | undefined {
    return this.length ? this.cols.seq(this.first) : undefined;
  }
  get lastSeq(): number | undefined {
    return this.length ? this.cols.seq(this.end - 1) : undefined;
  }

  seq(id: number): number {
    return this.cols.seq(id);
  }
  ts(id: number): number {
    return this.cols.ts(id);
  }
  stream(id: number): LogLine['stream'] {
    return this.cols.stream(id) as LogLine['stream'];
  }
  level(id: number): string {
    return this.cols.level(id);
  }
  text(id: number): string {
    return this.cols.text(id);
  }
  line(id: number): LogLine {
    return { seq: this.seq(id), ts: this.ts(id), stream: this.stream(id), level: this.level(id), text: this.text(id) };
  }
  /** Same text, stream and level (what grouping folds together). */
  sameLine(a: number, b: number): boolean {
    return this.cols.streamId(a) === this.cols.streamId(b) && this.cols.levelId(a) === this.cols.levelId(b) && this.stream(a) === this.stream(b) && this.level(a) === this.level(b) && this.cols.sameText(a, b);
  }
  /** Stream and level ids of a line, and their strings (null: the line's own value, see stream()/level()). */
  streamId(id: number): number {
    return this.cols.streamId(id);
  }
  levelId(id: number): number {
    return this.cols.levelId(id);
  }
  streamOf(streamId: number): string | null {
    return this.cols.streamOf(streamId);
  }
  levelOf(levelId: number): string | null {
    return this.cols.levelOf(levelId);
  }
  forEachMatch(from: number, to: number, lowerNeedle: string, hit: (id: number) => void): void {
    this.cols.forEachMatch(Math.max(from, this.first), Math.min(to, this.end), lowerNeedle, hit);
  }

  /**
   * Lines appended in seq order: a line whose seq is not above the newest one's is a repeat and
   * is dropped. At most `cap` lines are kept (the newest).
   */
  append(add: readonly LogLine[], cap = Number.POSITIVE_INFINITY): LogLines {
    if (!(cap >= 0)) throw new RangeError(`The line cap must be a number of lines (0 or more), not ${cap}`);
    let cols = this.cols;
    let end = this.end;
    let last = this.length ? cols.seq(end - 1) : Number.NEGATIVE_INFINITY;
    for (const l of add) {
      if (!(l.seq > last)) continue;
      if (end < cols.length) {
        // Lines were appended to these columns after this view was taken (a state update run
        // twice): the same lines are reused, different ones go to a copy.
        if (cols.seq(end) === l.seq && cols.ts(end) === l.ts && cols.stream(end) === l.stream && cols.level(end) === l.level && cols.text(end) === l.text) {
          end++;
          last = l.seq;
          continue;
        }
        cols = copyColumns(cols, this.first, end, {});
      }
      cols.push(l.seq, l.ts, String(l.stream), String(l.level ?? ''), typeof l.text === 'string' ? l.text : String(l.text ?? ''));
      end++;
      last = l.seq;
    }
    if (cols === this.cols && end === this.end) return this;
    const first = Math.max(this.first, end - cap);
    // Once more lines are trimmed than kept, the kept ones move to fresh columns (same ids), and
    // the old columns go when the last view of them does.
    if (first - cols.base > Math.max(4096, end - first)) cols = copyColumns(cols, first, end, cols.lineage);
    return new LogLines(cols, first, end);
  }

  /** Earlier lines (those with a seq below the oldest one's) put before these: a new store. */
  prepend(earlier: readonly LogLine[]): LogLines {
    const firstSeq = this.firstSeq ?? Number.POSITIVE_INFINITY;
    let out = LogLines.empty(this.cols.chunk).append(earlier.filter((l) => l.seq < firstSeq));
    if (out.length === 0) return this;
    const cols = out.cols;
    for (let id = this.first; id < this.end; id++) cols.push(this.seq(id), this.ts(id), this.cols.stream(id), this.level(id), this.text(id));
    out = new LogLines(cols, out.first, cols.length);
    return out;
  }
}

function copyColumns(from: Columns, first: number, end: number, lineage: object): Columns {
  const to = new Columns(first, end - first, lineage, from.chunk);
  for (let id = first; id < end; id++) to.push(from.seq(id), from.ts(id), from.stream(id), from.level(id), from.text(id));
  return to;
}
