/**
 * Where a figure comes from. Engine counters are the server's own measurements; `client-stream`
 * figures are measured here from when chunks arrive, which includes network and framing.
 */
export type TimingSource = 'ollama-counters' | 'llama.cpp-timings' | 'client-stream' | 'client';

export interface Figure {
  value: number;
  source: TimingSource;
}

export interface LlmTimings {
  /** Prompt tokens per second of prefill. */
  prefillTokensPerSec: Figure | null;
  /** Generated tokens per second while decoding (never completion tokens over total wall time). */
  decodeTokensPerSec: Figure | null;
  /** From sending the request to the first token arriving, measured by the client. */
  timeToFirstTokenMs: Figure | null;
  /** From sending the request to the end of the response, measured by the client. */
  totalMs: Figure;
}

/** What one response told us, gathered while reading it. */
export interface RawTimings {
  startMs: number;
  firstTokenMs?: number;
  lastTokenMs?: number;
  endMs: number;
  /** Content chunks received (each usually one token). */
  chunks: number;
  promptTokens?: number;
  completionTokens?: number;
  /** Ollama: nanoseconds. */
  ollama?: { prompt_eval_count?: number; prompt_eval_duration?: number; eval_count?: number; eval_duration?: number };
  /** llama.cpp server: milliseconds. */
  llamacpp?: { prompt_n?: number; prompt_ms?: number; predicted_n?: number; predicted_ms?: number };
}

const rate = (n: number | undefined, seconds: number | undefined): number | undefined => (n !== undefined && seconds !== undefined && seconds > 0 && n > 0 ? n / seconds : undefined);

export function computeTimings(r: RawTimings): LlmTimings {
  const fig = (value: number | undefined, source: TimingSource): Figure | null => (value === undefined || !Number.isFinite(value) ? null : { value, source });
  let prefill: Figure | null = null;
  let decode: Figure | null = null;
  if (r.ollama) {
    prefill = fig(rate(r.ollama.prompt_eval_count, (r.ollama.prompt_eval_duration ?? 0) / 1e9), 'ollama-counters');
    decode = fig(rate(r.ollama.eval_count, (r.ollama.eval_duration ?? 0) / 1e9), 'ollama-counters');
  } else if (r.llamacpp) {
    prefill = fig(rate(r.llamacpp.prompt_n, (r.llamacpp.prompt_ms ?? 0) / 1e3), 'llama.cpp-timings');
    decode = fig(rate(r.llamacpp.predicted_n, (r.llamacpp.predicted_ms ?? 0) / 1e3), 'llama.cpp-timings');
  }
  if (!decode && r.firstTokenMs !== undefined && r.lastTokenMs !== undefined && r.chunks > 1) {
    // Between the first and the last chunk, chunks-1 tokens were decoded (one chunk ≈ one token).
    decode = fig(rate(r.chunks - 1, (r.lastTokenMs - r.firstTokenMs) / 1e3), 'client-stream');
  }
  if (!prefill && r.firstTokenMs !== undefined && r.promptTokens !== undefined) prefill = fig(rate(r.promptTokens, (r.firstTokenMs - r.startMs) / 1e3), 'client-stream');
  return {
    prefillTokensPerSec: prefill,
    decodeTokensPerSec: decode,
    timeToFirstTokenMs: r.firstTokenMs === undefined ? null : { value: r.firstTokenMs - r.startMs, source: 'client-stream' },
    totalMs: { value: r.endMs - r.startMs, source: 'client' },
  };
}
