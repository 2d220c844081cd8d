import { open } from 'node:fs/promises';
import { GgufError, ioError } from './errors.js';
import { GGML_TYPES, type GgmlType } from './ggml-types.js';
import { fixedSize, valueTypeNames, type GgufMetaType, type GgufValue, type GgufValueTypeName } from './values.js';

/** One tensor as the header describes it. Its data is never read. */
export interface GgufTensorInfo {
  name: string;
  /** ggml type id (see GGML_TYPES). */
  type: GgmlType;
  /** e.g. 'Q4_K'. */
  typeName: string;
  /** ne[0] first: the contiguous dimension. `token_embd.weight` is [n_embd, n_vocab]. */
  dims: number[];
  /** Byte offset of the data, relative to the start of the data section (`dataOffset`). */
  offset: number;
  elements: number;
  /** Exact bytes of the data, unpadded. */
  bytes: number;
}

/** What `parseGguf` finds in a header held in memory. */
export interface GgufHeader {
  version: number;
  /** `general.alignment`, 32 when absent. */
  alignment: number;
  metadata: Record<string, GgufValue>;
  /** The stored type of each metadata value, e.g. 'u32', 'str', 'array<str>'. */
  metadataTypes: Record<string, GgufMetaType>;
  tensors: GgufTensorInfo[];
  /** Absolute byte offset where tensor data starts (the header's end, padded to `alignment`). */
  dataOffset: number;
  /** Sum of all tensors' unpadded bytes. */
  totalTensorBytes: number;
  /** The whole file's size when known (always for `readGguf`; for `parseGguf` when passed in). */
  fileSize: number | undefined;
}

/** What `readGguf` finds in a file. */
export interface GgufFile extends GgufHeader {
  fileSize: number;
}

export interface GgufReadOptions {
  /**
   * Arrays with more elements than this come back as `{ skipped: true, elementType, length }`
   * instead of decoded values. Default 1024, which keeps tokenizer vocabularies, scores and
   * merges out of the way; pass `Infinity` to decode everything.
   */
  skipArraysLongerThan?: number;
  /**
   * The header (metadata + tensor infos) may not be larger than this. Default 128 MiB: real
   * headers, 256k-entry vocabularies and merges included, are tens of MB at most. This also
   * bounds memory: a fully decoded array costs at most ~16 bytes of JS memory per header byte.
   */
  maxHeaderBytes?: number;
  /** Default 1,000,000. */
  maxTensors?: number;
  /** Default 1,000,000. */
  maxMetadataEntries?: number;
  /** Longest single string, in bytes. Default 64 MiB. */
  maxStringBytes?: number;
  /** How deeply arrays may nest. Default 8. */
  maxArrayDepth?: number;
}

export interface GgufParseOptions extends GgufReadOptions {
  /** The whole file's size, when `bytes` is only its beginning: tensor extents are checked against it. */
  fileSize?: number;
}

const MAGIC = 0x46554747; // 'GGUF' read as a little-endian u32
const DEFAULT_ALIGNMENT = 32;
const GGML_MAX_DIMS = 4;
const FIRST_CHUNK = 1 << 20;
const DEFAULT_MAX_HEADER = 128 * 1024 * 1024;

/** Thrown inside the parser when the bytes in hand end but the file goes on. */
class NeedMore {
  constructor(readonly end: number) {}
}

interface Limits {
  skipLonger: number;
  maxHeaderBytes: number;
  maxTensors: number;
  maxEntries: number;
  maxString: number;
  maxDepth: number;
}

function limitsOf(opts: GgufReadOptions): Limits {
  return {
    skipLonger: opts.skipArraysLongerThan ?? 1024,
    maxHeaderBytes: opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER,
    maxTensors: opts.maxTensors ?? 1_000_000,
    maxEntries: opts.maxMetadataEntries ?? 1_000_000,
    maxString: opts.maxStringBytes ?? 64 * 1024 * 1024,
    maxDepth: opts.maxArrayDepth ?? 8,
  };
}

const decoder = new TextDecoder('utf-8');

/**
 * A cursor over the bytes read so far. `total` is how long the file really is (Infinity when
 * unknown and the bytes are all there is): running out of bytes below `total` asks for more,
 * running out at `total` is a truncated file.
 */
