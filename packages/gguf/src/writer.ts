import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { GgufError, ioError } from './errors.js';
import { ggmlType, tensorBytes, type GgmlTypeRef } from './ggml-types.js';
import { GGUF_VALUE_TYPES, isArraySummary, type GgufScalarTypeName, type GgufValueTypeName } from './values.js';

/** A metadata value with its GGUF type spelled out, for where a JS number is ambiguous. */
export type GgufTypedValue =
  | { type: GgufScalarTypeName; value: number | bigint | boolean | string }
  | { type: 'array'; elementType: GgufValueTypeName; value: readonly GgufInputValue[] | ArrayLike<number> | ArrayLike<bigint> };

/**
 * A metadata value to write. Untyped values get a default type: string → str, boolean → bool,
 * integer in [0, 2^32) → u32, other integer in i32 range → i32, other safe integers → i64,
 * any other number → f32, bigint → u64 (i64 when negative); a JS array of strings → array<str>,
 * of integers → array<i32>, of other numbers → array<f32>, of booleans → array<bool>, of arrays
 * → array<array>; a typed array keeps its element type (Float32Array → array<f32>, …).
 * Say the type (`{ type: 'f32', value: 10000 }`) where llama.cpp expects a specific one.
 */
export type GgufInputValue =
  | number
  | bigint
  | boolean
  | string
  | GgufTypedValue
  | readonly GgufInputValue[]
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/** Tensor bytes: whole, as chunks (sync or async, or a function returning them), or null for zeros. */
export type GgufTensorData =
  | ArrayBufferView
  | Iterable<Uint8Array>
  | AsyncIterable<Uint8Array>
  | (() => Iterable<Uint8Array> | AsyncIterable<Uint8Array>)
  | null;

export interface GgufTensorInput {
  name: string;
  type: GgmlTypeRef;
  /** ne[0] first (the contiguous dimension). */
  dims: readonly number[];
  /**
   * Exactly `tensorBytes(type, dims)` bytes. `null` leaves the data as zeros without writing
   * them (a sparse hole on file systems that have them), for large test files.
   */
  data: GgufTensorData;
}

export interface GgufWriteInput {
  metadata: Record<string, GgufInputValue>;
  tensors: readonly GgufTensorInput[];
  /** Default 32 (or `general.alignment` when the metadata sets it); written as `general.alignment` when not 32. */
  alignment?: number;
}

export interface GgufWriteResult {
  dataOffset: number;
  fileSize: number;
  tensors: { name: string; offset: number; bytes: number }[];
}

const GGML_MAX_NAME = 64;
const FLUSH_BYTES = 4 * 1024 * 1024;

const ranges: Partial<Record<GgufScalarTypeName, [number, number]>> = {
  u8: [0, 0xff], i8: [-0x80, 0x7f], u16: [0, 0xffff], i16: [-0x8000, 0x7fff], u32: [0, 0xffff_ffff], i32: [-0x8000_0000, 0x7fff_ffff],
};

/** A growable little-endian byte buffer for the header. */
class Bytes {
  buf = new Uint8Array(64 * 1024);
  view = new DataView(this.buf.buffer);
  len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void { this.room(1); this.view.setUint8(this.len, v); this.len += 1; }
  i8(v: number): void { this.room(1); this.view.setInt8(this.len, v); this.len += 1; }
  u16(v: number): void { this.room(2); this.view.setUint16(this.len, v, true); this.len += 2; }
  i16(v: number): void { this.room(2); this.view.setInt16(this.len, v, true); this.len += 2; }
  u32(v: number): void { this.room(4); this.view.setUint32(this.len, v, true); this.len += 4; }
  i32(v: number): void { this.room(4); this.view.setInt32(this.len, v, true); this.len += 4; }
  f32(v: number): void { this.room(4); this.view.setFloat32(this.len, v, true); this.len += 4; }
  f64(v: number): void { this.room(8); this.view.setFloat64(this.len, v, true); this.len += 8; }
  u64(v: number | bigint): void { this.room(8); this.view.setBigUint64(this.len, BigInt(v), true); this.len += 8; }
  i64(v: number | bigint): void { this.room(8); this.view.setBigInt64(this.len, BigInt(v), true); this.len += 8; }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  pad(alignment: number): void {
    const n = (alignment - (this.len % alignment)) % alignment;
    this.room(n);
    this.buf.fill(0, this.len, this.len + n);
    this.len += n;
  }
}

