import { describe, expect, test } from 'vitest';
import { bf16ToF32, dequantize, f16ToF32, f32ToBf16, f32ToF16, quantize, quantizeQ4_0, quantizeQ8_0, type QuantType } from './quantize.js';

describe('half precision', () => {
  test('known values convert both ways', () => {
    const cases: [number, number][] = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [Infinity, 0x7c00],
      [2 ** -24, 0x0001], [2 ** -14, 0x0400], [0.333251953125, 0x3555],
    ];
    for (const [v, h] of cases) {
      expect(f32ToF16(v), String(v)).toBe(h);
      expect(Object.is(f16ToF32(h), v), `${h.toString(16)} → ${v}`).toBe(true);
    }
    expect(f32ToF16(1e6)).toBe(0x7c00); // overflow → Inf
    expect(f32ToF16(65520)).toBe(0x7c00); // rounds up past the largest finite half
    expect(f32ToF16(2 ** -26)).toBe(0); // below half the smallest subnormal
    expect(Number.isNaN(f16ToF32(f32ToF16(NaN)))).toBe(true);
    // 1 + 2^-11 is exactly halfway between 1 and the next half: ties go to even (1).
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00);
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  test('bfloat16 keeps the top 16 bits, rounded to nearest even', () => {
    expect(f32ToBf16(1)).toBe(0x3f80);
    expect(f32ToBf16(-2)).toBe(0xc000);
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(bf16ToF32(f32ToBf16(3.140625))).toBe(3.140625);
    expect(Number.isNaN(bf16ToF32(f32ToBf16(NaN)))).toBe(true);
  });
});

describe('block quantizers', () => {
  test('q8_0 block: f16 scale max|x|/127, then 32 int8', () => {
    const x = Float32Array.from({ length: 32 }, (_, i) => (i - 16) / 16); // -1 … 0.9375
    const b = quantizeQ8_0(x);
    expect(b.length).toBe(34);
    const view = new DataView(b.buffer);
    expect(view.getUint16(0, true)).toBe(f32ToF16(1 / 127));
    expect(view.getInt8(2)).toBe(-127); // x[0] = -1
    expect(view.getInt8(2 + 16)).toBe(0); // x[16] = 0
    expect(view.getInt8(2 + 24)).toBe(Math.round(0.5 * 127)); // 63.5 rounds away from zero: 64
    expect(view.getInt8(2 + 24)).toBe(64);
  });

  test('q4_0 block: f16 scale m/-8, low nibbles values 0–15, high nibbles values 16–31', () => {
    const x = new Float32Array(32);
    x[0] = -8; // the largest magnitude: d = -8 / -8 = 1
    x[1] = 7;
    x[16] = 3;
    x[17] = -1;
    const b = quantizeQ4_0(x);
    expect(b.length).toBe(18);
    expect(new DataView(b.buffer).getUint16(0, true)).toBe(f32ToF16(1));
    expect(b[2]).toBe(0 | ((3 + 8) << 4)); // value 0 → q 0; value 16 → 11
    expect(b[3]).toBe(15 | ((-1 + 8) << 4)); // value 1 = 7 → 15; value 17 → 7
    expect(b[4]).toBe(8 | (8 << 4)); // zeros → 8
  });

  test.each(['f32', 'f16', 'bf16', 'q8_0', 'q4_0'] as QuantType[])('%s round trip stays within its precision', (type) => {
    const x = Float32Array.from({ length: 256 }, (_, i) => Math.sin(i * 0.37) * 0.05);
    const bytes = quantize(type, x);
    const expectedBytes = { f32: 1024, f16: 512, bf16: 512, q8_0: 8 * 34, q4_0: 8 * 18 }[type];
    expect(bytes.length).toBe(expectedBytes);
    const y = dequantize(type, bytes);
    const tolerance = { f32: 0, f16: 1e-4, bf16: 5e-4, q8_0: 0.05 / 127, q4_0: 0.05 / 8 }[type];
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
    expect(worst).toBeLessThanOrEqual(tolerance);
  });

  test('block quantizers refuse a length that is not whole blocks', () => {
    expect(() => quantizeQ8_0(new Float32Array(33))).toThrow(/multiple of 32/);
    expect(() => quantize('q4_0', new Float32Array(31))).toThrow(/multiple of 32/);
  });
});