class Cursor {
  pos = 0;
  where = 'the header';
  private readonly view: DataView;
  constructor(
    private readonly buf: Uint8Array,
    private readonly total: number,
    private readonly limits: Limits,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Bytes the file has from `pos` on, as far as anyone knows. */
  get remaining(): number {
    return Math.min(this.total, this.limits.maxHeaderBytes) - this.pos;
  }

  need(n: number): void {
    const end = this.pos + n;
    if (end <= this.buf.length) return;
    if (end > this.limits.maxHeaderBytes) {
      throw new GgufError('GGUF_LIMIT', `header is larger than the ${this.limits.maxHeaderBytes}-byte limit (reading ${this.where} at offset ${this.pos})`, { offset: this.pos });
    }
    if (end <= this.total) throw new NeedMore(end);
    throw new GgufError('GGUF_TRUNCATED', `file ends at byte ${Math.min(this.total, this.buf.length)} while reading ${this.where} at offset ${this.pos}`, { offset: this.pos });
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  /** A u64 that must fit in a JS number (a count, a length, a dimension, an offset). */
  size(what: string): number {
    this.need(8);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    if (hi > 0x1fffff) {
      throw new GgufError('GGUF_LIMIT', `${what} at offset ${this.pos} (${this.where}) is ${this.view.getBigUint64(this.pos, true)}, beyond 2^53`, { offset: this.pos });
    }
    this.pos += 8;
    return hi * 0x1_0000_0000 + lo;
  }

  string(): string {
    const at = this.pos;
    const len = this.size('string length');
    if (len > this.limits.maxString) {
      throw new GgufError('GGUF_LIMIT', `string of ${len} bytes at offset ${at} (${this.where}) is longer than the ${this.limits.maxString}-byte limit`, { offset: at });
    }
    this.need(len);
    const start = this.pos;
    this.pos += len;
    // Short ASCII strings (most vocabulary pieces) are built directly: far cheaper than a decoder call.
    if (len <= 24) {
      let s = '';
      for (let i = start; i < start + len; i++) {
        const c = this.buf[i]!;
        if (c >= 0x80) return decoder.decode(this.buf.subarray(start, start + len));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return decoder.decode(this.buf.subarray(start, start + len));
  }

  skipString(): void {
    const at = this.pos;
    const len = this.size('string length');
    if (len > this.limits.maxString) {
      throw new GgufError('GGUF_LIMIT', `string of ${len} bytes at offset ${at} (${this.where}) is longer than the ${this.limits.maxString}-byte limit`, { offset: at });
    }
    this.need(len);
    this.pos += len;
  }

  /** Skips `length` strings: the hot loop of a default read (vocabularies, merges), so inlined. */
  skipStrings(length: number): void {
    const view = this.view;
    const have = this.buf.length;
    const maxString = this.limits.maxString;
    let p = this.pos;
    for (let i = 0; i < length; i++) {
      const lo = p + 8 <= have ? view.getUint32(p, true) : -1;
      if (lo < 0 || lo > maxString || view.getUint32(p + 4, true) !== 0 || p + 8 + lo > have) {
        // Anything unusual (the end of the bytes in hand, a huge length) takes the checked path.
        this.pos = p;
        this.skipString();
        p = this.pos;
      } else {
        p += 8 + lo;
      }
    }
    this.pos = p;
  }

  valueType(): GgufValueTypeName {
    const at = this.pos;
    const id = this.u32();
    const name = valueTypeNames[id];
    if (name === undefined) throw new GgufError('GGUF_UNKNOWN_TYPE', `unknown metadata value type ${id} at offset ${at} (${this.where})`, { offset: at });
    return name;
  }

  scalar(type: GgufValueTypeName): number | bigint | boolean | string {
    const v = this.view;
    switch (type) {
      case 'u8': this.need(1); return v.getUint8(this.pos++);
      case 'i8': this.need(1); return v.getInt8(this.pos++);
      case 'u16': this.need(2); this.pos += 2; return v.getUint16(this.pos - 2, true);
      case 'i16': this.need(2); this.pos += 2; return v.getInt16(this.pos - 2, true);
      case 'u32': this.need(4); this.pos += 4; return v.getUint32(this.pos - 4, true);
      case 'i32': this.need(4); this.pos += 4; return v.getInt32(this.pos - 4, true);
      case 'f32': this.need(4); this.pos += 4; return v.getFloat32(this.pos - 4, true);
      case 'f64': this.need(8); this.pos += 8; return v.getFloat64(this.pos - 8, true);
      case 'bool': {
        const at = this.pos;
        const b = this.u8();
        if (b > 1) throw new GgufError('GGUF_INVALID', `bool value ${b} at offset ${at} (${this.where}) is neither 0 nor 1`, { offset: at });
        return b === 1;
      }
      case 'u64': {
        this.need(8);
        this.pos += 8;
        const big = v.getBigUint64(this.pos - 8, true);
        return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
      }
      case 'i64': {
        this.need(8);
        this.pos += 8;
        const big = v.getBigInt64(this.pos - 8, true);
        return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(big) : big;
      }
      case 'str': return this.string();
      case 'array': throw new Error('unreachable: arrays are read by value()');
    }
  }

  value(type: GgufValueTypeName, depth: number): { value: GgufValue; elementType?: GgufValueTypeName } {
    if (type !== 'array') return { value: this.scalar(type) };
    if (depth >= this.limits.maxDepth) {
      throw new GgufError('GGUF_LIMIT', `arrays nested deeper than ${this.limits.maxDepth} at offset ${this.pos} (${this.where})`, { offset: this.pos });
    }
    const elementType = this.valueType();
    const at = this.pos;
    const length = this.size('array length');
    // Every element takes at least one byte (a string or an array at least eight), so a length
    // the rest of the file cannot hold is a lie: reject it before allocating anything.
    const minBytes = elementType === 'str' || elementType === 'array' ? 8 : fixedSize[elementType];
    if (length * minBytes > this.remaining) {
      throw new GgufError('GGUF_TRUNCATED', `array of ${length} ${elementType} at offset ${at} (${this.where}) needs at least ${length * minBytes} bytes, more than the ${Math.max(0, this.remaining)} left`, { offset: at });
    }
    if (length > this.limits.skipLonger) {
      this.skipArray(elementType, length, depth + 1);
      return { value: { skipped: true, elementType, length }, elementType };
    }
    const out: GgufValue[] = new Array<GgufValue>(length);
    if (elementType === 'array') {
      // Each element of an array of arrays is itself element type + length + items.
      for (let i = 0; i < length; i++) out[i] = this.value('array', depth + 1).value;
    } else if (elementType === 'str') {
      this.strings(out, length);
    } else {
      for (let i = 0; i < length; i++) out[i] = this.scalar(elementType);
    }
    return { value: out, elementType };
  }

  /**
   * An array of strings (a vocabulary, merges). Creating 100k+ small strings one native call at a
   * time is what makes a full read slow, so ASCII strings are cut out of one latin1 string of the
   * whole array (the same characters for ASCII bytes); only the others go through the decoder.
   */
  private strings(out: GgufValue[], length: number): void {
    const start = this.pos;
    this.skipStrings(length);
    const end = this.pos;
    const whole = Buffer.from(this.buf.buffer, this.buf.byteOffset + start, end - start).toString('latin1');
    const buf = this.buf;
    let p = start;
    for (let i = 0; i < length; i++) {
      const len = this.view.getUint32(p, true) + this.view.getUint32(p + 4, true) * 0x1_0000_0000;
      const a = p + 8;
      const b = a + len;
      let ascii = true;
      for (let j = a; j < b; j++) {
        if (buf[j]! >= 0x80) {
          ascii = false;
          break;
        }
      }
      out[i] = ascii ? whole.substring(a - start, b - start) : decoder.decode(buf.subarray(a, b));
      p = b;
    }
  }

  private skipArray(elementType: GgufValueTypeName, length: number, depth: number): void {
    if (elementType === 'str') {
      this.skipStrings(length);
    } else if (elementType === 'array') {
      for (let i = 0; i < length; i++) {
        if (depth >= this.limits.maxDepth) throw new GgufError('GGUF_LIMIT', `arrays nested deeper than ${this.limits.maxDepth} at offset ${this.pos} (${this.where})`, { offset: this.pos });
        const et = this.valueType();
        const len = this.size('array length');
        const minBytes = et === 'str' || et === 'array' ? 8 : fixedSize[et];
        if (len * minBytes > this.remaining) throw new GgufError('GGUF_TRUNCATED', `array of ${len} ${et} at offset ${this.pos} (${this.where}) is longer than the file`, { offset: this.pos });
        this.skipArray(et, len, depth + 1);
      }
    } else {
      const n = length * fixedSize[elementType];
      this.need(n);
      this.pos += n;
      if (elementType === 'bool') return; // a skipped bool array is not checked for 0/1
    }
  }
}

function parse(buf: Uint8Array, total: number, fileSize: number | undefined, opts: GgufReadOptions): GgufHeader {
  const limits = limitsOf(opts);
  const c = new Cursor(buf, total, limits);
  c.where = 'the magic';
  if (c.u32() !== MAGIC) {
    const got = Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new GgufError('GGUF_BAD_MAGIC', `not a GGUF file: the first bytes are ${got || '(none)'}, not 'GGUF'`, { offset: 0 });
  }
  c.where = 'the version';
  const version = c.u32();
  if (version !== 2 && version !== 3) {
    const swapped = ((version & 0xff) << 24) | ((version >> 8) & 0xff) << 16 | ((version >> 16) & 0xff) << 8 | (version >>> 24);
    const why = swapped === 2 || swapped === 3 ? 'a big-endian file, which this reader does not read' : 'only versions 2 and 3 are read';
    throw new GgufError('GGUF_UNSUPPORTED_VERSION', `GGUF version ${version >>> 0} at offset 4: ${why}`, { offset: 4 });
  }
  c.where = 'the tensor count';
  const nTensors = c.size('tensor count');
  c.where = 'the metadata count';
  const nKv = c.size('metadata count');
  if (nTensors > limits.maxTensors) throw new GgufError('GGUF_LIMIT', `tensor count ${nTensors} at offset 8 is beyond the limit of ${limits.maxTensors}`, { offset: 8 });
  if (nKv > limits.maxEntries) throw new GgufError('GGUF_LIMIT', `metadata count ${nKv} at offset 16 is beyond the limit of ${limits.maxEntries}`, { offset: 16 });
  // A metadata entry takes at least 12 bytes (empty key + type), a tensor info at least 24.
  if (nKv * 12 + nTensors * 24 > c.remaining) {
    throw new GgufError('GGUF_TRUNCATED', `${nKv} metadata entries and ${nTensors} tensor infos cannot fit in the ${Math.max(0, c.remaining)} bytes after offset 24`, { offset: 8 });
  }

  const metadata: Record<string, GgufValue> = Object.create(null) as Record<string, GgufValue>;
  const metadataTypes: Record<string, GgufMetaType> = Object.create(null) as Record<string, GgufMetaType>;
  for (let i = 0; i < nKv; i++) {
    const at = c.pos;
    c.where = `metadata entry ${i}`;
    const key = c.string();
    if (key in metadata) throw new GgufError('GGUF_DUPLICATE', `metadata key '${key}' appears twice (second at offset ${at})`, { offset: at });
    c.where = `metadata '${key}'`;
    const type = c.valueType();
    const { value, elementType } = c.value(type, 0);
    metadata[key] = value;
    metadataTypes[key] = type === 'array' ? `array<${elementType!}>` : type;
  }

  let alignment = DEFAULT_ALIGNMENT;
  if ('general.alignment' in metadata) {
    const a = metadata['general.alignment'];
    if (metadataTypes['general.alignment'] !== 'u32' || typeof a !== 'number' || a === 0 || (a & (a - 1)) !== 0) {
      throw new GgufError('GGUF_INVALID', `general.alignment must be a u32 power of two, got ${String(a)} (${metadataTypes['general.alignment']})`);
    }
    alignment = a;
  }

  const tensors: GgufTensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const at = c.pos;
    c.where = `tensor info ${i}`;
    const name = c.string();
    if (names.has(name)) throw new GgufError('GGUF_DUPLICATE', `tensor '${name}' appears twice (second at offset ${at})`, { offset: at });
    names.add(name);
    c.where = `tensor '${name}'`;
    const nDims = c.u32();
    if (nDims > GGML_MAX_DIMS) throw new GgufError('GGUF_LIMIT', `tensor '${name}' at offset ${at} has ${nDims} dimensions; ggml allows at most ${GGML_MAX_DIMS}`, { offset: at });
    const dims: number[] = [];
    let elements = 1;
    for (let d = 0; d < nDims; d++) {
      const ne = c.size('dimension');
      dims.push(ne);
      elements *= ne;
    }
    if (!Number.isSafeInteger(elements)) throw new GgufError('GGUF_LIMIT', `tensor '${name}' at offset ${at} has dims [${dims.join(', ')}]: more than 2^53 elements`, { offset: at });
    const typeAt = c.pos;
    const type = c.u32();
    const info = GGML_TYPES[type];
    if (!info) throw new GgufError('GGUF_UNKNOWN_TYPE', `tensor '${name}' has unknown ggml type ${type} at offset ${typeAt}`, { offset: typeAt });
    const offset = c.size('tensor data offset');
    if ((dims[0] ?? 1) % info.blockSize !== 0) {
      throw new GgufError('GGUF_INVALID', `tensor '${name}' is ${info.name} but ne[0] = ${dims[0]} is not a multiple of its block size ${info.blockSize}`, { offset: at });
    }
    if (offset % alignment !== 0) throw new GgufError('GGUF_INVALID', `tensor '${name}' data offset ${offset} is not a multiple of the alignment ${alignment}`, { offset: at });
    const bytes = (elements / info.blockSize) * info.bytesPerBlock;
    if (!Number.isSafeInteger(bytes)) throw new GgufError('GGUF_LIMIT', `tensor '${name}' is larger than 2^53 bytes`, { offset: at });
    tensors.push({ name, type, typeName: info.name, dims, offset, elements, bytes });
  }

  const headerEnd = c.pos;
  const dataOffset = Math.ceil(headerEnd / alignment) * alignment;
  let totalTensorBytes = 0;
  const byOffset = [...tensors].sort((a, b) => a.offset - b.offset);
  let prevEnd = 0;
  let prevName = '';
  for (const t of byOffset) {
    if (t.offset < prevEnd) throw new GgufError('GGUF_INVALID', `tensor '${t.name}' at data offset ${t.offset} overlaps '${prevName}', which ends at ${prevEnd}`);
    prevEnd = t.offset + t.bytes;
    prevName = t.name;
    totalTensorBytes += t.bytes;
    if (fileSize !== undefined && dataOffset + prevEnd > fileSize) {
      throw new GgufError('GGUF_TRUNCATED', `tensor '${t.name}' ends at byte ${dataOffset + prevEnd}, past the end of the file (${fileSize} bytes)`, { offset: dataOffset + t.offset });
    }
  }
  return { version, alignment, metadata, metadataTypes, tensors, dataOffset, totalTensorBytes, fileSize };
}

/**
 * Parse a GGUF header already in memory. `bytes` may be just the beginning of a file (then pass
 * `opts.fileSize` so tensor extents are checked); running out of bytes is GGUF_TRUNCATED.
 */
export function parseGguf(bytes: Uint8Array, opts: GgufParseOptions = {}): GgufHeader {
  try {
    return parse(bytes, bytes.length, opts.fileSize, opts);
  } catch (err) {
    if (err instanceof NeedMore) throw new Error('unreachable: all bytes are in hand');
    throw err;
  }
}

/**
 * Read a GGUF file's header: version, metadata and tensor infos, never tensor data. The file is
 * read through one handle in growing chunks, only as far as the header goes (bounded by
 * `maxHeaderBytes`). Every problem with the file is a GgufError with a stable code.
 */
export async function readGguf(file: string, opts: GgufReadOptions = {}): Promise<GgufFile> {
  const maxHeader = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER;
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw ioError(err, `opening ${file}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new GgufError('GGUF_IO', `${file} is not a regular file`);
    const fileSize = st.size;
    let buf: Uint8Array = Buffer.allocUnsafe(Math.min(fileSize, FIRST_CHUNK, maxHeader));
    let have = await readFully(fh, buf, 0);
    // A file that shrinks while being read ends where the reads stop.
    let total = have < buf.length ? have : fileSize;
    for (;;) {
      try {
        return { ...parse(buf.subarray(0, have), total, fileSize, opts), fileSize };
      } catch (err) {
        if (!(err instanceof NeedMore)) throw err;
        // Doubling keeps the re-parses few (each is cheap) and what is read past the header's
        // end, into tensor data, at most the header's own size.
        const size = Math.min(fileSize, maxHeader, Math.max(err.end + FIRST_CHUNK, buf.length * 2));
        const next: Uint8Array = Buffer.allocUnsafe(size);
        next.set(buf.subarray(0, have));
        buf = next;
        const got = await readFully(fh, buf, have);
        have += got;
        if (have < buf.length) total = have;
      }
    }
  } catch (err) {
    if (err instanceof GgufError) throw err;
    throw ioError(err, `reading ${file}`);
  } finally {
    await fh.close();
  }
}

async function readFully(fh: import('node:fs/promises').FileHandle, buf: Uint8Array, from: number): Promise<number> {
  let pos = from;
  while (pos < buf.length) {
    const { bytesRead } = await fh.read(buf, pos, buf.length - pos, pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
  }
  return pos - from;
}