function typedArrayElement(v: unknown): GgufValueTypeName | undefined {
  if (v instanceof Float32Array) return 'f32';
  if (v instanceof Float64Array) return 'f64';
  if (v instanceof Int8Array) return 'i8';
  if (v instanceof Uint8Array) return 'u8';
  if (v instanceof Int16Array) return 'i16';
  if (v instanceof Uint16Array) return 'u16';
  if (v instanceof Int32Array) return 'i32';
  if (v instanceof Uint32Array) return 'u32';
  if (v instanceof BigInt64Array) return 'i64';
  if (v instanceof BigUint64Array) return 'u64';
  return undefined;
}

function scalarTypeOf(v: unknown, key: string): GgufScalarTypeName {
  switch (typeof v) {
    case 'string': return 'str';
    case 'boolean': return 'bool';
    case 'bigint': return v < 0n ? 'i64' : 'u64';
    case 'number':
      if (Number.isInteger(v)) {
        if (v >= 0 && v <= 0xffff_ffff) return 'u32';
        if (v >= -0x8000_0000 && v < 0) return 'i32';
        if (Number.isSafeInteger(v)) return 'i64';
      }
      return 'f32';
    default:
      throw new GgufError('GGUF_INVALID', `metadata '${key}': cannot write a ${v === null ? 'null' : typeof v} value`);
  }
}

/** The element type a plain JS array gets when the caller does not say. */
function elementTypeOf(items: readonly unknown[], key: string): GgufValueTypeName {
  if (items.length === 0) return 'i32';
  const first = items[0];
  if (Array.isArray(first) || typedArrayElement(first)) return 'array';
  if (typeof first === 'number') return items.every((x) => Number.isInteger(x) && (x as number) >= -0x8000_0000 && (x as number) <= 0x7fff_ffff) ? 'i32' : 'f32';
  if (typeof first === 'object' && first !== null && 'type' in first) return (first as GgufTypedValue).type;
  return scalarTypeOf(first, key);
}

function writeScalar(out: Bytes, type: GgufScalarTypeName, v: unknown, key: string): void {
  const bad = (): never => {
    throw new GgufError('GGUF_INVALID', `metadata '${key}': ${typeof v === 'bigint' ? `${v}n` : JSON.stringify(v)} is not a valid ${type}`);
  };
  const range = ranges[type];
  if (range) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < range[0] || v > range[1]) bad();
    out[type as 'u8'](v as number);
    return;
  }
  switch (type) {
    case 'f32':
    case 'f64':
      if (typeof v !== 'number') bad();
      out[type](v as number);
      return;
    case 'bool':
      if (typeof v !== 'boolean') bad();
      out.u8(v ? 1 : 0);
      return;
    case 'str':
      if (typeof v !== 'string') bad();
      out.str(v as string);
      return;
    case 'u64':
    case 'i64': {
      const ok = typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v));
      if (!ok) bad();
      const b = BigInt(v as number | bigint);
      if (type === 'u64' ? b < 0n || b >= 1n << 64n : b < -(1n << 63n) || b >= 1n << 63n) bad();
      out[type](b);
      return;
    }
    default:
      bad();
  }
}

