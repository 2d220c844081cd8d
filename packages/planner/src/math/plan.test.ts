import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { GGML_TYPES } from '@workbench/gguf';
import { ENGINE_PROFILES, GGML_STORAGE, findGpu, parseHfConfig, plan, prepareWeights, type EngineName, type ModelSpec, type PlanSettings } from './index.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'configs');
const load = (name: string): ModelSpec => parseHfConfig(JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')), name);
const planOf = (name: string, engine: EngineName, quant: string | undefined, settings: PlanSettings = {}) => plan(prepareWeights(load(name), undefined, ENGINE_PROFILES[engine], quant), { ...settings, engine });

describe('weight formats', () => {
  test('the storage table agrees with @workbench/gguf GGML_TYPES for every type id', () => {
    for (const info of Object.values(GGML_TYPES)) {
      const mine = GGML_STORAGE.find((s) => s.ggmlId === info.id);
      expect(mine, info.name).toBeDefined();
      expect([mine!.blockSize, mine!.blockBytes], info.name).toEqual([info.blockSize, info.bytesPerBlock]);
    }
  });

  test('Q8_0 Llama-3.1-8B, by hand: 2-D weights at 34 bytes per 32, norms f32', () => {
    const p = planOf('llama-3.1-8b', 'llama.cpp', 'q8_0', { context: 512 });
    const oneD = 32 * 2 * 4096 + 4096;
    expect(p.totals.weights).toBe(((8_030_261_248 - oneD) / 32) * 34 + oneD * 4);
  });

  test('Q4_K_M Llama-3.1-8B lands at llama.cpp’s reported 4.89 bits per weight', () => {
    const p = planOf('llama-3.1-8b', 'llama.cpp', 'q4_k_m', { context: 512 });
    expect(p.weights.bitsPerWeight).toBeGreaterThan(4.85);
    expect(p.weights.bitsPerWeight).toBeLessThan(4.93);
    expect(p.weights.byType.q6_k).toBeGreaterThan(0); // output, attn_v and ffn_down on use_more_bits layers
  });

  test('bf16 is two bytes per parameter; fp8 DeepSeek-V3 keeps embeddings and norms in bf16', () => {
    expect(planOf('mistral-7b-v0.1', 'vllm', 'bf16', { context: 512 }).totals.weights).toBe(7_241_732_096 * 2);
    const v3 = planOf('deepseek-v3', 'vllm', undefined, { context: 512 });
    expect(v3.settings.quant).toBe('fp8'); // from quantization_config
    expect(v3.weights.bitsPerWeight).toBeGreaterThan(8);
    expect(v3.weights.bitsPerWeight).toBeLessThan(8.1);
  });

  test('an unknown format is refused with the list of known ones', () => {
    expect(() => planOf('llama-3.1-8b', 'llama.cpp', 'q7_z')).toThrow(/not one llama.cpp loads/);
  });
});

describe('fit, largest context and offload', () => {
  const h100 = findGpu('h100')!;
  const rtx4090 = findGpu('rtx 4090')!;

  test('the largest context fits and one more padding step does not', () => {
    const p = planOf('llama-3.1-8b', 'llama.cpp', 'q4_k_m', { context: 8192, batch: 8, gpu: rtx4090, flashAttention: true });
    const max = p.fit!.maxContext;
    expect(max).toBeGreaterThan(8192);
    expect(max).toBeLessThan(131072);
    expect(planOf('llama-3.1-8b', 'llama.cpp', 'q4_k_m', { context: max, batch: 8, gpu: rtx4090, flashAttention: true }).fit!.fits).toBe(true);
    expect(planOf('llama-3.1-8b', 'llama.cpp', 'q4_k_m', { context: max + 256, batch: 8, gpu: rtx4090, flashAttention: true }).fit!.fits).toBe(false);
  });

  test('Mixtral Q4_K_M does not fit a 24 GB card: some layers offload, the rest stays in system memory', () => {
    const p = planOf('mixtral-8x7b-v0.1', 'llama.cpp', 'q4_k_m', { context: 4096, gpu: rtx4090, overheadMiB: 300 });
    expect(p.fit!.fits).toBe(false);
    expect(p.fit!.gpuLayers).toBeGreaterThan(10);
    expect(p.fit!.gpuLayers).toBeLessThan(32);
    expect(p.fit!.cpuBytes).toBeGreaterThan(0);
    expect(p.fit!.cpuBytes).toBeLessThan(p.totals.total);
  });

  test('an SSM needs the same memory at 1k and 1M context', () => {
    const a = planOf('mamba-2.8b-hf', 'llama.cpp', 'q8_0', { context: 1024, gpu: h100 });
    const b = planOf('mamba-2.8b-hf', 'llama.cpp', 'q8_0', { context: 1_048_576, gpu: h100 });
    expect(b.totals.state).toBe(a.totals.state);
    expect(b.totals.kv).toBe(0);
  });

  test('zero, negative and absurd settings are refused', () => {
    expect(() => planOf('llama-3.1-8b', 'llama.cpp', 'q4_0', { context: 0 })).toThrow(/context must be a whole number/);
    expect(() => planOf('llama-3.1-8b', 'llama.cpp', 'q4_0', { batch: -2 })).toThrow(/batch must be a whole number/);
    expect(() => planOf('llama-3.1-8b', 'llama.cpp', 'q4_0', { context: Number.NaN })).toThrow(/context/);
    expect(() => planOf('llama-3.1-8b', 'llama.cpp', 'q4_0', { context: 1e12 })).toThrow(/beyond/);
    expect(() => planOf('llama-3.1-8b', 'llama.cpp', 'q4_0', { efficiency: 2 })).toThrow(/efficiency/);
  });
});

describe('speed bounds', () => {
  test('decode is memory-bound: tok/s = bandwidth / bytes read per step, which holds active weights + KV', () => {
    const h100 = findGpu('h100')!;
    const p = planOf('llama-3.1-8b', 'vllm', 'bf16', { context: 1, gpu: h100 });
    const t = p.throughput!;
    expect(t.decodeBound).toBe('memory');
    const embedding = 128_256 * 4096 * 2;
    // the cache holds 16 cells (vLLM pages) but one token is in it: 32 layers · 8 · 128 · (K+V) · 2 bytes
    const expectedBytes = p.totals.weights - embedding + 4096 * 2 + 32 * 8 * 128 * 2 * 2;
    expect(t.bytesPerStep).toBe(expectedBytes);
    expect(t.decodeTokPerSec).toBeCloseTo((3350e9) / expectedBytes, 6);
  });

  test('a batch of MoE sequences reads the experts any of them routes to: 1 − (1 − k/E)^B', () => {
    const h100 = findGpu('h100')!;
    const one = planOf('mixtral-8x7b-v0.1', 'vllm', 'bf16', { context: 1, gpu: h100 }).throughput!;
    const eight = planOf('mixtral-8x7b-v0.1', 'vllm', 'bf16', { context: 1, batch: 8, gpu: h100 }).throughput!;
    const expertBytes = 32 * 8 * 3 * 4096 * 14336 * 2;
    const touched = (b: number) => 1 - Math.pow(1 - 2 / 8, b);
    // plus 7 more embedding rows and 7 more one-token caches (32 · 8 · 128 · 2 · 2 bytes each)
    expect(eight.bytesPerStep - one.bytesPerStep).toBeCloseTo(expertBytes * (touched(8) - touched(1)) + 7 * 4096 * 2 + 7 * 131072, -3);
  });

  test('prefill is compute-bound: FLOPS / (2 · active params + attention)', () => {
    const h100 = findGpu('h100')!;
    const p = planOf('llama-3.1-8b', 'vllm', 'bf16', { context: 2, gpu: h100 });
    const active = p.model.params.active;
    const attn = 32 * 2 * 32 * 256 * 1; // 4 · n_head · head_dim per attended token, half of a 2-token prompt
    expect(p.throughput!.prefillTokPerSec).toBeCloseTo((989.4e12) / (2 * active + attn), 3);
  });
});
