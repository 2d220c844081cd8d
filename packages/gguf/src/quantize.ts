import { GgufError } from './errors.js';
import { GgmlTypeId } from './ggml-types.js';

/** The weight encodings this package can produce from float data (for test models). */
export type QuantType = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0';

/** The ggml type id each encoding is stored as. */
export const QUANT_GGML_TYPE: Readonly<Record<QuantType, number>> = {
  f32: GgmlTypeId.F32,
  f16: GgmlTypeId.F16,
  bf16: GgmlTypeId.BF16,
  q8_0: GgmlTypeId.Q8_0,
  q4_0: GgmlTypeId.Q4_0,
};

const QK = 32;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half precision bits of a float, rounded to nearest even (NaN stays NaN, overflow → ±Inf). */
export function f32ToF16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) === 1)) h++;
    return sign | h;
  }
  // A mantissa carry rolls into the exponent, and from the largest finite value into Inf: both right.
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++;
  return sign | h;
}

/** The float value of IEEE half precision bits. */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** bfloat16 bits of a float, rounded to nearest even (NaN stays a quiet NaN). */
export function f32ToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) & 0x8000) | 0x7fc0;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16ToF32(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0]!;
}

/** C's roundf: halves away from zero (Math.round rounds -2.5 to -2). */
function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

function checkBlocks(src: Float32Array, what: string): void {
  if (src.length % QK !== 0) throw new GgufError('GGUF_INVALID', `${what} needs a multiple of ${QK} values, got ${src.length}`);
}

/** Q8_0 blocks: per 32 values, an f16 scale d = max|x|/127 then 32 int8 (x ≈ d·q). 34 bytes a block. */
export function quantizeQ8_0(src: Float32Array): Uint8Array {
  checkBlocks(src, 'Q8_0');
  const nb = src.length / QK;
  const out = new Uint8Array(nb * 34);
  const view = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    const base = b * QK;
    let amax = 0;
    for (let j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(src[base + j]!));
    const d = amax / 127;
    const id = d ? 1 / d : 0;
    const o = b * 34;
    view.setUint16(o, f32ToF16(d), true);
    for (let j = 0; j < QK; j++) view.setInt8(o + 2 + j, roundHalfAway(src[base + j]! * id));
  }
  return out;
}

export function dequantizeQ8_0(bytes: Uint8Array): Float32Array {
  const nb = Math.floor(bytes.length / 34);
  const out = new Float32Array(nb * QK);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < nb; b++) {
    const d = f16ToF32(view.getUint16(b * 34, true));
    for (let j = 0; j < QK; j++) out[b * QK + j] = d * view.getInt8(b * 34 + 2 + j);
  }
  return out;
}

/**
 * Q4_0 blocks, as ggml's reference quantizer: per 32 values, an f16 scale d = m/-8 (m the value
 * of largest magnitude, sign kept) then 16 bytes of nibbles — byte j holds value j in its low
 * nibble and value j+16 in its high nibble, each stored as q+8 (x ≈ d·(nibble−8)). 18 bytes a block.
 */
export function quantizeQ4_0(src: Float32Array): Uint8Array {
  checkBlocks(src, 'Q4_0');
  const nb = src.length / QK;
  const out = new Uint8Array(nb * 18);
  const view = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    const base = b * QK;
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = src[base + j]!;
      if (Math.abs(v) > amax) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = max / -8;
    const id = d ? 1 / d : 0;
    const o = b * 18;
    view.setUint16(o, f32ToF16(d), true);
    for (let j = 0; j < QK / 2; j++) {
      const x0 = src[base + j]! * id;
      const x1 = src[base + QK / 2 + j]! * id;
      const q0 = Math.min(15, Math.trunc(x0 + 8.5));
      const q1 = Math.min(15, Math.trunc(x1 + 8.5));
      out[o + 2 + j] = q0 | (q1 << 4);
    }
  }
  return out;
}

export function dequantizeQ4_0(bytes: Uint8Array): Float32Array {
  const nb = Math.floor(bytes.length / 18);
  const out = new Float32Array(nb * QK);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < nb; b++) {
    const d = f16ToF32(view.getUint16(b * 18, true));
    for (let j = 0; j < QK / 2; j++) {
      const q = bytes[b * 18 + 2 + j]!;
      out[b * QK + j] = ((q & 0x0f) - 8) * d;
      out[b * QK + QK / 2 + j] = ((q >> 4) - 8) * d;
    }
  }
  return out;
}

/** Float values encoded as the given type's bytes (little-endian), ready to be a tensor's data. */
export function quantize(type: QuantType, src: Float32Array): Uint8Array {
  switch (type) {
    case 'f32': {
      const out = new Uint8Array(src.length * 4);
      const view = new DataView(out.buffer);
      for (let i = 0; i < src.length; i++) view.setFloat32(i * 4, src[i]!, true);
      return out;
    }
    case 'f16':
    case 'bf16': {
      const enc = type === 'f16' ? f32ToF16 : f32ToBf16;
      const out = new Uint8Array(src.length * 2);
      const view = new DataView(out.buffer);
      for (let i = 0; i < src.length; i++) view.setUint16(i * 2, enc(src[i]!), true);
      return out;
    }
    case 'q8_0':
      return quantizeQ8_0(src);
    case 'q4_0':
      return quantizeQ4_0(src);
    default:
      throw new GgufError('GGUF_UNKNOWN_TYPE', `cannot quantize to '${String(type)}'`);
  }
}

/** Decode bytes of one of the types `quantize` writes back to floats (for checking round trips). */
export function dequantize(type: QuantType, bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (type) {
    case 'f32':
      return Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
    case 'f16':
      return Float32Array.from({ length: bytes.length / 2 }, (_, i) => f16ToF32(view.getUint16(i * 2, true)));
    case 'bf16':
      return Float32Array.from({ length: bytes.length / 2 }, (_, i) => bf16ToF32(view.getUint16(i * 2, true)));
    case 'q8_0':
      return dequantizeQ8_0(bytes);
    case 'q4_0':
      return dequantizeQ4_0(bytes);
    default:
      throw new GgufError('GGUF_UNKNOWN_TYPE', `cannot dequantize '${String(type)}'`);
  }
}