/** Writes an array's element type, length and items (the part after the `array` tag). */
function writeArrayBody(out: Bytes, elementType: GgufValueTypeName, items: ArrayLike<unknown>, key: string, depth: number): void {
  if (depth > 8) throw new GgufError('GGUF_LIMIT', `metadata '${key}': arrays nested deeper than 8`);
  out.u32(GGUF_VALUE_TYPES[elementType]);
  out.u64(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (elementType === 'array') {
      if (typeof item === 'object' && item !== null && !Array.isArray(item) && !typedArrayElement(item)) {
        const t = item as GgufTypedValue;
        if (t.type !== 'array') throw new GgufError('GGUF_INVALID', `metadata '${key}': item ${i} of an array of arrays is a ${t.type}`);
        writeArrayBody(out, t.elementType, t.value as ArrayLike<unknown>, key, depth + 1);
      } else if (Array.isArray(item) || typedArrayElement(item)) {
        const arr = item as ArrayLike<unknown>;
        writeArrayBody(out, typedArrayElement(arr) ?? elementTypeOf(arr as unknown[], key), arr, key, depth + 1);
      } else {
        throw new GgufError('GGUF_INVALID', `metadata '${key}': item ${i} of an array of arrays is not an array`);
      }
    } else {
      const v = typeof item === 'object' && item !== null && 'value' in item ? (item as { value: unknown }).value : item;
      writeScalar(out, elementType, v, key);
    }
  }
}

function writeValue(out: Bytes, key: string, input: GgufInputValue): void {
  if (isArraySummary(input)) throw new GgufError('GGUF_INVALID', `metadata '${key}' is a skipped array summary; read the file with skipArraysLongerThan: Infinity to copy it`);
  const typed = typedArrayElement(input);
  if (typed) {
    out.u32(GGUF_VALUE_TYPES.array);
    writeArrayBody(out, typed, input as ArrayLike<number>, key, 1);
    return;
  }
  if (Array.isArray(input)) {
    out.u32(GGUF_VALUE_TYPES.array);
    writeArrayBody(out, elementTypeOf(input, key), input, key, 1);
    return;
  }
  if (typeof input === 'object' && input !== null) {
    const t = input as GgufTypedValue;
    if (!(t.type in GGUF_VALUE_TYPES)) throw new GgufError('GGUF_UNKNOWN_TYPE', `metadata '${key}': unknown value type '${String(t.type)}'`);
    out.u32(GGUF_VALUE_TYPES[t.type]);
    if (t.type === 'array') {
      if (!(t.elementType in GGUF_VALUE_TYPES)) throw new GgufError('GGUF_UNKNOWN_TYPE', `metadata '${key}': unknown element type '${String(t.elementType)}'`);
      writeArrayBody(out, t.elementType, t.value as ArrayLike<unknown>, key, 1);
    } else {
      writeScalar(out, t.type, t.value, key);
    }
    return;
  }
  const type = scalarTypeOf(input, key);
  out.u32(GGUF_VALUE_TYPES[type]);
  writeScalar(out, type, input, key);
}

function alignmentOf(input: GgufWriteInput): number {
  const meta = input.metadata['general.alignment'];
  const fromMeta = typeof meta === 'number' ? meta : typeof meta === 'object' && meta !== null && 'value' in meta && typeof meta.value === 'number' ? meta.value : undefined;
  if (meta !== undefined && fromMeta === undefined) throw new GgufError('GGUF_INVALID', `metadata 'general.alignment' must be a u32`);
  if (fromMeta !== undefined && input.alignment !== undefined && fromMeta !== input.alignment) {
    throw new GgufError('GGUF_INVALID', `alignment ${input.alignment} disagrees with metadata general.alignment = ${fromMeta}`);
  }
  const a = input.alignment ?? fromMeta ?? 32;
  if (!Number.isInteger(a) || a <= 0 || a > 0xffff_ffff || (a & (a - 1)) !== 0) throw new GgufError('GGUF_INVALID', `alignment ${a} is not a power of two`);
  return a;
}

