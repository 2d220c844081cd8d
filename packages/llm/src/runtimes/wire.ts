import type { EngineCounters, LoadedModel } from './types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v.slice(0, 500) : null);
const nonNeg = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);

/** Ollama `/api/ps` → loaded models. Entries without a name are skipped, not fatal. */
export function parseOllamaPs(body: unknown): LoadedModel[] {
  if (!isObj(body) || !Array.isArray(body.models)) throw new Error('not an Ollama /api/ps response (no "models" list)');
  const out: LoadedModel[] = [];
  for (const m of body.models.slice(0, 1000)) {
    if (!isObj(m)) continue;
    const name = str(m.name) ?? str(m.model);
    if (!name) continue;
    const d = isObj(m.details) ? m.details : {};
    const size = nonNeg(m.size);
    const vram = nonNeg(m.size_vram);
    out.push({
      name,
      sizeBytes: size,
      vramBytes: vram,
      // Ollama's `ollama ps` prints "x%/y% CPU/GPU" from this comparison. Some of the model
      // in VRAM and the rest not is a spill; none in VRAM is CPU inference (the monitor flags
      // that too when the machine has a GPU).
      cpuSpill: size !== null && vram !== null && vram > 0 && vram < size,
      family: str(d.family),
      parameterSize: str(d.parameter_size),
      quantization: str(d.quantization_level),
      contextLength: nonNeg(m.context_length),
      expiresAt: typeof m.expires_at === 'string' ? m.expires_at : m.expires_at instanceof Date ? m.expires_at.toISOString() : null,
    });
  }
  return out;
}

/** Ollama `/api/tags` → model names. */
export function parseOllamaTags(body: unknown): string[] {
  if (!isObj(body) || !Array.isArray(body.models)) throw new Error('not an Ollama /api/tags response (no "models" list)');
  return body.models.flatMap((m) => (isObj(m) ? (str(m.name) ?? str(m.model) ?? []) : [])).slice(0, 10_000);
}

/** OpenAI `/v1/models` page data → model ids. */
export function parseOpenAiModels(data: unknown): string[] {
  if (!Array.isArray(data)) throw new Error('not an OpenAI /v1/models response (no "data" list)');
  return data.flatMap((m) => (isObj(m) ? (str(m.id) ?? []) : [])).slice(0, 10_000);
}

/**
 * Prometheus text exposition → an engine's counters: the llama.cpp server's (`llamacpp:`) or vLLM's (`vllm:`).
 * Unknown lines are ignored; a metric with labels takes its first sample.
 */
export function parseLlamaCppMetrics(text: string): EngineCounters | null {
  const values = new Map<string, number>();
  for (const line of text.split('\n').slice(0, 10_000)) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (!values.has(m[1]!) && Number.isFinite(v)) values.set(m[1]!, v);
  }
  // llama.cpp's names first, then vLLM's equivalents (its /metrics has no averages).
  const g = (...names: string[]) => {
    for (const n of names) {
      const v = values.get(n);
      if (v !== undefined) return v;
    }
    return null;
  };
  const c: EngineCounters = {
    promptTokensTotal: g('llamacpp:prompt_tokens_total', 'vllm:prompt_tokens_total'),
    predictedTokensTotal: g('llamacpp:tokens_predicted_total', 'vllm:generation_tokens_total'),
    promptTokensPerSecond: g('llamacpp:prompt_tokens_seconds'),
    predictedTokensPerSecond: g('llamacpp:predicted_tokens_seconds'),
    requestsProcessing: g('llamacpp:requests_processing', 'vllm:num_requests_running'),
    requestsDeferred: g('llamacpp:requests_deferred', 'vllm:num_requests_waiting'),
    kvCacheUsageRatio: g('llamacpp:kv_cache_usage_ratio', 'vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'),
  };
  return Object.values(c).some((v) => v !== null) ? c : null;
}
