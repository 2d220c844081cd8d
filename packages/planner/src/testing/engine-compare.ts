/**
 * The accuracy harness: write small random-weight GGUF models of several architectures and
 * weight types, load each with llama.cpp (node-llama-cpp, CPU), read what llama.cpp says it
 * allocated, and line it up with the planner's prediction for the same file and settings.
 * Used by engine-compare.integration.test.ts and bench/planner.bench.mjs.
 */
import path from 'node:path';
import type { TinyModelOptions } from '@workbench/gguf';
import { compare, parseLlamaCppLog, type Measurement, type ReconcileRow } from '../reconcile/index.js';
import { loadSource } from '../ingest/source.js';
import { planSource } from '../planner.js';
import { parseHfConfig, plan as planSpec, prepareWeights, ENGINE_PROFILES, type Plan } from '../math/index.js';

export interface EngineCase {
  name: string;
  model: TinyModelOptions;
  context: number;
  ubatch: number;
  sequences?: number;
  flashAttention?: boolean;
  kvType?: 'f16' | 'q8_0';
  /** Takes tens of seconds (a large file to write). */
  slow?: boolean;
}

const base = { nLayer: 4, nEmbd: 512, nHead: 8, nFf: 1536, nVocab: 8000, contextLength: 16384, seed: 3 } satisfies TinyModelOptions;

/** Shapes and settings chosen so every component is at least a few MiB (llama.cpp prints sizes to 0.01 MiB). */
export const ENGINE_CASES: EngineCase[] = [
  { name: 'llama GQA q8_0', model: { ...base, nHeadKv: 2, weightType: 'q8_0' }, context: 4096, ubatch: 512 },
  { name: 'llama MHA f16', model: { ...base, nHeadKv: 8, weightType: 'f16' }, context: 2048, ubatch: 256 },
  { name: 'llama MQA f32 flash-attn', model: { ...base, nHeadKv: 1, weightType: 'f32' }, context: 8192, ubatch: 512, flashAttention: true },
  { name: 'qwen2 GQA q8_0, 2 sequences', model: { ...base, architecture: 'qwen2', nHeadKv: 2, weightType: 'q8_0' }, context: 2048, ubatch: 512, sequences: 2 },
  { name: 'gemma2 local/global f16', model: { ...base, architecture: 'gemma2', nHeadKv: 4, weightType: 'f16', slidingWindow: 256 }, context: 4096, ubatch: 512 },
  { name: 'llama MoE 8×top-2 q8_0 flash-attn', model: { ...base, nHeadKv: 2, weightType: 'q8_0', nExpert: 8, nExpertUsed: 2 }, context: 4096, ubatch: 512, flashAttention: true },
  { name: 'llama tied f16, ubatch 128', model: { ...base, nHeadKv: 4, weightType: 'f16', tieEmbeddings: true, nVocab: 32000 }, context: 4096, ubatch: 128 },
  { name: 'llama q8_0 KV cache q8_0', model: { ...base, nHeadKv: 2, weightType: 'q8_0' }, context: 8192, ubatch: 512, flashAttention: true, kvType: 'q8_0' },
  // Real proportions (TinyLlama-1.1B's widths, two of its layers): ~100 MB to write, so slow.
  { name: 'TinyLlama-sized q8_0 flash-attn', model: { nLayer: 2, nEmbd: 2048, nHead: 32, nHeadKv: 4, nFf: 5632, nVocab: 32000, contextLength: 8192, weightType: 'q8_0', seed: 5 }, context: 8192, ubatch: 512, flashAttention: true, slow: true },
];

