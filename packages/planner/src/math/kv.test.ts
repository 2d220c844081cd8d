import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ENGINE_PROFILES, layerCache, parseHfConfig, recurrentStateElements, type ModelSpec, type RecurrentMixer } from './index.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'configs');
const load = (name: string): ModelSpec => parseHfConfig(JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')), name);
const tf = ENGINE_PROFILES.transformers; // no padding: numbers are the bare formula
const kvTotal = (spec: ModelSpec, context: number, opts: { batch?: number; kvDtype?: 'f16' | 'bf16' | 'q8_0' | 'q4_0' | 'fp8'; engine?: keyof typeof ENGINE_PROFILES } = {}) => {
  const engine = ENGINE_PROFILES[opts.engine ?? 'transformers'];
  return spec.layers.map((l) => layerCache(l, { context, batch: opts.batch ?? 1, kvDtype: opts.kvDtype ?? 'f16', ubatch: 512 }, engine)).reduce(
    (a, c) => ({ kv: a.kv + c.kBytes + c.vBytes, state: a.state + c.stateBytes }),
    { kv: 0, state: 0 },
  );
};

describe('KV cache by attention kind, against hand-computed values', () => {
  test('GQA (Llama-3.1-8B): 32 layers · 8 kv heads · 128 · (K+V) · 2 bytes = 128 KiB per token → 1 GiB at 8192', () => {
    const spec = load('llama-3.1-8b');
    expect(spec.layers[0]!.mixer).toMatchObject({ kind: 'gqa', nHead: 32, nKvHead: 8 });
    expect(kvTotal(spec, 8192).kv).toBe(8192 * 32 * 8 * 128 * 2 * 2);
    expect(kvTotal(spec, 8192).kv).toBe(1024 ** 3);
    // batch multiplies
    expect(kvTotal(spec, 8192, { batch: 4 }).kv).toBe(4 * 1024 ** 3);
  });

  test('q8_0 and q4_0 caches store whole blocks: 1024-wide rows are 32 blocks of 34 (q8_0) or 18 (q4_0) bytes', () => {
    const spec = load('llama-3.1-8b');
    expect(kvTotal(spec, 1000, { kvDtype: 'q8_0' }).kv).toBe(1000 * 32 * 2 * 32 * 34);
    expect(kvTotal(spec, 1000, { kvDtype: 'q4_0' }).kv).toBe(1000 * 32 * 2 * 32 * 18);
    expect(kvTotal(spec, 1000, { kvDtype: 'fp8' }).kv).toBe(1000 * 32 * 2 * 1024);
  });

  test('MHA with a window on every layer (Phi-3-mini): 32 heads · 96 · 2 · 2 bytes · 32 layers, at most 2047 tokens kept', () => {
    const spec = load('phi-3-mini-4k-instruct');
    expect(spec.layers[0]!.mixer).toMatchObject({ kind: 'mha', window: 2047 });
    expect(kvTotal(spec, 1000).kv).toBe(1000 * 32 * 96 * 2 * 2 * 32);
    expect(kvTotal(spec, 4096).kv).toBe(2047 * 32 * 96 * 2 * 2 * 32);
  });

  test('MQA + 5 local : 1 global (Gemma-3-1B): 4 global layers keep the context, 22 local keep 512', () => {
    const spec = load('gemma-3-1b');
    expect(spec.layers.filter((l) => l.mixer.type === 'attention' && l.mixer.window === null)).toHaveLength(4);
    expect(spec.layers[0]!.mixer).toMatchObject({ kind: 'mqa', nKvHead: 1, headDimK: 256 });
    const perTokenLayer = 1 * 256 * 2 * 2;
    expect(kvTotal(spec, 32768).kv).toBe(4 * 32768 * perTokenLayer + 22 * 512 * perTokenLayer);
  });

  test('interleaved local/global (Gemma-2-9B): even layers local (4096), odd global', () => {
    const spec = load('gemma-2-9b');
    const w = spec.layers.map((l) => (l.mixer.type === 'attention' ? l.mixer.window : 0));
    expect(w.slice(0, 4)).toEqual([4096, null, 4096, null]);
    const perTokenLayer = 8 * 256 * 2 * 2;
    expect(kvTotal(spec, 8192).kv).toBe(21 * 8192 * perTokenLayer + 21 * 4096 * perTokenLayer);
  });

  test('MLA (DeepSeek-V3): kv_lora_rank + qk_rope_head_dim = 576 elements per token per layer', () => {
    const spec = load('deepseek-v3');
    const latent = kvTotal(spec, 131072, { engine: 'vllm', kvDtype: 'bf16' }).kv;
    expect(latent).toBe(131072 * 61 * (512 + 64) * 2);
    // An engine that decompresses caches K = 128 · 192 and V = 128 · 128 per token per layer.
    const full = kvTotal(spec, 1024, { kvDtype: 'bf16' }).kv;
    expect(full).toBe(1024 * 61 * (128 * 192 + 128 * 128) * 2);
  });

  test('SSM (Mamba-2.8B): (d_conv − 1) · d_inner + d_inner · d_state per layer, constant in context', () => {
    const spec = load('mamba-2.8b-hf');
    const m = spec.layers[0]!.mixer as RecurrentMixer;
    expect(recurrentStateElements(m)).toBe(3 * 5120 + 5120 * 16);
    const llama = kvTotal(spec, 1000, { engine: 'llama.cpp' });
    expect(llama.kv).toBe(0);
    expect(llama.state).toBe(64 * (3 * 5120 + 5120 * 16) * 4); // llama.cpp keeps it in f32
    expect(kvTotal(spec, 100_000, { engine: 'llama.cpp' }).state).toBe(llama.state);
    expect(kvTotal(spec, 1000, { engine: 'llama.cpp', batch: 3 }).state).toBe(3 * llama.state);
  });

  test('hybrid (Jamba): 4 attention layers of 32 · 8 kv heads · 128, 28 Mamba layers with d_inner 8192', () => {
    const spec = load('jamba-v0.1');
    expect(spec.layers.map((l, i) => (l.mixer.type === 'attention' ? i : -1)).filter((i) => i >= 0)).toEqual([4, 12, 20, 28]);
    const r = kvTotal(spec, 262144);
    expect(r.kv).toBe(4 * 262144 * 8 * 128 * 2 * 2);
    expect(r.state).toBe(28 * (3 * 8192 + 8192 * 16) * 2); // bf16 state in transformers
  });

  test('hybrid (Qwen3-Next): 12 gated-attention layers and 36 Gated DeltaNet layers', () => {
    const spec = load('qwen3-next-80b-a3b-instruct');
    const lin = spec.layers.filter((l) => l.mixer.type === 'recurrent');
    expect(lin).toHaveLength(36);
    // conv (4 − 1) · (2 · 16 · 128 + 32 · 128) + recurrent 32 · 128 · 128
    expect(recurrentStateElements(lin[0]!.mixer as RecurrentMixer)).toBe(3 * (2 * 2048 + 4096) + 32 * 128 * 128);
    expect(kvTotal(spec, 10_000).kv).toBe(12 * 10_000 * 2 * 256 * 2 * 2);
  });

  test('attention sinks: gpt-oss keeps learned sink logits (parameters, no cache); windows alternate', () => {
    const spec = load('gpt-oss-20b');
    const m0 = spec.layers[0]!.mixer;
    expect(m0).toMatchObject({ learnedSinks: true, window: 128, sinkTokens: 0 });
    expect(kvTotal(spec, 10_000).kv).toBe(12 * 10_000 * 8 * 64 * 2 * 2 + 12 * 128 * 8 * 64 * 2 * 2);
  });

  test('StreamingLLM-style sink tokens are kept beside the window', () => {
    const spec = load('mistral-7b-v0.1');
    for (const l of spec.layers) if (l.mixer.type === 'attention') l.mixer.sinkTokens = 4;
    expect(kvTotal(spec, 10_000).kv).toBe(32 * (4096 + 4) * 8 * 128 * 2 * 2);
  });

  test('llama.cpp pads the context to 256 cells and sizes SWA caches as pad256(window · n_seq + n_ubatch + 1)', () => {
    const spec = load('gemma-2-9b');
    const full = layerCache(spec.layers[1]!, { context: 3000, batch: 1, kvDtype: 'f16', ubatch: 512 }, ENGINE_PROFILES['llama.cpp']);
    expect(full.cells).toBe(3072);
    const swa = layerCache(spec.layers[0]!, { context: 32768, batch: 1, kvDtype: 'f16', ubatch: 512 }, ENGINE_PROFILES['llama.cpp']);
    expect(swa.cells).toBe(4864); // 4096 + 512 + 1 = 4609 → 4864
    expect(tf.kvPadTokens).toBe(1);
  });
});
