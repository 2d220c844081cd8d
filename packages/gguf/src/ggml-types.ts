import { GgufError } from './errors.js';

/**
 * One ggml tensor type: how many elements a block holds and how many bytes it takes.
 * Sizes follow llama.cpp's block structs (ggml-common.h), so `tensorBytes` is exact.
 */
export interface GgmlTypeInfo {
  /** llama.cpp's numeric id (`enum ggml_type`), as stored in a GGUF tensor info. */
  readonly id: number;
  /** The name llama.cpp prints, e.g. 'Q4_K'. */
  readonly name: string;
  /** Elements per block (1 for plain types, 32 for legacy quants, 256 for K/IQ quants). */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly bytesPerBlock: number;
  /** Whether this is a block-quantized type (as opposed to a plain float or integer type). */
  readonly quantized: boolean;
}

// QK_K = 256. Each row: id, name, elements per block, bytes per block, quantized.
const rows: [number, string, number, number, boolean][] = [
  [0, 'F32', 1, 4, false],
  [1, 'F16', 1, 2, false],
  [2, 'Q4_0', 32, 2 + 16, true],
  [3, 'Q4_1', 32, 2 + 2 + 16, true],
  // 4 and 5 were Q4_2 / Q4_3, removed from ggml.
  [6, 'Q5_0', 32, 2 + 4 + 16, true],
  [7, 'Q5_1', 32, 2 + 2 + 4 + 16, true],
  [8, 'Q8_0', 32, 2 + 32, true],
  [9, 'Q8_1', 32, 2 + 2 + 32, true],
  [10, 'Q2_K', 256, 16 + 64 + 2 + 2, true],
  [11, 'Q3_K', 256, 32 + 64 + 12 + 2, true],
  [12, 'Q4_K', 256, 2 + 2 + 12 + 128, true],
  [13, 'Q5_K', 256, 2 + 2 + 12 + 32 + 128, true],
  [14, 'Q6_K', 256, 128 + 64 + 16 + 2, true],
  [15, 'Q8_K', 256, 4 + 256 + 2 * 16, true],
  [16, 'IQ2_XXS', 256, 2 + 2 * 32, true],
  [17, 'IQ2_XS', 256, 2 + 2 * 32 + 8, true],
  [18, 'IQ3_XXS', 256, 2 + 96, true],
  [19, 'IQ1_S', 256, 2 + 32 + 2 * 8, true],
  [20, 'IQ4_NL', 32, 2 + 16, true],
  [21, 'IQ3_S', 256, 2 + 64 + 8 + 32 + 4, true],
  [22, 'IQ2_S', 256, 2 + 64 + 8 + 8, true],
  [23, 'IQ4_XS', 256, 2 + 2 + 4 + 128, true],
  [24, 'I8', 1, 1, false],
  [25, 'I16', 1, 2, false],
  [26, 'I32', 1, 4, false],
  [27, 'I64', 1, 8, false],
  [28, 'F64', 1, 8, false],
  [29, 'IQ1_M', 256, 32 + 16 + 8, true],
  [30, 'BF16', 1, 2, false],
  // 31–33 were the Q4_0_4_4 / Q4_0_4_8 / Q4_0_8_8 repacks, removed from the file format.
  [34, 'TQ1_0', 256, 48 + 4 + 2, true],
  [35, 'TQ2_0', 256, 64 + 2, true],
  // 36–38 were the IQ4_NL repacks, removed from the file format.
  [39, 'MXFP4', 32, 1 + 16, true],
  [40, 'NVFP4', 64, 4 + 32, true],
  [41, 'Q1_0', 128, 2 + 16, true],
  [42, 'Q2_0', 64, 2 + 16, true],
];

/** Names of every ggml type this package knows. */
export type GgmlTypeName =
  | 'F32' | 'F16' | 'Q4_0' | 'Q4_1' | 'Q5_0' | 'Q5_1' | 'Q8_0' | 'Q8_1'
  | 'Q2_K' | 'Q3_K' | 'Q4_K' | 'Q5_K' | 'Q6_K' | 'Q8_K'
  | 'IQ2_XXS' | 'IQ2_XS' | 'IQ3_XXS' | 'IQ1_S' | 'IQ4_NL' | 'IQ3_S' | 'IQ2_S' | 'IQ4_XS'
  | 'I8' | 'I16' | 'I32' | 'I64' | 'F64' | 'IQ1_M' | 'BF16' | 'TQ1_0' | 'TQ2_0' | 'MXFP4' | 'NVFP4' | 'Q1_0' | 'Q2_0';

/** A ggml type id (`enum ggml_type`). */
export type GgmlType = number;

/** A ggml type by id or by name, either case ('Q4_K', 'q4_k', 12). */
export type GgmlTypeRef = GgmlType | GgmlTypeName | Lowercase<GgmlTypeName>;

/**
 * Every known ggml type, by numeric id. Ids missing below 42 were removed from ggml; ids above
 * 42 (newer than this table) are unknown and a file using them is GGUF_UNKNOWN_TYPE. The
 * engine test checks every entry against the ggml compiled into node-llama-cpp.
 */
export const GGML_TYPES: Readonly<Record<number, GgmlTypeInfo>> = Object.freeze(
  Object.fromEntries(rows.map(([id, name, blockSize, bytesPerBlock, quantized]) => [id, Object.freeze({ id, name, blockSize, bytesPerBlock, quantized })])),
);

