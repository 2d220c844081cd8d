import { copyFile, mkdir, open, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tempDir, writeTree } from '@workbench/core';
import { writeTinyModel } from '@workbench/gguf';
import { loadSource } from './source.js';
import { readSafetensorsHeader } from './safetensors.js';
import { parseOllamaName } from './ollama.js';
import { planSource } from '../planner.js';

let tmp: { dir: string; dispose(): Promise<void> };

beforeAll(async () => void (tmp = await tempDir('wb-planner-')));
afterAll(async () => tmp?.dispose());

/** A real safetensors file: header JSON, then the data section as a sparse hole (never written). */
async function writeSafetensors(file: string, tensors: Array<{ name: string; dtype: string; shape: number[]; bytesPer: number }>, opts: { lie?: (h: Record<string, unknown>) => void } = {}) {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let off = 0;
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1) * t.bytesPer;
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + n] };
    off += n;
  }
  opts.lie?.(header);
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  await writeFile(file, Buffer.concat([len, Buffer.from(json)]));
  await truncate(file, 8 + json.length + off);
}

/** A llama config and the safetensors tensors it implies, with Hugging Face names. */
const tinyConfig = { architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 300, max_position_embeddings: 512, tie_word_embeddings: false, torch_dtype: 'bfloat16' };
function tinyTensors(layers: number[]) {
  const t: Array<{ name: string; dtype: string; shape: number[]; bytesPer: number }> = [];
  const bf = (name: string, shape: number[]) => t.push({ name, dtype: 'BF16', shape, bytesPer: 2 });
  if (layers.includes(0)) bf('model.embed_tokens.weight', [300, 64]);
  for (const i of layers) {
    const p = `model.layers.${i}.`;
    bf(p + 'self_attn.q_proj.weight', [64, 64]);
    bf(p + 'self_attn.k_proj.weight', [32, 64]);
    bf(p + 'self_attn.v_proj.weight', [32, 64]);
    bf(p + 'self_attn.o_proj.weight', [64, 64]);
    bf(p + 'mlp.gate_proj.weight', [128, 64]);
    bf(p + 'mlp.up_proj.weight', [128, 64]);
    bf(p + 'mlp.down_proj.weight', [64, 128]);
    bf(p + 'input_layernorm.weight', [64]);
    bf(p + 'post_attention_layernorm.weight', [64]);
  }
  if (layers.includes(1)) {
    bf('model.norm.weight', [64]);
    bf('lm_head.weight', [300, 64]);
  }
  return t;
}

describe('safetensors headers', () => {
  test('exact per-tensor bytes from the header, weights never read (a sparse 1 GB file)', async () => {
    const f = path.join(tmp.dir, 'big.safetensors');
    await writeSafetensors(f, [{ name: 'w', dtype: 'BF16', shape: [32768, 16384], bytesPer: 2 }]);
    const h = await readSafetensorsHeader(f);
    expect(h.tensors).toEqual([{ name: 'w', dtype: 'BF16', shape: [32768, 16384], elements: 32768 * 16384, bytes: 32768 * 16384 * 2 }]);
  });

  test.each([
    ['a header length of 2^63', async (f: string) => { const b = Buffer.alloc(16); b.writeBigUInt64LE(1n << 63n); await writeFile(f, b); }, /exceeds/],
    ['a header longer than the file', async (f: string) => { const b = Buffer.alloc(16); b.writeBigUInt64LE(1000n); await writeFile(f, b); }, /past the end/],
    ['fewer than 8 bytes', async (f: string) => writeFile(f, Buffer.from([1, 2])), /only 2 bytes/],
    ['JSON that is not JSON', async (f: string) => { const j = Buffer.from('{"a": [1,2'); const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(j.length)); await writeFile(f, Buffer.concat([b, j])); }, /not UTF-8 JSON/],
    ['offsets beyond the data section (truncated file)', async (f: string) => { await writeSafetensors(f, [{ name: 'w', dtype: 'F32', shape: [1000], bytesPer: 4 }]); const { size } = await (await open(f)).stat(); await truncate(f, size - 100); }, /truncated/],
    ['an unknown dtype', async (f: string) => writeSafetensors(f, [{ name: 'w', dtype: 'Q9', shape: [4], bytesPer: 1 }]), /unknown dtype/],
    ['a shape that disagrees with its offsets', async (f: string) => writeSafetensors(f, [{ name: 'w', dtype: 'F32', shape: [4], bytesPer: 4 }], { lie: (h) => ((h.w as { shape: number[] }).shape = [8]) }), /needs 32 bytes/],
    ['a negative dimension', async (f: string) => writeSafetensors(f, [{ name: 'w', dtype: 'F32', shape: [4], bytesPer: 4 }], { lie: (h) => ((h.w as { shape: number[] }).shape = [-4]) }), /invalid shape/],
  ])('%s is a clear INVALID_INPUT error', async (_name, make, msg) => {
    const f = path.join(tmp.dir, `bad-${Math.random().toString(36).slice(2)}.safetensors`);
    await make(f);
    await expect(readSafetensorsHeader(f)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(msg) });
  });
});

