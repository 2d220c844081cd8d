import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { countParams, parseHfConfig, specTensors } from './math/index.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'configs');
const load = (name: string) => parseHfConfig(JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')), name);
const params = (name: string) => countParams(specTensors(load(name)));

/**
 * Published parameter counts. "exact" ones are the sum of the safetensors shapes the Hub
 * shows for the repository; the others are the publisher's own (rounded) figure.
 * Active counts follow one convention: the weights one token's forward pass multiplies,
 * i.e. routed experts pro rata and the output head, but not the input-embedding lookup
 * (OpenAI's gpt-oss card uses the same one). Publishers round active counts to two digits
 * and some include embeddings, so those are checked within 2.5 %.
 */
const REFERENCE: Array<{ model: string; total: number; source: string; active?: number; activeSource?: string }> = [
  { model: 'llama-3.1-8b', total: 8_030_261_248, source: 'exact: safetensors shapes of meta-llama/Llama-3.1-8B (Hub: 8.03B)' },
  { model: 'qwen2.5-7b', total: 7_615_616_512, source: 'exact: safetensors of Qwen/Qwen2.5-7B (model card: 7.61B)' },
  { model: 'mistral-7b-v0.1', total: 7_241_732_096, source: 'exact: safetensors of mistralai/Mistral-7B-v0.1 (Hub: 7.24B)' },
  { model: 'mixtral-8x7b-v0.1', total: 46_702_792_704, source: 'exact: safetensors of mistralai/Mixtral-8x7B-v0.1 (Hub: 46.7B)', active: 12.9e9, activeSource: 'Mistral AI announcement: 12.9B active' },
  { model: 'gemma-2-9b', total: 9_241_705_984, source: 'exact: safetensors of google/gemma-2-9b (Hub: 9.24B)' },
  { model: 'gemma-3-1b', total: 999_885_952, source: 'exact: safetensors of google/gemma-3-1b-pt (Hub: 1,000M)' },
  { model: 'deepseek-v2-lite', total: 15.7e9, source: 'DeepSeek-V2-Lite model card: 15.7B total', active: 2.4e9, activeSource: 'model card: 2.4B activated' },
  { model: 'deepseek-v3', total: 671e9, source: 'DeepSeek-V3 model card: 671B main model (the Hub\'s 685B adds the 14B multi-token-prediction module)', active: 37e9, activeSource: 'model card: 37B activated' },
  { model: 'mamba-2.8b-hf', total: 2.77e9, source: 'Hub: state-spaces/mamba-2.8b-hf 2.77B' },
  { model: 'jamba-v0.1', total: 51.6e9, source: 'Hub: ai21labs/Jamba-v0.1 51.6B', active: 12e9, activeSource: 'AI21 model card: 12B active' },
  { model: 'phi-3-mini-4k-instruct', total: 3_821_079_552, source: 'exact: safetensors of microsoft/Phi-3-mini-4k-instruct (Hub: 3.82B)' },
  { model: 'qwen3-next-80b-a3b-instruct', total: 80e9, source: 'Qwen3-Next model card: 80B total (rounded; the card does not give more digits)' },
  { model: 'gpt-oss-20b', total: 20.91e9, source: 'OpenAI gpt-oss model card, table 1: 20.91B total', active: 3.61e9, activeSource: 'OpenAI gpt-oss model card: 3.61B active' },
];

describe('parameter counts of real models match the published counts within 0.5 %', () => {
  for (const r of REFERENCE) {
    test(`${r.model}: ${r.source}`, () => {
      const p = params(r.model);
      expect(Math.abs(p.total - r.total) / r.total).toBeLessThan(0.005);
      if (r.active) expect(Math.abs(p.active - r.active) / r.active, r.activeSource).toBeLessThan(0.025);
    });
  }

  test('the exact references match to the parameter', () => {
    expect(params('llama-3.1-8b').total).toBe(8_030_261_248);
    expect(params('mistral-7b-v0.1').total).toBe(7_241_732_096);
    expect(params('gemma-2-9b').total).toBe(9_241_705_984);
    expect(params('gemma-3-1b').total).toBe(999_885_952);
    expect(params('phi-3-mini-4k-instruct').total).toBe(3_821_079_552);
    expect(params('qwen2.5-7b').total).toBe(7_615_616_512);
    expect(params('mixtral-8x7b-v0.1').total).toBe(46_702_792_704);
  });

  test('tied embeddings are counted once (Gemma, Mamba) and untied ones twice (Llama)', () => {
    const gemma = params('gemma-3-1b');
    expect(gemma.embedding).toBe(262_144 * 1152);
    expect(specTensors(load('gemma-3-1b')).some((t) => t.name === 'output.weight')).toBe(false);
    expect(specTensors(load('llama-3.1-8b')).filter((t) => t.name === 'output.weight' || t.name === 'token_embd.weight')).toHaveLength(2);
  });

  test('dense models: active = total minus the embedding lookup', () => {
    const p = params('llama-3.1-8b');
    expect(p.active).toBe(p.total - 128_256 * 4096);
  });

  test('DeepSeek-V2-Lite, hand-counted: layer 0 dense, 26 MoE layers of 64 routed + 2 shared experts', () => {
    // attention (no q compression): q 2048·16·192 + kv_a 2048·576 + kv_a_norm 512 + kv_b 512·16·256 + o 16·128·2048
    const attn = 2048 * 3072 + 2048 * 576 + 512 + 512 * 4096 + 2048 * 2048;
    const dense = attn + 3 * 2048 * 10944 + 2 * 2048;
    const moe = attn + 64 * 3 * 2048 * 1408 + 3 * 2048 * 2816 + 64 * 2048 + 2 * 2048;
    expect(params('deepseek-v2-lite').total).toBe(dense + 26 * moe + 2 * 102_400 * 2048 + 2048);
  });

  test('a multimodal config plans its text_config and fills keys the config class defaults', () => {
    const spec = load('gemma-3-4b-it');
    expect(spec.layers).toHaveLength(34);
    expect(spec.vocabSize).toBe(262_208);
    expect(spec.warnings.join(' ')).toMatch(/text_config/);
    expect(spec.warnings.join(' ')).toMatch(/vocab_size=262208/);
    // 5 local : 1 global
    const windows = spec.layers.map((l) => (l.mixer.type === 'attention' ? l.mixer.window : -1));
    expect(windows.slice(0, 6)).toEqual([1024, 1024, 1024, 1024, 1024, null]);
  });
});
