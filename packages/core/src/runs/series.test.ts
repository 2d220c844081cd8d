import { describe, expect, test } from 'vitest';
import { allocColumns, decodeChunk, decodeChunks, encodeChunk, type MetricColumns } from './metric-codec.js';
import { downsample, resolveLatest } from './series.js';

function cols(points: Array<[step: number, value: number, attempt?: number]>): MetricColumns {
  const c = allocColumns(points.length);
  points.forEach(([s, v, a], i) => {
    c.step[i] = s;
    c.value[i] = v;
    c.ts[i] = 1000 + i;
    c.seq[i] = i + 1;
    c.attempt[i] = a ?? 1;
  });
  return c;
}

describe('metric chunks', () => {
  test('round-trip keeps NaN, ±Infinity and large steps exactly', () => {
    const c = cols([[0, NaN], [1, Infinity], [2 ** 52, -Infinity], [3, 0.1]]);
    const bytes = encodeChunk(c);
    // Misalign on purpose: SQLite buffers can start anywhere.
    const shifted = new Uint8Array(bytes.length + 3).subarray(3);
    shifted.set(bytes);
    const d = decodeChunk(shifted);
    expect(Array.from(d.value)).toEqual([NaN, Infinity, -Infinity, 0.1]);
    expect(d.step[2]).toBe(2 ** 52);
    expect(Array.from(d.seq)).toEqual([1, 2, 3, 4]);
  });
  test('many chunks decode into one series in order', () => {
    const a = encodeChunk(cols([[0, 1], [1, 2]]));
    const b = encodeChunk(cols([[2, NaN]]));
    const shifted = new Uint8Array(b.length + 1).subarray(1);
    shifted.set(b);
    const d = decodeChunks([a, shifted]);
    expect(Array.from(d.step)).toEqual([0, 1, 2]);
    expect(Array.from(d.value)).toEqual([1, 2, NaN]);
    expect(() => decodeChunks([a.subarray(0, 10)])).toThrow(/length|magic/);
  });
  test('corrupt chunks are rejected', () => {
    expect(() => decodeChunk(new Uint8Array(8))).toThrow(/magic/);
    const bytes = encodeChunk(cols([[0, 1]]));
    expect(() => decodeChunk(bytes.subarray(0, bytes.length - 4))).toThrow(/length/);
  });
});

describe('latest attempt per step', () => {
  test('an ordered series is returned as is', () => {
    const c = cols([[0, 1], [1, 2], [2, 3]]);
    expect(resolveLatest(c)).toBe(c);
  });
  test('repeats, rewinds and out-of-order steps resolve to the latest arrival of the latest attempt', () => {
    const c = cols([[0, 1], [2, 3], [1, 2], [1, 20], [3, 4], [2, 30, 2], [2, 31, 1]]);
    const r = resolveLatest(c);
    expect(Array.from(r.step)).toEqual([0, 1, 2, 3]);
    // step 1: repeated in attempt 1, later arrival wins; step 2: attempt 2 beats a later attempt-1 point.
    expect(Array.from(r.value)).toEqual([1, 20, 30, 4]);
  });
});

describe('downsample', () => {
  test('keeps extremes and the ends within the budget', () => {
    const n = 1_000_000;
    const c = allocColumns(n);
    for (let i = 0; i < n; i++) {
      c.step[i] = i;
      c.value[i] = Math.sin(i / 1000);
    }
    c.value[123_457] = 50; // a spike
    c.value[876_543] = -50;
    c.value[5] = NaN;
    const { series, nonFinite } = downsample(c, 2000);
    expect(series.step.length).toBeLessThanOrEqual(2000);
    expect(series.step.length).toBeGreaterThan(1500);
    expect(nonFinite).toBe(1);
    expect(Math.max(...series.value)).toBe(50);
    expect(Math.min(...series.value)).toBe(-50);
    expect(series.step[0]).toBe(0);
    expect(series.step[series.step.length - 1]).toBe(n - 1);
    for (let i = 1; i < series.step.length; i++) expect(series.step[i]!).toBeGreaterThan(series.step[i - 1]!);
  });
  test('short series pass through without their non-finite points', () => {
    const { series, nonFinite } = downsample(cols([[0, 1], [1, NaN], [2, Infinity], [3, 2]]), 100);
    expect(Array.from(series.value)).toEqual([1, 2]);
    expect(nonFinite).toBe(2);
  });
});
