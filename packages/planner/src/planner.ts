/**
 * From a loaded source and the user's settings to a plan: picks the engine and weight format
 * the source implies, and keeps the file's exact tensors unless another format is asked for.
 */
import { ENGINE_PROFILES, GGUF_PRESETS, HF_PRESETS, plan, prepareWeights, specTensors, countParams, type EngineName, type Plan, type PlanSettings, type Prepared } from './math/index.js';
import type { ModelSource } from './ingest/source.js';

export function engineFor(source: Pick<ModelSource, 'kind'>, settings: Pick<PlanSettings, 'engine' | 'quant'>): EngineName {
  if (settings.engine) return settings.engine;
  if (source.kind === 'gguf' || source.kind === 'ollama') return 'llama.cpp';
  const q = settings.quant;
  if (q && (GGUF_PRESETS as readonly string[]).includes(q) && !(HF_PRESETS as readonly string[]).includes(q)) return 'llama.cpp';
  return 'vllm';
}

export function prepareSource(source: ModelSource, settings: PlanSettings): Prepared {
  const engine = ENGINE_PROFILES[engineFor(source, settings)];
  // File tensors fit the engine only in its own format: GGUF tensors for llama.cpp, safetensors for the others.
  const fileFits = source.tensors && (engine.format === 'gguf') === (source.kind === 'gguf' || source.kind === 'ollama');
  const prepared = prepareWeights(source.spec, fileFits ? source.tensors : undefined, engine, settings.quant);
  // Packed quantised safetensors (GPTQ int32, mxfp4 u8 blocks): bytes are exact, but element counts are not parameters.
  if (prepared.weightsFrom === 'file' && source.packedWeights) return { ...prepared, params: countParams(specTensors(source.spec)) };
  return prepared;
}

export function planSource(source: ModelSource, settings: PlanSettings = {}): Plan {
  const engine = engineFor(source, settings);
  return plan(prepareSource(source, settings), { ...settings, engine });
}
