/**
 * Storage cost of every weight and cache format the planner knows, in bytes per block of
 * elements, so sizes come out exact (a Q4_K row of 4096 weights is 16 blocks × 144 bytes),
 * not rounded bits-per-weight.
 *
 * GGML block layouts: ggml/src/ggml-common.h (block_q4_0 = fp16 scale + 16 bytes of nibbles
 * = 18 bytes per 32 weights = 4.5 bpw; block_q4_K = 2 fp16 + 12 bytes of 6-bit scales + 128
 * bytes = 144 bytes per 256 = 4.5 bpw; block_q6_K = 210 bytes per 256 = 6.5625 bpw; …). The
 * table is checked against @workbench/gguf's GGML_TYPES in a test.
 */
export interface StorageType {
  /** Canonical lower-case name (`f16`, `q4_k`, `fp8`). */
  name: string;
  /** Elements per block. */
  blockSize: number;
  /** Bytes per block. */
  blockBytes: number;
  /** GGML type id, for GGUF types. */
  ggmlId?: number;
}

const t = (name: string, blockSize: number, blockBytes: number, ggmlId?: number): StorageType => ({ name, blockSize, blockBytes, ...(ggmlId === undefined ? {} : { ggmlId }) });

/** GGML tensor types by id (ggml.h enum ggml_type). Ids 4 and 5 (Q4_2/Q4_3) were removed upstream. */
export const GGML_STORAGE: readonly StorageType[] = [
  t('f32', 1, 4, 0),
  t('f16', 1, 2, 1),
  t('q4_0', 32, 18, 2),
  t('q4_1', 32, 20, 3),
  t('q5_0', 32, 22, 6),
  t('q5_1', 32, 24, 7),
  t('q8_0', 32, 34, 8),
  t('q8_1', 32, 36, 9),
  t('q2_k', 256, 84, 10),
  t('q3_k', 256, 110, 11),
  t('q4_k', 256, 144, 12),
  t('q5_k', 256, 176, 13),
  t('q6_k', 256, 210, 14),
  t('q8_k', 256, 292, 15),
  t('iq2_xxs', 256, 66, 16),
  t('iq2_xs', 256, 74, 17),
  t('iq3_xxs', 256, 98, 18),
  t('iq1_s', 256, 50, 19),
  t('iq4_nl', 32, 18, 20),
  t('iq3_s', 256, 110, 21),
  t('iq2_s', 256, 82, 22),
  t('iq4_xs', 256, 136, 23),
  t('i8', 1, 1, 24),
  t('i16', 1, 2, 25),
  t('i32', 1, 4, 26),
  t('i64', 1, 8, 27),
  t('f64', 1, 8, 28),
  t('iq1_m', 256, 56, 29),
  t('bf16', 1, 2, 30),
  t('tq1_0', 256, 54, 34),
  t('tq2_0', 256, 66, 35),
  t('mxfp4', 32, 17, 39),
  t('nvfp4', 64, 36, 40),
  t('q1_0', 128, 18, 41),
  t('q2_0', 64, 18, 42),
];

/**
 * Hugging Face / safetensors dtypes and the post-training formats of quantization_config.
 * int4 is GPTQ/AWQ with group size 128: 4-bit weights plus an fp16 scale and a 4-bit zero
 * point per group = 4 + (16 + 4) / 128 = 4.15625 bpw. nf4 is bitsandbytes with double
 * quantisation: 4 + 8/64 + 32/(64·256) ≈ 4.127 bpw (QLoRA paper, §2).
 */
export const HF_STORAGE: readonly StorageType[] = [
  t('f64', 1, 8),
  t('f32', 1, 4),
  t('f16', 1, 2),
  t('bf16', 1, 2),
  t('fp8', 1, 1),
  t('int8', 1, 1),
  t('int4', 128, 64 + 2 + 0.5),
  t('nf4', 64, 32 + 1 + 0.0078125 * 64),
  t('i64', 1, 8),
  t('i32', 1, 4),
  t('i16', 1, 2),
  t('i8', 1, 1),
  t('u8', 1, 1),
  t('bool', 1, 1),
];

const ALIASES: Record<string, string> = {
  float32: 'f32', fp32: 'f32', float: 'f32',
  float16: 'f16', fp16: 'f16', half: 'f16',
  bfloat16: 'bf16',
  float64: 'f64', double: 'f64',
  f8_e4m3: 'fp8', f8_e5m2: 'fp8', float8_e4m3fn: 'fp8', float8_e5m2: 'fp8', e4m3: 'fp8', fp8_e4m3: 'fp8',
  int8: 'int8', i8: 'i8', u8: 'u8', uint8: 'u8', bool: 'bool',
  int4: 'int4', gptq: 'int4', awq: 'int4',
  nf4: 'nf4', fp4: 'nf4',
};

const byName = new Map<string, StorageType>();
for (const s of HF_STORAGE) byName.set(s.name, s);
for (const s of GGML_STORAGE) byName.set(s.name, s);
const byGgmlId = new Map<number, StorageType>(GGML_STORAGE.map((s) => [s.ggmlId!, s]));

/** Look a storage type up by any common spelling (`BF16`, `torch.bfloat16`, `Q4_K`, `F8_E4M3`). */
export function storageType(name: string): StorageType | undefined {
  const k = name.toLowerCase().replace(/^torch\./, '');
  return byName.get(k) ?? byName.get(ALIASES[k] ?? '');
}

export function ggmlStorage(id: number): StorageType | undefined {
  return byGgmlId.get(id);
}

/** Bits per weight of a storage type (block overhead included). */
export const bitsPerWeight = (s: StorageType): number => (s.blockBytes * 8) / s.blockSize;

/**
 * Bytes of a tensor of `elements` in storage `s`. GGML quantises rows of ne[0] elements in
 * whole blocks, so a row must be a multiple of the block size; for the rare row that is not,
 * the partial block is rounded up, as a quantiser would have to.
 */
export function tensorBytes(elements: number, s: StorageType, rowLength = elements): number {
  if (s.blockSize === 1) return elements * s.blockBytes;
  const rows = rowLength > 0 ? Math.ceil(elements / rowLength) : 0;
  return Math.ceil((rows * Math.ceil(rowLength / s.blockSize) * s.blockBytes));
}

/** KV-cache element formats (llama.cpp --cache-type-k/-v, vLLM --kv-cache-dtype). */
export const KV_DTYPES = ['f32', 'f16', 'bf16', 'fp8', 'q8_0', 'q4_0', 'q4_1', 'q5_0', 'q5_1', 'iq4_nl'] as const;
export type KvDtype = (typeof KV_DTYPES)[number];
