/**
 * safetensors headers: an 8-byte little-endian length, then that many bytes of JSON mapping
 * tensor names to { dtype, shape, data_offsets } (huggingface/safetensors format spec). Only
 * the header is read — never the weights — and every field is checked, so a truncated,
 * corrupted or hostile file gets a clear error instead of a huge allocation or a crash.
 */
import { open } from 'node:fs/promises';
import { UserError, fromSystemError } from '@workbench/core';

export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: number[];
  elements: number;
  /** Exact bytes from data_offsets. */
  bytes: number;
}

export interface SafetensorsHeader {
  file: string;
  headerBytes: number;
  fileSize: number;
  tensors: SafetensorsTensor[];
  metadata: Record<string, string>;
}

/** The reference implementation refuses headers over 100 MB; so do we. */
export const MAX_SAFETENSORS_HEADER = 100_000_000;

const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, U64: 8, I32: 4, U32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1,
  F8_E4M3: 1, F8_E5M2: 1, F8_E8M0: 1, F6_E2M3: 0.75, F6_E3M2: 0.75, F4: 0.5,
};

const bad = (file: string, why: string) =>
  new UserError('INVALID_INPUT', `${file} is not a valid safetensors file: ${why}`, { hint: 'the file may be truncated or not safetensors; re-download it' });

export async function readSafetensorsHeader(file: string, opts: { maxHeaderBytes?: number } = {}): Promise<SafetensorsHeader> {
  const max = opts.maxHeaderBytes ?? MAX_SAFETENSORS_HEADER;
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw fromSystemError(e, `opening ${file}`);
  }
  try {
    const { size } = await fh.stat();
    if (size < 8) throw bad(file, `only ${size} bytes long`);
    const lenBuf = Buffer.alloc(8);
    await fh.read(lenBuf, 0, 8, 0);
    const len = lenBuf.readBigUInt64LE(0);
    if (len > BigInt(max)) throw bad(file, `header length ${len} exceeds the ${max}-byte limit`);
    const n = Number(len);
    if (n < 2) throw bad(file, `header length ${n} is too short for JSON`);
    if (8 + n > size) throw bad(file, `header length ${n} runs past the end of the ${size}-byte file (truncated?)`);
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 8);
    if (bytesRead !== n) throw bad(file, 'header truncated');
    return parseSafetensorsHeader(buf, { file, fileSize: size });
  } finally {
    await fh.close();
  }
}

export function parseSafetensorsHeader(json: Uint8Array, ctx: { file: string; fileSize: number }): SafetensorsHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (e) {
    throw bad(ctx.file, `header is not UTF-8 JSON (${(e as Error).message.slice(0, 80)})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad(ctx.file, 'header is not a JSON object');
  const dataSize = ctx.fileSize - 8 - json.length;
  const tensors: SafetensorsTensor[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (v && typeof v === 'object' && !Array.isArray(v)) metadata = Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Record<string, string>;
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!t || typeof t !== 'object') throw bad(ctx.file, `entry ${name} is not an object`);
    if (typeof t.dtype !== 'string' || !(t.dtype in DTYPE_BYTES)) throw bad(ctx.file, `tensor ${name} has unknown dtype ${JSON.stringify(t.dtype)}`);
    if (!Array.isArray(t.shape) || t.shape.length > 8 || t.shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0))
      throw bad(ctx.file, `tensor ${name} has an invalid shape ${JSON.stringify(t.shape)?.slice(0, 60)}`);
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || off.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) || off[0] > off[1])
      throw bad(ctx.file, `tensor ${name} has invalid data_offsets ${JSON.stringify(off)?.slice(0, 60)}`);
    const [start, end] = off as [number, number];
    if (end > dataSize) throw bad(ctx.file, `tensor ${name} ends at byte ${end} of a ${dataSize}-byte data section (truncated file?)`);
    const elements = (t.shape as number[]).reduce((a, b) => a * b, 1);
    const expected = elements * DTYPE_BYTES[t.dtype]!;
    if (Math.ceil(expected) !== end - start) throw bad(ctx.file, `tensor ${name}: ${t.dtype}${JSON.stringify(t.shape)} needs ${expected} bytes but data_offsets span ${end - start}`);
    tensors.push({ name, dtype: t.dtype, shape: t.shape as number[], elements, bytes: end - start });
  }
  return { file: ctx.file, headerBytes: json.length, fileSize: ctx.fileSize, tensors, metadata };
}