/** ggml type ids by name: `GgmlTypeId.Q4_K === 12`. */
export const GgmlTypeId: Readonly<Record<GgmlTypeName, number>> = Object.freeze(
  Object.fromEntries(rows.map(([id, name]) => [name, id])) as Record<GgmlTypeName, number>,
);

/** The type info for an id or a name; throws GGUF_UNKNOWN_TYPE for anything else. */
export function ggmlType(type: GgmlTypeRef | string): GgmlTypeInfo {
  const info = typeof type === 'number' ? GGML_TYPES[type] : GGML_TYPES[(GgmlTypeId as Record<string, number>)[type.toUpperCase()] ?? -1];
  if (!info) throw new GgufError('GGUF_UNKNOWN_TYPE', `unknown ggml tensor type ${JSON.stringify(type)}`);
  return info;
}

/** The ggml type's name, or `UNKNOWN(<id>)` for an id this package does not know. */
export function ggmlTypeName(type: GgmlType): string {
  return GGML_TYPES[type]?.name ?? `UNKNOWN(${type})`;
}

/** Real storage cost in bits per weight, block scales included (Q4_K → 4.5, Q6_K → 6.5625, Q8_0 → 8.5). */
export function bitsPerWeight(type: GgmlTypeRef): number {
  const t = ggmlType(type);
  return (t.bytesPerBlock * 8) / t.blockSize;
}

/** Number of elements of a tensor with these dims (1 for a scalar with no dims). */
export function tensorElements(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new GgufError('GGUF_INVALID', `tensor dimension ${d} is not a non-negative integer`);
    n *= d;
    if (!Number.isSafeInteger(n)) throw new GgufError('GGUF_LIMIT', `tensor with dims [${dims.join(', ')}] has more than 2^53 elements`);
  }
  return n;
}

/**
 * Exact bytes of a tensor's data, unpadded. `dims[0]` (ne[0], the contiguous dimension) must
 * be a multiple of the type's block size, as ggml requires.
 */
export function tensorBytes(type: GgmlTypeRef, dims: readonly number[]): number {
  const t = ggmlType(type);
  const ne0 = dims[0] ?? 1;
  if (ne0 % t.blockSize !== 0) {
    throw new GgufError('GGUF_INVALID', `a ${t.name} tensor needs ne[0] divisible by ${t.blockSize}, got dims [${dims.join(', ')}]`);
  }
  const bytes = (tensorElements(dims) / t.blockSize) * t.bytesPerBlock;
  if (!Number.isSafeInteger(bytes)) throw new GgufError('GGUF_LIMIT', `a ${t.name} tensor with dims [${dims.join(', ')}] is larger than 2^53 bytes`);
  return bytes;
}

/**
 * llama.cpp's file types (`general.file_type`, `enum llama_ftype`): what most of a model's
 * weights are quantized to. Ids missing here were removed from llama.cpp.
 */
export const LLAMA_FILE_TYPES: Readonly<Record<number, string>> = Object.freeze({
  0: 'ALL_F32',
  1: 'MOSTLY_F16',
  2: 'MOSTLY_Q4_0',
  3: 'MOSTLY_Q4_1',
  7: 'MOSTLY_Q8_0',
  8: 'MOSTLY_Q5_0',
  9: 'MOSTLY_Q5_1',
  10: 'MOSTLY_Q2_K',
  11: 'MOSTLY_Q3_K_S',
  12: 'MOSTLY_Q3_K_M',
  13: 'MOSTLY_Q3_K_L',
  14: 'MOSTLY_Q4_K_S',
  15: 'MOSTLY_Q4_K_M',
  16: 'MOSTLY_Q5_K_S',
  17: 'MOSTLY_Q5_K_M',
  18: 'MOSTLY_Q6_K',
  19: 'MOSTLY_IQ2_XXS',
  20: 'MOSTLY_IQ2_XS',
  21: 'MOSTLY_Q2_K_S',
  22: 'MOSTLY_IQ3_XS',
  23: 'MOSTLY_IQ3_XXS',
  24: 'MOSTLY_IQ1_S',
  25: 'MOSTLY_IQ4_NL',
  26: 'MOSTLY_IQ3_S',
  27: 'MOSTLY_IQ3_M',
  28: 'MOSTLY_IQ2_S',
  29: 'MOSTLY_IQ2_M',
  30: 'MOSTLY_IQ4_XS',
  31: 'MOSTLY_IQ1_M',
  32: 'MOSTLY_BF16',
  36: 'MOSTLY_TQ1_0',
  37: 'MOSTLY_TQ2_0',
  38: 'MOSTLY_MXFP4_MOE',
  39: 'MOSTLY_NVFP4',
  40: 'MOSTLY_Q1_0',
  41: 'MOSTLY_Q2_0',
  1024: 'GUESSED',
});

/** llama.cpp file type ids by name: `LlamaFileType.MOSTLY_Q4_K_M === 15`. */
export const LlamaFileType: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(Object.entries(LLAMA_FILE_TYPES).map(([id, name]) => [name, Number(id)])),
);

/** The name of a `general.file_type` value, or undefined for an unknown id. */
export function fileTypeName(fileType: number): string | undefined {
  return LLAMA_FILE_TYPES[fileType];
}