describe('model folders, the shard index and the Hugging Face cache', () => {
  test('a sharded folder: parameters from the shapes equal the config count, bytes are exact', async () => {
    const dir = path.join(tmp.dir, 'tiny-llama');
    await mkdir(dir);
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(tinyConfig));
    await writeSafetensors(path.join(dir, 'model-00001-of-00002.safetensors'), tinyTensors([0]));
    await writeSafetensors(path.join(dir, 'model-00002-of-00002.safetensors'), tinyTensors([1]));
    const weightMap = Object.fromEntries([...tinyTensors([0]).map((t) => [t.name, 'model-00001-of-00002.safetensors']), ...tinyTensors([1]).map((t) => [t.name, 'model-00002-of-00002.safetensors'])]);
    await writeFile(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const src = await loadSource(dir);
    expect(src.kind).toBe('hf-folder');
    expect(src.shards).toBe(2);
    const fromFile = planSource(src, { context: 512 });
    const fromConfig = planSource({ ...src, tensors: undefined }, { context: 512 });
    expect(fromFile.settings.weightsFrom).toBe('file');
    expect(fromFile.model.params.total).toBe(fromConfig.model.params.total);
    expect(fromFile.totals.weights).toBe(fromConfig.model.params.total * 2);
    expect(fromFile.layers.map((l) => l.weightBytes)).toEqual(fromConfig.layers.map((l) => l.weightBytes));
  });

  test('a shard index that points outside the folder is refused', async () => {
    const dir = path.join(tmp.dir, 'escape');
    await writeTree(dir, { 'config.json': JSON.stringify(tinyConfig), 'model.safetensors.index.json': JSON.stringify({ weight_map: { w: '../../etc/passwd.safetensors' } }) });
    await expect(loadSource(dir)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/outside the folder/) });
  });

  test('a model id resolves in HF_HUB_CACHE through refs/main', async () => {
    const cache = path.join(tmp.dir, 'hub');
    const rev = 'a'.repeat(40);
    await writeTree(cache, { 'models--acme--tiny/refs/main': rev, [`models--acme--tiny/snapshots/${rev}/config.json`]: JSON.stringify(tinyConfig), [`models--acme--tiny/snapshots/${'b'.repeat(40)}/config.json`]: '{}' });
    const src = await loadSource('acme/tiny', { ...process.env, HF_HUB_CACHE: cache });
    expect(src.kind).toBe('hf-cache');
    expect(src.path).toContain(rev);
    await expect(loadSource('acme/absent', { ...process.env, HF_HUB_CACHE: cache })).rejects.toMatchObject({ code: 'NOT_FOUND', hint: expect.stringMatching(/huggingface-cli download/) });
  });
});

