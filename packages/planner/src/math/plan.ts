/**
 * plan(): one model, one set of settings → memory per layer and in total, whether it fits a
 * GPU, the largest context that does, how many layers to offload when it does not, and speed
 * bounds. Pure and allocation-light: the web page calls it on every slider move.
 */
import { activationEstimateBytes, llamaCppComputeBytes } from './compute.js';
import { storageType, type KvDtype } from './dtypes.js';
import { ENGINE_PROFILES, type EngineName, type EngineProfile } from './engines.js';
import type { Gpu } from './gpus.js';
import { layerCache, padTo, type LayerCache } from './kv.js';
import { applyWeightFormat, isKnownPreset, normaliseDtype, presetFromQuantization } from './quant.js';
import type { ModelSpec } from './spec.js';
import { countParams, specTensors, type ParamCounts, type WeightTensor } from './tensors.js';
import { estimateThroughput, type Throughput } from './throughput.js';

export interface PlanSettings {
  /** Tokens per sequence (default: the model's trained context, capped at 8192). */
  context?: number;
  /** Parallel sequences (default 1). */
  batch?: number;
  /** Weight format preset (`q4_k_m`, `bf16`, `fp8` …); default: the file's own types, else the config's dtype. */
  quant?: string;
  kvDtype?: KvDtype;
  engine?: EngineName;
  /** llama.cpp n_ubatch (default 512). */
  ubatch?: number;
  flashAttention?: boolean;
  gpu?: Gpu;
  gpuCount?: number;
  /** Replaces the engine's runtime overhead (MiB): CUDA context, graphs. */
  overheadMiB?: number;
  /** Scales roofline speeds (0–1]. Default 1: an upper bound. */
  efficiency?: number;
}

export interface LayerPlan {
  index: number;
  /** mha | gqa | mqa | mla | mamba | mamba2 | gated-deltanet, with `+swa` for sliding-window layers. */
  kind: string;
  window: number | null;
  ffn: 'dense' | 'moe' | 'none';
  weightBytes: number;
  kvBytes: number;
  stateBytes: number;
  cells: number;
}

export interface Plan {
  model: {
    name: string | null;
    architecture: string;
    family: string;
    generic: boolean;
    warnings: string[];
    params: ParamCounts;
    layers: number;
    maxContext: number | null;
  };
  settings: Required<Pick<PlanSettings, 'context' | 'batch' | 'kvDtype' | 'engine' | 'ubatch' | 'flashAttention'>> & { quant: string; weightsFrom: 'file' | 'preset' };
  engine: { name: EngineName; notes: string; computeModel: EngineProfile['computeModel'] };
  weights: { bytes: number; bitsPerWeight: number; byType: Record<string, number> };
  layers: LayerPlan[];
  /** Embeddings, final norm and output head: weights outside the blocks. */
  nonLayerWeightBytes: number;
  totals: { weights: number; kv: number; state: number; compute: number; output: number; runtime: number; total: number };
  fit: null | {
    gpu: string;
    gpuCount: number;
    availableBytes: number;
    fits: boolean;
    headroomBytes: number;
    /** Largest context per sequence that fits at this batch (0 when even the weights do not fit). */
    maxContext: number;
    /** llama.cpp -ngl: blocks that fit on the GPU (all when it fits). */
    gpuLayers: number;
    /** What stays in system memory with that offload. */
    cpuBytes: number;
  };
  throughput: (Throughput & { assumption: string }) | null;
  /** Things about these settings the user should know (a context beyond the trained one …). */
  notes: string[];
}

export class PlanError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'PlanError';
  }
}

const MiB = 1024 * 1024;

export interface Prepared {
  spec: ModelSpec;
  tensors: WeightTensor[];
  params: ParamCounts;
  quant: string;
  weightsFrom: 'file' | 'preset';
}

/** Weights and parameter counts: the expensive part, done once per (model, format). */
export function prepareWeights(spec: ModelSpec, fileTensors: WeightTensor[] | undefined, engine: EngineProfile, quant: string | undefined): Prepared {
  if (fileTensors && !quant) {
    const params = countParams(fileTensors);
    const types = [...new Set(fileTensors.map((t) => t.type ?? '?'))];
    return { spec, tensors: fileTensors, params, quant: types.length === 1 ? types[0]! : 'as in the file', weightsFrom: 'file' };
  }
  const base = specTensors(spec);
  const preset = quant ?? (engine.format === 'hf' ? (presetFromQuantization(spec.quantization) ?? normaliseDtype(spec.weightDtype ?? 'bf16')) : 'f16');
  if (!isKnownPreset(preset, engine.format)) {
    throw new PlanError(
      `weight format '${preset}' is not one ${engine.name} loads`,
      engine.format === 'gguf' ? 'GGUF presets: f32 f16 bf16 q8_0 q6_k q5_k_m q5_k_s q5_0 q4_k_m q4_k_s q4_0 iq4_xs iq4_nl q3_k_m q2_k' : 'Hugging Face formats: f32 f16 bf16 fp8 int8 int4 nf4 mxfp4',
    );
  }
  const tensors = applyWeightFormat(base, { format: engine.format, preset, baseDtype: spec.weightDtype ?? 'bf16' });
  return { spec, tensors, params: countParams(tensors), quant: preset, weightsFrom: 'preset' };
}

