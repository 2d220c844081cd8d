/**
 * Where a rate comes from. Engine counters are preferred; client-side figures come from when
 * streamed tokens arrived. A rate is never completion tokens divided by total wall time.
 */
export type TimingSource = 'engine:ollama' | 'engine:llama.cpp' | 'client:stream' | 'unavailable';

export interface RateFigure {
  tokens: number | null;
  ms: number | null;
  tokPerS: number | null;
  source: TimingSource;
}

export const unavailable: RateFigure = { tokens: null, ms: null, tokPerS: null, source: 'unavailable' };

function rate(tokens: unknown, ms: number | null, source: TimingSource): RateFigure {
  if (typeof tokens !== 'number' || !Number.isFinite(tokens) || tokens < 0 || ms === null || !Number.isFinite(ms) || ms <= 0) return unavailable;
  return { tokens, ms, tokPerS: tokens / (ms / 1000), source };
}

const nsToMs = (ns: unknown): number | null => (typeof ns === 'number' && Number.isFinite(ns) && ns > 0 ? ns / 1e6 : null);

/** Ollama's final streamed object: *_count tokens over *_duration nanoseconds. */
export function ollamaRates(final: Record<string, unknown>): { prefill: RateFigure; decode: RateFigure; loadMs: number | null; promptTokens: number | null; completionTokens: number | null } {
  const promptTokens = typeof final.prompt_eval_count === 'number' ? final.prompt_eval_count : null;
  const completionTokens = typeof final.eval_count === 'number' ? final.eval_count : null;
  return {
    prefill: rate(final.prompt_eval_count, nsToMs(final.prompt_eval_duration), 'engine:ollama'),
    decode: rate(final.eval_count, nsToMs(final.eval_duration), 'engine:ollama'),
    loadMs: nsToMs(final.load_duration),
    promptTokens,
    completionTokens,
  };
}

/** llama.cpp server's `timings` (milliseconds): prompt_n/prompt_ms and predicted_n/predicted_ms. */
export function llamaCppRates(t: unknown): { prefill: RateFigure; decode: RateFigure } | null {
  if (!t || typeof t !== 'object') return null;
  const o = t as Record<string, unknown>;
  const ms = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
  const prefill = rate(o.prompt_n, ms(o.prompt_ms), 'engine:llama.cpp');
  const decode = rate(o.predicted_n, ms(o.predicted_ms), 'engine:llama.cpp');
  return prefill.source === 'unavailable' && decode.source === 'unavailable' ? null : { prefill, decode };
}

/**
 * Decode rate from the client's side: the tokens after the first over the time between the
 * first and the last streamed token (the first token's wait is prefill, not decode).
 */
export function streamedDecodeRate(tokens: number | null, firstTokenAt: number | null, lastTokenAt: number | null): RateFigure {
  if (tokens === null || tokens < 2 || firstTokenAt === null || lastTokenAt === null) return unavailable;
  return rate(tokens - 1, lastTokenAt - firstTokenAt, 'client:stream');
}