describe('GGUF files and Ollama names', () => {
  let gguf: string;
  beforeAll(async () => {
    gguf = path.join(tmp.dir, 'tiny.gguf');
    await writeTinyModel(gguf, { nLayer: 2, nEmbd: 64, nHead: 4, nHeadKv: 2, nFf: 128, nVocab: 300, weightType: 'q8_0' });
  });

  test('a GGUF plans from its header: architecture, heads and every tensor type', async () => {
    const src = await loadSource(gguf);
    expect(src.kind).toBe('gguf');
    expect(src.spec.layers).toHaveLength(2);
    expect(src.spec.layers[0]!.mixer).toMatchObject({ kind: 'gqa', nHead: 4, nKvHead: 2, headDimK: 16 });
    const p = planSource(src, { context: 256 });
    expect(p.settings.engine).toBe('llama.cpp');
    expect(Object.keys(p.weights.byType).sort()).toEqual(['f32', 'q8_0']);
  });

  test('a truncated GGUF and a corrupted magic are clear errors', async () => {
    const cut = path.join(tmp.dir, 'cut.gguf');
    await writeFile(cut, (await readFile(gguf)).subarray(0, 200));
    await expect(loadSource(cut)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/not a readable GGUF/) });
    const bad = path.join(tmp.dir, 'bad.gguf');
    const bytes = await readFile(gguf);
    bytes.write('GGUX', 0, 'latin1');
    await writeFile(bad, bytes);
    await expect(loadSource(bad)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  test('ollama:NAME resolves through the manifest to its blob', async () => {
    const models = path.join(tmp.dir, 'ollama');
    const hex = 'c'.repeat(64);
    await mkdir(path.join(models, 'blobs'), { recursive: true });
    await copyFile(gguf, path.join(models, 'blobs', `sha256-${hex}`));
    await writeTree(models, {
      'manifests/registry.ollama.ai/library/tiny/q8': JSON.stringify({ schemaVersion: 2, layers: [{ mediaType: 'application/vnd.ollama.image.template', digest: `sha256:${'d'.repeat(64)}` }, { mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${hex}`, size: 1 }] }),
      'manifests/registry.ollama.ai/library/evil/latest': JSON.stringify({ layers: [{ mediaType: 'application/vnd.ollama.image.model', digest: 'sha256:../../../etc/passwd' }] }),
    });
    const env = { ...process.env, OLLAMA_MODELS: models };
    const src = await loadSource('ollama:tiny:q8', env);
    expect(src.kind).toBe('ollama');
    expect(src.spec.layers).toHaveLength(2);
    await expect(loadSource('ollama:evil', env)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/malformed model digest/) });
    await expect(loadSource('ollama:nothere', env)).rejects.toMatchObject({ code: 'NOT_FOUND', hint: expect.stringMatching(/ollama pull nothere/) });
    expect(() => parseOllamaName('../x')).toThrow(/not an Ollama model name/);
    expect(parseOllamaName('user/model:tag')).toEqual({ registry: 'registry.ollama.ai', namespace: 'user', model: 'model', tag: 'tag' });
  });
});

describe('configs with bad values', () => {
  const cfg = (extra: Record<string, unknown>) => ({ ...tinyConfig, ...extra });
  test.each([
    [{ num_hidden_layers: undefined }, /lacks num_hidden_layers/],
    [{ hidden_size: -64 }, /must be ≥ 1/],
    [{ num_attention_heads: 0 }, /must be ≥ 1/],
    [{ num_key_value_heads: 8 }, /exceeds num_attention_heads/],
    [{ num_key_value_heads: 3 }, /not a multiple/],
    [{ vocab_size: 1e15 }, /beyond any real model/],
    [{ hidden_size: 'big' }, /must be a number/],
    [{ num_hidden_layers: 2.5 }, /must be an integer/],
  ])('%j → INVALID_INPUT', async (extra, msg) => {
    const f = path.join(tmp.dir, `cfg-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(f, JSON.stringify(cfg(extra)));
    await expect(loadSource(f)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(msg) });
  });

  test('an unknown architecture falls back to the generic estimate, flagged, naming guessed keys', async () => {
    const f = path.join(tmp.dir, 'mystery.json');
    await writeFile(f, JSON.stringify({ model_type: 'mystery', hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 300 }));
    const src = await loadSource(f);
    expect(src.spec.generic).toBe(true);
    expect(src.spec.warnings.join('\n')).toMatch(/unknown architecture 'mystery'/);
    expect(src.spec.warnings.join('\n')).toMatch(/missing keys \(defaults used\): intermediate_size/);
    expect(planSource(src, { context: 128 }).model.generic).toBe(true);
  });

  test('not JSON, not an object, too large', async () => {
    const a = path.join(tmp.dir, 'notjson.json');
    await writeFile(a, '{"hidden_size": ');
    await expect(loadSource(a)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/not valid JSON/) });
    const b = path.join(tmp.dir, 'array.json');
    await writeFile(b, '[1,2]');
    await expect(loadSource(b)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/JSON object/) });
    const c = path.join(tmp.dir, 'huge.json');
    await writeFile(c, ' '.repeat(5 * 1024 * 1024));
    await expect(loadSource(c)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/limit/) });
    await expect(loadSource(path.join(tmp.dir, 'absent.json'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