function validate(n: number, what: string, max: number): number {
  if (!Number.isFinite(n) || !Number.isInteger(n) || n < 1) throw new PlanError(`${what} must be a whole number ≥ 1, got ${n}`);
  if (n > max) throw new PlanError(`${what} ${n} is beyond what the planner models (max ${max})`);
  return n;
}

interface Memory {
  caches: LayerCache[];
  kv: number;
  state: number;
  compute: number;
  output: number;
}

function memoryAt(p: Prepared, engine: EngineProfile, context: number, batch: number, kvDtype: KvDtype, ubatch: number, fa: boolean): Memory {
  const s = { context, batch, kvDtype, ubatch };
  const caches = p.spec.layers.map((l) => layerCache(l, s, engine));
  let kv = 0;
  let state = 0;
  for (const c of caches) {
    kv += c.kBytes + c.vBytes;
    state += c.stateBytes;
  }
  const compute =
    engine.computeModel === 'llama.cpp-graph'
      ? llamaCppComputeBytes(p.spec, caches, { ubatch, context: padTo(context, engine.kvPadTokens) * batch, flashAttention: fa, streams: batch, quantizedKv: (storageType(kvDtype)?.blockSize ?? 1) > 1 })
      : activationEstimateBytes(p.spec, Math.min(context * batch, engine.name === 'vllm' ? 8192 : context * batch), batch);
  // llama.cpp keeps fp32 logits for one output per sequence between calls.
  const output = engine.name === 'llama.cpp' ? p.spec.vocabSize * 4 * batch : 0;
  return { caches, kv, state, compute, output };
}

