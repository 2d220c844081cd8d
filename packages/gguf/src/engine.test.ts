import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { getLlama, LlamaChatSession, type Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GGML_TYPES } from './ggml-types.js';
import { readGguf } from './reader.js';
import { writeTinyModel, type TinyModelOptions } from './tiny-model.js';
import type { GgufValue } from './values.js';
import type { GgufInputValue, GgufTypedValue } from './writer.js';

// The proof that the writer and the tiny models are real GGUF: llama.cpp (through
// node-llama-cpp, CPU only) loads each file, tokenizes, and generates from it.
const threads = Math.max(1, Math.min(2, os.availableParallelism()));
let llama: Llama;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wb-gguf-engine-'));
  llama = await getLlama({ gpu: false, build: 'never', maxThreads: threads, logLevel: 'error' as never });
}, 60_000);
afterAll(async () => {
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** What the reader should give back for a value the writer was handed. */
function asRead(v: GgufInputValue): GgufValue {
  if (ArrayBuffer.isView(v)) {
    const arr = Array.from(v as Float32Array);
    return v instanceof Float32Array ? arr.map(Math.fround) : arr;
  }
  if (Array.isArray(v)) return (v as GgufInputValue[]).map(asRead);
  if (typeof v === 'object' && v !== null) {
    const t = v as GgufTypedValue;
    if (t.type === 'array') return Array.from(t.value as ArrayLike<GgufInputValue>, (x) => (t.elementType === 'f32' ? Math.fround(x as number) : asRead(x)));
    return t.type === 'f32' ? Math.fround(t.value as number) : (t.value as GgufValue);
  }
  return v;
}

const cases: [string, TinyModelOptions][] = [
  ['llama f32', { weightType: 'f32' }],
  ['llama f16', { weightType: 'f16' }],
  ['llama bf16', { weightType: 'bf16' }],
  ['llama q8_0 (GQA)', { weightType: 'q8_0', nHead: 4, nHeadKv: 2 }],
  ['llama q4_0, tied embeddings', { weightType: 'q4_0', tieEmbeddings: true }],
  ['llama MoE q8_0', { weightType: 'q8_0', nExpert: 4, nExpertUsed: 2 }],
  ['qwen2 f16', { architecture: 'qwen2', weightType: 'f16', nHeadKv: 2 }],
  ['gemma2 q8_0', { architecture: 'gemma2', weightType: 'q8_0', nHeadKv: 1 }],
];

test('the type table agrees with the ggml compiled into the engine, id by id', () => {
  // ggml_blck_size / ggml_type_size through node-llama-cpp's native addon (an internal handle:
  // this is the one place the compiled sizes can be asked for).
  const bindings = (llama as unknown as { _bindings: { getBlockSizeForGgmlType(id: number): number | undefined; getTypeSizeForGgmlType(id: number): number | undefined } })._bindings;
  let compared = 0;
  for (let id = 0; id < 64; id++) {
    const blockSize = bindings.getBlockSizeForGgmlType(id);
    const bytesPerBlock = bindings.getTypeSizeForGgmlType(id);
    const ours = GGML_TYPES[id];
    if (!blockSize) {
      expect(ours, `id ${id} is not in the engine's ggml`).toBeUndefined();
      continue;
    }
    expect(ours, `ggml type ${id} is missing from GGML_TYPES`).toBeDefined();
    expect({ id, blockSize: ours!.blockSize, bytesPerBlock: ours!.bytesPerBlock }).toEqual({ id, blockSize, bytesPerBlock });
    compared++;
  }
  expect(compared).toBe(Object.keys(GGML_TYPES).length);
});

describe('llama.cpp loads and runs tiny models', () => {
  test.each(cases)('%s', async (label, opts) => {
    const file = path.join(dir, `${label.replace(/\W+/g, '-')}.gguf`);
    const m = await writeTinyModel(file, { nLayer: 2, nEmbd: 64, nFf: 128, nVocab: 400, seed: 3, ...opts });

    // Read back: the exact metadata and tensor sizes, and nothing in the file but header and padded tensors.
    const g = await readGguf(file, { skipArraysLongerThan: Infinity });
    const expected = Object.fromEntries(Object.entries(m.metadata).map(([k, v]) => [k, asRead(v)]));
    expect(g.metadata).toEqual(expected);
    expect(g.tensors.map((t) => ({ name: t.name, type: t.type, dims: t.dims }))).toEqual(m.tensorShapes);
    for (const t of g.tensors) {
      const info = GGML_TYPES[t.type]!;
      expect(t.bytes).toBe((t.dims.reduce((a, b) => a * b, 1) / info.blockSize) * info.bytesPerBlock);
    }
    const padded = g.tensors.reduce((sum, t) => sum + Math.ceil(t.bytes / g.alignment) * g.alignment, 0);
    expect((await stat(file)).size).toBe(g.dataOffset + padded);
    expect(g.fileSize).toBe(m.fileSize);
    expect(g.tensors.some((t) => t.name === 'output.weight')).toBe(!(opts.tieEmbeddings || opts.architecture === 'gemma2'));

    const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
    try {
      expect(model.fileInfo.metadata.general.architecture).toBe(opts.architecture ?? 'llama');
      // node-llama-cpp parses the file with its own reader: the tensor infos must agree.
      expect(model.fileInfo.tensorInfo?.map((t) => ({ name: t.name, type: t.ggmlType as number, dims: t.dimensions.map(Number), offset: Number(t.offset) }))).toEqual(
        g.tensors.map((t) => ({ name: t.name, type: t.type, dims: t.dims, offset: t.offset })),
      );

      const text = 'hello world, the tiny model 🙂';
      const tokens = model.tokenize(text);
      expect(tokens.length).toBeGreaterThan(3);
      expect(model.detokenize(tokens)).toBe(text);
      // The emoji is not a piece: it falls back to its four UTF-8 byte tokens (ids 3–258).
      const byteTokens = tokens.filter((t) => (t as number) >= 3 && (t as number) <= 258);
      expect(byteTokens).toHaveLength(4);

      const context = await model.createContext({ contextSize: 256, threads });
      try {
        const seq = context.getSequence();
        const generated: number[] = [];
        for await (const tok of seq.evaluate(model.tokenize('the model', true), { temperature: 0 })) {
          generated.push(tok as number);
          if (generated.length === 8) break;
        }
        expect(generated).toHaveLength(8);
        for (const t of generated) expect(t).toBeLessThan(400);
      } finally {
        await context.dispose();
      }
    } finally {
      await model.dispose();
    }
  }, 120_000);

  test('quantized weights mean the same model to llama.cpp: next-token logits match the f32 model', async () => {
    // Same seed, so the same float weights before encoding. A wrong block layout (nibble order,
    // scale placement) would leave the logits uncorrelated, as a different seed does.
    const logitsOf = async (weightType: TinyModelOptions['weightType'], seed = 5): Promise<number[]> => {
      const file = path.join(dir, `logits-${weightType}-${seed}.gguf`);
      await writeTinyModel(file, { weightType, seed, nVocab: 400 });
      const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
      const context = await model.createContext({ contextSize: 128, threads });
      try {
        const tokens = model.tokenize('the model writes a file', true);
        const last = tokens.length - 1;
        const out = await context.getSequence().controlledEvaluate(tokens.map((t, i) => (i === last ? [t, { generateNext: { logits: true } }] : t)));
        const logits = out[last]?.next?.logits;
        expect(logits).toBeDefined();
        return Array.from({ length: 400 }, (_, i) => logits!.get(i as never) ?? NaN);
      } finally {
        await context.dispose();
        await model.dispose();
      }
    };
    const correlation = (a: number[], b: number[]): number => {
      const mean = (x: number[]): number => x.reduce((s, v) => s + v, 0) / x.length;
      const ma = mean(a);
      const mb = mean(b);
      let ab = 0;
      let aa = 0;
      let bb = 0;
      for (let i = 0; i < a.length; i++) {
        ab += (a[i]! - ma) * (b[i]! - mb);
        aa += (a[i]! - ma) ** 2;
        bb += (b[i]! - mb) ** 2;
      }
      return ab / Math.sqrt(aa * bb);
    };
    const f32 = await logitsOf('f32');
    expect(correlation(f32, await logitsOf('f16'))).toBeGreaterThan(0.999);
    expect(correlation(f32, await logitsOf('bf16'))).toBeGreaterThan(0.99);
    expect(correlation(f32, await logitsOf('q8_0'))).toBeGreaterThan(0.99);
    expect(correlation(f32, await logitsOf('q4_0'))).toBeGreaterThan(0.9);
    expect(Math.abs(correlation(f32, await logitsOf('f32', 6)))).toBeLessThan(0.5);
  }, 120_000);

  test('the chat template is found, so chat APIs work', async () => {
    const file = path.join(dir, 'chat.gguf');
    await writeTinyModel(file, { weightType: 'q8_0', nVocab: 300 });
    const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
    const context = await model.createContext({ contextSize: 1024, threads });
    try {
      const session = new LlamaChatSession({ contextSequence: context.getSequence(), systemPrompt: '' });
      expect(session.chatWrapper.wrapperName).toBe('ChatML');
      const reply = await session.prompt('hi', { maxTokens: 8, temperature: 0 });
      expect(typeof reply).toBe('string');
      expect(session.getChatHistory().map((m) => m.type)).toEqual(['system', 'user', 'model']);
    } finally {
      await context.dispose();
      await model.dispose();
    }
  }, 120_000);
});