async function* chunksOf(data: GgufTensorData): AsyncIterable<Uint8Array> {
  if (data === null) return;
  if (ArrayBuffer.isView(data)) {
    yield new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return;
  }
  const source = typeof data === 'function' ? data() : data;
  for await (const chunk of source as AsyncIterable<Uint8Array>) {
    if (!ArrayBuffer.isView(chunk)) throw new GgufError('GGUF_INVALID', 'tensor data chunks must be Uint8Array');
    yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

/**
 * Write a GGUF v3 file: header (u64 counts, u64-length strings, u32 type tags), tensor infos,
 * then each tensor's data padded to the alignment. Tensor data is streamed, never gathered. The
 * file appears under its name only when complete (written beside it, then renamed).
 */
export async function writeGguf(file: string, input: GgufWriteInput): Promise<GgufWriteResult> {
  const alignment = alignmentOf(input);
  const metadata: Record<string, GgufInputValue> = { ...input.metadata };
  delete metadata['general.alignment'];
  const header = new Bytes();
  header.u32(0x46554747);
  header.u32(3);
  header.u64(input.tensors.length);
  const writeAlignment = alignment !== 32 || input.metadata['general.alignment'] !== undefined;
  header.u64(Object.keys(metadata).length + (writeAlignment ? 1 : 0));
  if (writeAlignment) {
    header.str('general.alignment');
    header.u32(GGUF_VALUE_TYPES.u32);
    header.u32(alignment);
  }
  for (const [key, value] of Object.entries(metadata)) {
    header.str(key);
    writeValue(header, key, value);
  }

  const names = new Set<string>();
  const placed: GgufWriteResult['tensors'] = [];
  let offset = 0;
  for (const t of input.tensors) {
    if (typeof t.name !== 'string' || t.name.length === 0 || Buffer.byteLength(t.name) >= GGML_MAX_NAME) {
      throw new GgufError('GGUF_INVALID', `tensor name ${JSON.stringify(t.name)} must be 1–${GGML_MAX_NAME - 1} bytes`);
    }
    if (names.has(t.name)) throw new GgufError('GGUF_DUPLICATE', `tensor '${t.name}' given twice`);
    names.add(t.name);
    if (t.dims.length < 1 || t.dims.length > 4 || t.dims.some((d) => !Number.isSafeInteger(d) || d < 1)) {
      throw new GgufError('GGUF_INVALID', `tensor '${t.name}': dims [${t.dims.join(', ')}] must be 1 to 4 positive integers`);
    }
    const info = ggmlType(t.type);
    let bytes: number;
    try {
      bytes = tensorBytes(info.id, t.dims);
    } catch (err) {
      throw new GgufError((err as GgufError).code ?? 'GGUF_INVALID', `tensor '${t.name}': ${(err as Error).message}`);
    }
    header.str(t.name);
    header.u32(t.dims.length);
    for (const d of t.dims) header.u64(d);
    header.u32(info.id);
    header.u64(offset);
    placed.push({ name: t.name, offset, bytes });
    offset += Math.ceil(bytes / alignment) * alignment;
  }
  header.pad(alignment);
  const dataOffset = header.len;
  const fileSize = dataOffset + offset;

  const tmp = `${file}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmp, 'wx');
  } catch (err) {
    throw ioError(err, `creating ${file}`);
  }
  try {
    const handle = fh;
    await writeAt(handle, header.buf.subarray(0, header.len), 0);
    for (let i = 0; i < input.tensors.length; i++) {
      const t = input.tensors[i]!;
      const p = placed[i]!;
      let written = 0;
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      const flush = async (): Promise<void> => {
        if (pendingBytes === 0) return;
        const one = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        await writeAt(handle, one, dataOffset + p.offset + written - pendingBytes);
        pending = [];
        pendingBytes = 0;
      };
      for await (const chunk of chunksOf(t.data)) {
        if (written + chunk.length > p.bytes) throw new GgufError('GGUF_INVALID', `tensor '${t.name}': data is longer than its ${p.bytes} bytes`);
        written += chunk.length;
        // Chunks are copied when kept: a generator may reuse its buffer for the next one.
        pending.push(chunk.length >= FLUSH_BYTES ? chunk : chunk.slice());
        pendingBytes += chunk.length;
        if (pendingBytes >= FLUSH_BYTES) await flush();
      }
      await flush();
      if (t.data !== null && written !== p.bytes) throw new GgufError('GGUF_INVALID', `tensor '${t.name}': got ${written} bytes of data, needs exactly ${p.bytes}`);
    }
    // Padding and zero tensors are holes: setting the length fills them with zeros.
    await handle.truncate(fileSize);
    await handle.sync();
    await handle.close();
    fh = undefined;
    await rename(tmp, file);
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err instanceof GgufError ? err : ioError(err, `writing ${file}`);
  }
  return { dataOffset, fileSize, tensors: placed };
}

async function writeAt(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}