/** The Hugging Face config.json the same model would have, for planning without the file. */
export function hfConfigOf(m: TinyModelOptions): Record<string, unknown> {
  const arch = m.architecture ?? 'llama';
  const moe = (m.nExpert ?? 0) > 0;
  const nEmbd = m.nEmbd ?? 64;
  const nHead = m.nHead ?? 4;
  return {
    model_type: arch === 'llama' ? (moe ? 'mixtral' : 'llama') : arch,
    hidden_size: nEmbd,
    intermediate_size: m.nFf ?? 128,
    num_hidden_layers: m.nLayer ?? 2,
    num_attention_heads: nHead,
    num_key_value_heads: m.nHeadKv ?? nHead,
    head_dim: nEmbd / nHead,
    vocab_size: m.nVocab ?? 512,
    max_position_embeddings: m.contextLength ?? 2048,
    tie_word_embeddings: arch === 'gemma2' || (m.tieEmbeddings ?? false),
    ...(arch === 'gemma2' ? { sliding_window: m.slidingWindow ?? 64 } : {}),
    ...(moe ? { num_local_experts: m.nExpert, num_experts_per_tok: m.nExpertUsed ?? 2 } : {}),
  };
}

export interface CaseResult {
  case: string;
  plan: Plan;
  /** The same model planned from its config.json alone, with the weight type as a preset. */
  configPlan: Plan;
  measured: Measurement;
  rows: ReconcileRow[];
  /** node-llama-cpp's model.size: the exact bytes of all tensors. */
  modelSizeBytes: number;
  loadMs: number;
}

export interface EngineHarness {
  run(c: EngineCase): Promise<CaseResult>;
  dispose(): Promise<void>;
}

export async function engineHarness(dir: string, opts: { threads?: number } = {}): Promise<EngineHarness> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const { writeTinyModel } = await import('@workbench/gguf');
  const logs: string[] = [];
  const threads = opts.threads ?? 2;
  const llama = await getLlama({ gpu: false, build: 'never', maxThreads: threads, logLevel: LlamaLogLevel.info, logger: (_level, message) => void logs.push(message) });
  return {
    async run(c) {
      const file = path.join(dir, `${c.name.replace(/[^a-z0-9]+/gi, '-')}.gguf`);
      await writeTinyModel(file, c.model);
      logs.length = 0;
      const t0 = performance.now();
      const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
      const ctx = await model.createContext({
        contextSize: c.context,
        batchSize: c.ubatch,
        sequences: c.sequences ?? 1,
        flashAttention: c.flashAttention ?? false,
        threads,
        ...(c.kvType === 'q8_0' ? { experimentalKvCacheKeyType: 'Q8_0' as const, experimentalKvCacheValueType: 'Q8_0' as const } : {}),
      });
      const loadMs = performance.now() - t0;
      // llama.cpp's log lines reach the logger asynchronously.
      for (let i = 0; i < 100 && !logs.some((l) => /compute buffer size/.test(l)); i++) await new Promise((r) => setTimeout(r, 20));
      const measured = parseLlamaCppLog(logs.join('\n'));
      const modelSizeBytes = model.size;
      await ctx.dispose();
      await model.dispose();
      const src = await loadSource(file);
      const plan = planSource(src, { engine: 'llama.cpp', context: c.context, batch: c.sequences ?? 1, ubatch: c.ubatch, flashAttention: c.flashAttention ?? false, kvDtype: c.kvType ?? 'f16' });
      const configPlan = planSpec(prepareWeights(parseHfConfig(hfConfigOf(c.model)), undefined, ENGINE_PROFILES['llama.cpp'], c.model.weightType ?? 'f32'), {
        engine: 'llama.cpp', context: c.context, batch: c.sequences ?? 1, ubatch: c.ubatch, flashAttention: c.flashAttention ?? false, kvDtype: c.kvType ?? 'f16',
      });
      return { case: c.name, plan, configPlan, measured, rows: compare(plan, measured), modelSizeBytes, loadMs };
    },
    async dispose() {
      await llama.dispose();
    },
  };
}

/** llama.cpp prints MiB with two decimals: a measured value is only known to ±0.005 MiB. */
export const LOG_RESOLUTION_BYTES = 0.005 * 1024 * 1024;