export function plan(p: Prepared, settings: PlanSettings = {}): Plan {
  const engine = ENGINE_PROFILES[settings.engine ?? 'llama.cpp'];
  if (!engine) throw new PlanError(`unknown engine '${settings.engine}'`, 'engines: llama.cpp, vllm, transformers, mlx');
  const spec = p.spec;
  const context = validate(settings.context ?? Math.min(spec.maxContext ?? 4096, 8192), 'context', 1e8);
  const batch = validate(settings.batch ?? 1, 'batch', 65536);
  const ubatch = validate(settings.ubatch ?? 512, 'ubatch', 1 << 20);
  const kvDtype = settings.kvDtype ?? engine.defaultKvDtype;
  if (!storageType(kvDtype)) throw new PlanError(`unknown KV cache dtype '${kvDtype}'`, 'KV dtypes: f32 f16 bf16 fp8 q8_0 q4_0 q4_1 q5_0 q5_1 iq4_nl');
  const fa = settings.flashAttention ?? false;
  const gpuCount = validate(settings.gpuCount ?? 1, 'gpu count', 1024);
  const efficiency = settings.efficiency ?? 1;
  if (!(efficiency > 0 && efficiency <= 1)) throw new PlanError(`efficiency must be in (0, 1], got ${efficiency}`);

  const mem = memoryAt(p, engine, context, batch, kvDtype, ubatch, fa);
  const layerWeights = new Array<number>(spec.layers.length).fill(0);
  let nonLayer = 0;
  let weights = 0;
  const byType: Record<string, number> = {};
  for (const t of p.tensors) {
    const b = t.bytes ?? 0;
    weights += b;
    byType[t.type ?? '?'] = (byType[t.type ?? '?'] ?? 0) + b;
    if (t.layer !== null && t.layer < layerWeights.length) layerWeights[t.layer]! += b;
    else nonLayer += b;
  }
  const layers: LayerPlan[] = spec.layers.map((l, i) => {
    const m = l.mixer;
    const c = mem.caches[i]!;
    const kind = m.type === 'attention' ? m.kind + (m.window !== null ? '+swa' : '') : m.kind;
    return { index: i, kind, window: m.type === 'attention' ? m.window : null, ffn: l.ffn.type, weightBytes: layerWeights[i]!, kvBytes: c.kBytes + c.vBytes, stateBytes: c.stateBytes, cells: c.cells };
  });
  const gpu = settings.gpu;
  const runtime = gpu ? (settings.overheadMiB ?? (gpu.vendor === 'apple' ? Math.min(engine.runtimeMiB, 256) : engine.runtimeMiB)) * MiB * gpuCount : (settings.overheadMiB ?? 0) * MiB;
  const total = weights + mem.kv + mem.state + mem.compute + mem.output + runtime;

  let fit: Plan['fit'] = null;
  let throughput: Plan['throughput'] = null;
  if (gpu) {
    const available = Math.floor(gpu.memoryMiB * MiB * gpu.usableFraction) * gpuCount;
    const fixed = runtime + mem.output;
    const maxContext = largestContext(p, engine, batch, kvDtype, ubatch, fa, available - weights - fixed, spec.maxContext);
    // llama.cpp offloads the last n blocks; the output head goes to the GPU only with all of them.
    let gpuLayers = spec.layers.length;
    let onGpu = total;
    if (total > available) {
      const budget = available - runtime - mem.compute - mem.output;
      let used = 0;
      gpuLayers = 0;
      for (let i = layers.length - 1; i >= 0; i--) {
        const L = layers[i]!;
        const need = L.weightBytes + L.kvBytes + L.stateBytes;
        if (used + need > budget) break;
        used += need;
        gpuLayers++;
      }
      onGpu = runtime + mem.compute + mem.output + used;
    }
    fit = { gpu: gpu.name, gpuCount, availableBytes: available, fits: total <= available, headroomBytes: available - total, maxContext, gpuLayers, cpuBytes: Math.max(0, total - onGpu) };
    const computeDtype = Object.keys(byType).some((t) => t === 'fp8') ? 'fp8' : undefined;
    const fill = context;
    throughput = {
      ...estimateThroughput({ spec, tensors: p.tensors, caches: mem.caches, gpu: { ...gpu, bandwidthGBs: gpu.bandwidthGBs * gpuCount, tflops: Object.fromEntries(Object.entries(gpu.tflops).map(([k, v]) => [k, (v ?? 0) * gpuCount])) }, batch, contextFill: fill, context, efficiency, ...(computeDtype ? { computeDtype } : {}) }),
      assumption: `roofline upper bound at ${Math.round(efficiency * 100)} % efficiency, decoding with ${fill} tokens in each sequence's cache${fit.fits ? '' : ' (does not fit: offloaded layers run at system-memory speed, not modelled)'}`,
    };
  }
  const notes: string[] = [];
  if (spec.maxContext && context > spec.maxContext) notes.push(`context ${context} is beyond the ${spec.maxContext} tokens the model was trained for: memory is planned, quality is not promised`);
  if (engine.computeModel !== 'llama.cpp-graph') notes.push(engine.notes);
  return {
    notes,
    model: { name: spec.name ?? null, architecture: spec.architecture, family: spec.family, generic: spec.generic, warnings: spec.warnings, params: p.params, layers: spec.layers.length, maxContext: spec.maxContext },
    settings: { context, batch, kvDtype, engine: engine.name, ubatch, flashAttention: fa, quant: p.quant, weightsFrom: p.weightsFrom },
    engine: { name: engine.name, notes: engine.notes, computeModel: engine.computeModel },
    weights: { bytes: weights, bitsPerWeight: p.params.total ? (weights * 8) / p.params.total : 0, byType },
    layers,
    nonLayerWeightBytes: nonLayer,
    totals: { weights, kv: mem.kv, state: mem.state, compute: mem.compute, output: mem.output, runtime, total },
    fit,
    throughput,
  };
}

/** Binary search over the context (memory grows monotonically with it). */
function largestContext(p: Prepared, engine: EngineProfile, batch: number, kvDtype: KvDtype, ubatch: number, fa: boolean, budget: number, trained: number | null): number {
  if (budget <= 0) return 0;
  const need = (ctx: number) => {
    const m = memoryAt(p, engine, ctx, batch, kvDtype, ubatch, fa);
    return m.kv + m.state + m.compute;
  };
  const cap = trained ?? 1 << 20;
  if (need(1) > budget) return 0;
  if (need(cap) <= budget) return cap;
  let lo = 1;
  let hi = cap;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (need(mid) <= budget) lo = mid;
    else hi = mid;
  }
  // Report a context the engine would actually allocate: round down to its padding.
  return engine.kvPadTokens > 1 && lo >= engine.kvPadTokens ? Math.floor(lo / engine.kvPadTokens) * engine.kvPadTokens : lo;
}

/** Summary of a file's or preset's weight storage (for display). */
export function describeTypes(byType: Record<string, number>): string {
  const total = Object.values(byType).reduce((a, b) => a + b, 0) || 1;
  return Object.entries(byType)
    .sort((a, b) => b[1] - a[1])
    .map(([t, b]) => `${t} ${b / total < 0.01 ? '<1' : Math.round((b / total) * 100)}%`)
    .join(', ');
}

