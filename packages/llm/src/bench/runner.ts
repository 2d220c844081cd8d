import { generate, GenerationError } from '../runtimes/generate.js';
import type { TimingSource } from '../runtimes/timings.js';
import type { EndpointConfig } from '../runtimes/types.js';
import type { BenchPrompt } from './prompts.js';
import { summarize, type Summary } from './stats.js';

export interface BenchSample {
  /** Position in the run, from 0: the step of its metrics. */
  index: number;
  concurrency: number;
  repeat: number;
  promptId: string;
  promptClass: BenchPrompt['class'];
  ok: boolean;
  error: string | null;
  ttftMs: number | null;
  totalMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  prefillTokPerS: number | null;
  prefillSource: TimingSource;
  decodeTokPerS: number | null;
  decodeSource: TimingSource;
  at: string;
}

export interface LevelAggregate {
  concurrency: number;
  samples: number;
  failed: number;
  ttftMs: Summary;
  prefillTokPerS: Summary;
  decodeTokPerS: Summary;
  totalMs: Summary;
  /** Output tokens of all requests over the level's wall time: a capacity figure under load, not a generation speed. */
  systemThroughputTokPerS: number | null;
  wallMs: number;
}

export interface MemoryReading {
  bytes: number;
  source: string;
}

export interface BenchOptions {
  endpoint: EndpointConfig;
  model: string;
  prompts: BenchPrompt[];
  /** Repeats of the whole prompt set per concurrency level. */
  runs: number;
  concurrency: number[];
  /** Overrides each prompt's own max tokens. */
  maxTokens?: number;
  /** One untimed generation first (loads the model, fills caches). Default true. */
  warmup?: boolean;
  signal?: AbortSignal;
  onSample?: (s: BenchSample, done: number, total: number) => Promise<void> | void;
  /** Reads the memory the runtime uses for the model (e.g. /api/ps size, or the engine process RSS). */
  memory?: () => Promise<MemoryReading | null>;
  memoryIntervalMs?: number;
  timeoutMs?: number;
}

export interface BenchResult {
  samples: BenchSample[];
  levels: LevelAggregate[];
  peakMemory: MemoryReading | null;
  cancelled: boolean;
  warmupMs: number | null;
}

export const MAX_CONCURRENCY = 256;

/**
 * Run the prompt set `runs` times at each concurrency level and collect honest timings per
 * request. Cancelling (the signal) stops at once; what finished is kept and marked cancelled.
 */
export async function runBench(o: BenchOptions): Promise<BenchResult> {
  if (o.prompts.length === 0) throw new Error('no prompts to run');
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('runs must be a whole number ≥ 1');
  for (const c of o.concurrency) if (!Number.isInteger(c) || c < 1 || c > MAX_CONCURRENCY) throw new Error(`concurrency levels must be whole numbers from 1 to ${MAX_CONCURRENCY}`);
  const samples: BenchSample[] = [];
  const levels: LevelAggregate[] = [];
  let peak: MemoryReading | null = null;
  const readMemory = async () => {
    const m = await o.memory?.().catch(() => null);
    if (m && (!peak || m.bytes > peak.bytes)) peak = m;
  };
  const timer = o.memory ? setInterval(() => void readMemory(), o.memoryIntervalMs ?? 500) : null;
  timer?.unref();
  let warmupMs: number | null = null;
  const total = o.concurrency.length * o.runs * o.prompts.length;
  try {
    if (o.warmup !== false && !o.signal?.aborted) {
      const t = performance.now();
      const first = o.prompts[0]!;
      await generate(o.endpoint, { model: o.model, prompt: first.prompt, maxTokens: Math.min(8, o.maxTokens ?? first.maxTokens), ...(o.signal ? { signal: o.signal } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) }).catch((err: unknown) => {
        if (o.signal?.aborted) return;
        throw new GenerationError(`warm-up failed: ${(err as Error).message}`, (err as GenerationError).reason ?? 'error');
      });
      warmupMs = performance.now() - t;
      await readMemory();
    }
    for (const c of o.concurrency) {
      if (o.signal?.aborted) break;
      const jobs: Array<{ repeat: number; p: BenchPrompt }> = [];
      for (let r = 0; r < o.runs; r++) for (const p of o.prompts) jobs.push({ repeat: r, p });
      const levelSamples: BenchSample[] = [];
      let next = 0;
      const t0 = performance.now();
      const worker = async () => {
        while (next < jobs.length && !o.signal?.aborted) {
          const { repeat, p } = jobs[next++]!;
          const s = await one(o, c, repeat, p);
          if (o.signal?.aborted && !s.ok) return; // a request cut by the cancel is not a result
          s.index = samples.length;
          samples.push(s);
          levelSamples.push(s);
          await o.onSample?.(s, samples.length, total);
        }
      };
      await Promise.all(Array.from({ length: Math.min(c, jobs.length) }, worker));
      const wallMs = performance.now() - t0;
      if (levelSamples.length) levels.push(aggregate(c, levelSamples, wallMs));
    }
  } finally {
    if (timer) clearInterval(timer);
  }
  await readMemory();
  return { samples, levels, peakMemory: peak, cancelled: Boolean(o.signal?.aborted), warmupMs };
}

async function one(o: BenchOptions, concurrency: number, repeat: number, p: BenchPrompt): Promise<BenchSample> {
  const base = { index: -1, concurrency, repeat, promptId: p.id, promptClass: p.class, at: new Date().toISOString() };
  try {
    const r = await generate(o.endpoint, { model: o.model, prompt: p.prompt, maxTokens: o.maxTokens ?? p.maxTokens, ...(o.signal ? { signal: o.signal } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
    return {
      ...base,
      ok: true,
      error: null,
      ttftMs: r.ttftMs,
      totalMs: r.totalMs,
      promptTokens: r.promptTokens,
      completionTokens: r.completionTokens,
      prefillTokPerS: r.prefill.tokPerS,
      prefillSource: r.prefill.source,
      decodeTokPerS: r.decode.tokPerS,
      decodeSource: r.decode.source,
    };
  } catch (err) {
    return { ...base, ok: false, error: err instanceof GenerationError ? err.reason : (err as Error).message, ttftMs: null, totalMs: null, promptTokens: null, completionTokens: null, prefillTokPerS: null, prefillSource: 'unavailable', decodeTokPerS: null, decodeSource: 'unavailable' };
  }
}

export function aggregate(concurrency: number, s: BenchSample[], wallMs: number): LevelAggregate {
  const ok = s.filter((x) => x.ok);
  const tokens = ok.reduce((a, x) => a + (x.completionTokens ?? 0), 0);
  return {
    concurrency,
    samples: s.length,
    failed: s.length - ok.length,
    ttftMs: summarize(ok.map((x) => x.ttftMs)),
    prefillTokPerS: summarize(ok.map((x) => x.prefillTokPerS)),
    decodeTokPerS: summarize(ok.map((x) => x.decodeTokPerS)),
    totalMs: summarize(ok.map((x) => x.totalMs)),
    systemThroughputTokPerS: ok.length && wallMs > 0 ? tokens / (wallMs / 1000) : null,
    wallMs,
  };
}
