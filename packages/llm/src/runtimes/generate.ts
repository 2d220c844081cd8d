import { describeFailure } from './errors.js';
import { ollamaClient, openaiClient } from './probe.js';
import { llamaCppRates, ollamaRates, streamedDecodeRate, unavailable, type RateFigure } from './timings.js';
import type { EndpointConfig } from './types.js';

export interface GenerateRequest {
  model: string;
  prompt: string;
  maxTokens: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface GenerationResult {
  model: string;
  promptTokens: number | null;
  completionTokens: number | null;
  /** Request sent → first generated text arrived (client clock). */
  ttftMs: number;
  /** Request sent → stream ended (client clock). */
  totalMs: number;
  prefill: RateFigure;
  decode: RateFigure;
  /** Model load time the engine reports for this request (Ollama's load_duration). */
  loadMs: number | null;
  finishReason: string | null;
  text: string;
}

export class GenerationError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

const MAX_TEXT = 64 * 1024;

/** One streamed generation with the engine's own timings where it reports them. */
export async function generate(ep: EndpointConfig, req: GenerateRequest): Promise<GenerationResult> {
  const timeoutMs = req.timeoutMs ?? 300_000;
  try {
    return ep.kind === 'openai' ? await generateOpenAi(ep, req, timeoutMs) : await generateOllama(ep, req, timeoutMs);
  } catch (err) {
    if (err instanceof GenerationError) throw err;
    const reason = req.signal?.aborted ? 'cancelled' : describeFailure(err, timeoutMs);
    throw new GenerationError(`generation with ${req.model} at ${ep.url} failed: ${reason}`, reason);
  }
}

async function generateOllama(ep: EndpointConfig, req: GenerateRequest, timeoutMs: number): Promise<GenerationResult> {
  const client = ollamaClient(ep.url, timeoutMs);
  const t0 = performance.now();
  const stream = await client.generate({ model: req.model, prompt: req.prompt, stream: true, options: { num_predict: req.maxTokens, temperature: 0 } });
  const onAbort = () => stream.abort();
  req.signal?.addEventListener('abort', onAbort, { once: true });
  let first: number | null = null;
  let last: number | null = null;
  let chunks = 0;
  let text = '';
  let final: Record<string, unknown> | null = null;
  try {
    if (req.signal?.aborted) stream.abort();
    for await (const part of stream) {
      const now = performance.now();
      if (part.response) {
        chunks++;
        first ??= now;
        last = now;
        if (text.length < MAX_TEXT) text += part.response;
      }
      if (part.done) final = part as unknown as Record<string, unknown>;
    }
  } catch (err) {
    // The client's own words for a stream cut short; ours say what it means here.
    if (!req.signal?.aborted && /did not receive done/i.test(String((err as Error)?.message))) final = null;
    else throw err;
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
  }
  const end = performance.now();
  if (!final) throw new GenerationError(`the stream from ${ep.url} ended without its final summary`, 'incomplete stream');
  const r = ollamaRates(final);
  const decode = r.decode.source !== 'unavailable' ? r.decode : streamedDecodeRate(r.completionTokens ?? chunks, first, last);
  return {
    model: req.model,
    promptTokens: r.promptTokens,
    completionTokens: r.completionTokens ?? chunks,
    ttftMs: (first ?? end) - t0,
    totalMs: end - t0,
    prefill: r.prefill,
    decode,
    loadMs: r.loadMs,
    finishReason: typeof final.done_reason === 'string' ? final.done_reason : null,
    text,
  };
}

async function generateOpenAi(ep: EndpointConfig, req: GenerateRequest, timeoutMs: number): Promise<GenerationResult> {
  const client = openaiClient(ep.url, timeoutMs);
  const t0 = performance.now();
  const stream = await client.chat.completions.create(
    { model: req.model, messages: [{ role: 'user', content: req.prompt }], max_tokens: req.maxTokens, temperature: 0, stream: true, stream_options: { include_usage: true } },
    req.signal ? { signal: req.signal } : {},
  );
  let first: number | null = null;
  let last: number | null = null;
  let chunks = 0;
  let text = '';
  let promptTokens: number | null = null;
  let completionTokens: number | null = null;
  let finishReason: string | null = null;
  let engine: ReturnType<typeof llamaCppRates> = null;
  for await (const chunk of stream) {
    const now = performance.now();
    const delta = chunk.choices?.[0]?.delta?.content;
    if (delta) {
      chunks++;
      first ??= now;
      last = now;
      if (text.length < MAX_TEXT) text += delta;
    }
    finishReason = chunk.choices?.[0]?.finish_reason ?? finishReason;
    if (chunk.usage) {
      promptTokens = chunk.usage.prompt_tokens ?? promptTokens;
      completionTokens = chunk.usage.completion_tokens ?? completionTokens;
    }
    // llama.cpp adds its own timings to the last chunk; the SDK keeps unknown fields.
    const t = (chunk as unknown as { timings?: unknown }).timings;
    if (t) engine = llamaCppRates(t) ?? engine;
  }
  const end = performance.now();
  const tokens = completionTokens ?? chunks;
  return {
    model: req.model,
    promptTokens: promptTokens ?? (engine?.prefill.tokens ?? null),
    completionTokens: tokens,
    ttftMs: (first ?? end) - t0,
    totalMs: end - t0,
    prefill: engine?.prefill ?? unavailable,
    decode: engine && engine.decode.source !== 'unavailable' ? engine.decode : streamedDecodeRate(tokens, first, last),
    loadMs: null,
    finishReason,
    text,
  };
}
