import { describe, expect, test } from 'vitest';
import { GgufError } from './errors.js';
import { GGML_TYPES, GgmlTypeId, LlamaFileType, bitsPerWeight, fileTypeName, ggmlType, ggmlTypeName, tensorBytes } from './ggml-types.js';

describe('ggml type table', () => {
  test('block sizes and bytes per block match the ggml block structs', () => {
    // [name, id, elements per block, bytes per block], each worked out from the C struct by hand.
    const expected: [string, number, number, number][] = [
      ['F32', 0, 1, 4], ['F16', 1, 1, 2], ['Q4_0', 2, 32, 18], ['Q4_1', 3, 32, 20], ['Q5_0', 6, 32, 22], ['Q5_1', 7, 32, 24],
      ['Q8_0', 8, 32, 34], ['Q8_1', 9, 32, 36], ['Q2_K', 10, 256, 84], ['Q3_K', 11, 256, 110], ['Q4_K', 12, 256, 144],
      ['Q5_K', 13, 256, 176], ['Q6_K', 14, 256, 210], ['Q8_K', 15, 256, 292], ['IQ2_XXS', 16, 256, 66], ['IQ2_XS', 17, 256, 74],
      ['IQ3_XXS', 18, 256, 98], ['IQ1_S', 19, 256, 50], ['IQ4_NL', 20, 32, 18], ['IQ3_S', 21, 256, 110], ['IQ2_S', 22, 256, 82],
      ['IQ4_XS', 23, 256, 136], ['I8', 24, 1, 1], ['I16', 25, 1, 2], ['I32', 26, 1, 4], ['I64', 27, 1, 8], ['F64', 28, 1, 8],
      ['IQ1_M', 29, 256, 56], ['BF16', 30, 1, 2], ['TQ1_0', 34, 256, 54], ['TQ2_0', 35, 256, 66], ['MXFP4', 39, 32, 17], ['NVFP4', 40, 64, 36], ['Q1_0', 41, 128, 18], ['Q2_0', 42, 64, 18],
    ];
    for (const [name, id, blockSize, bytesPerBlock] of expected) {
      expect(GGML_TYPES[id], name).toMatchObject({ id, name, blockSize, bytesPerBlock });
      expect(GgmlTypeId[name as 'F32']).toBe(id);
    }
    expect(Object.keys(GGML_TYPES)).toHaveLength(expected.length);
  });

  test('bits per weight are the real storage cost', () => {
    expect(bitsPerWeight('Q4_K')).toBe(4.5);
    expect(bitsPerWeight('Q6_K')).toBe(6.5625);
    expect(bitsPerWeight('Q8_0')).toBe(8.5);
    expect(bitsPerWeight('Q4_0')).toBe(4.5);
    expect(bitsPerWeight('Q5_K')).toBe(5.5);
    expect(bitsPerWeight('Q2_K')).toBe(2.625);
    expect(bitsPerWeight('IQ4_XS')).toBe(4.25);
    expect(bitsPerWeight(GgmlTypeId.F16)).toBe(16);
    expect(bitsPerWeight('bf16')).toBe(16);
    expect(bitsPerWeight('F32')).toBe(32);
  });

  test('tensor bytes are exact for realistic shapes', () => {
    // Llama-3-70B ffn_down in Q4_K: 28672 × 8192 values, 144 bytes per 256.
    expect(tensorBytes('Q4_K', [28672, 8192])).toBe((28672 * 8192 * 144) / 256);
    expect(tensorBytes('Q4_K', [28672, 8192])).toBe(132_120_576);
    // token_embd [4096, 32000] in Q6_K: 131,072,000 values × 210/256.
    expect(tensorBytes('Q6_K', [4096, 32000])).toBe(107_520_000);
    expect(tensorBytes('F32', [4096])).toBe(16_384);
    expect(tensorBytes('Q8_0', [64, 3])).toBe(6 * 34);
    expect(tensorBytes(GgmlTypeId.F16, [7, 3, 2])).toBe(84);
  });

  test('ne[0] not a multiple of the block size, unknown types and bad dims are GgufErrors', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof GgufError ? e.code : 'not a GgufError';
      }
      return undefined;
    };
    expect(code(() => tensorBytes('Q4_K', [4096 + 32, 2]))).toBe('GGUF_INVALID');
    expect(code(() => tensorBytes(4, [32]))).toBe('GGUF_UNKNOWN_TYPE');
    expect(code(() => ggmlType('Q9_Z'))).toBe('GGUF_UNKNOWN_TYPE');
    expect(code(() => tensorBytes('F32', [-1]))).toBe('GGUF_INVALID');
    expect(code(() => tensorBytes('F32', [2 ** 40, 2 ** 20]))).toBe('GGUF_LIMIT');
    expect(ggmlTypeName(99)).toBe('UNKNOWN(99)');
  });

  test('llama.cpp file types have their names', () => {
    expect(LlamaFileType.MOSTLY_Q4_K_M).toBe(15);
    expect(fileTypeName(15)).toBe('MOSTLY_Q4_K_M');
    expect(fileTypeName(7)).toBe('MOSTLY_Q8_0');
    expect(fileTypeName(0)).toBe('ALL_F32');
    expect(fileTypeName(32)).toBe('MOSTLY_BF16');
    expect(fileTypeName(4)).toBeUndefined();
  });
});
