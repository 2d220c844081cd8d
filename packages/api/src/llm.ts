import { z } from 'zod';

// Wire shapes of the LLM monitor (GET /llm/status, /llm/history, /llm/benchmarks and the
// stream's `llm` messages). Unknown figures are null, never 0.

const n = z.number().nullable();

export const llmSourceStatusSchema = z.object({ source: z.string(), available: z.boolean(), reason: z.string().optional() });

export const llmGpuSchema = z.object({
  vendor: z.enum(['nvidia', 'amd', 'apple']),
  index: z.number(),
  name: z.string(),
  uuid: z.string().nullable(),
  utilPercent: n,
  memUsedBytes: n,
  memTotalBytes: n,
  temperatureC: n,
  powerW: n,
  powerLimitW: n,
  smClockMHz: n,
  memClockMHz: n,
  throttleReasons: z.array(z.string()).nullable(),
});

export const llmSystemSchema = z.object({
  ts: z.number(),
  platform: z.string(),
  cpu: z.object({ percent: n, cores: z.number(), load1: z.number() }).nullable(),
  memory: z.object({ totalBytes: z.number(), usedBytes: z.number(), availableBytes: z.number(), swapTotalBytes: z.number(), swapUsedBytes: z.number() }).nullable(),
  gpus: z.array(llmGpuSchema),
  gpuProcesses: z.array(z.object({ pid: z.number(), gpuUuid: z.string().nullable(), usedBytes: z.number() })),
  thermal: z.array(z.object({ name: z.string(), temperatureC: z.number(), throttling: z.boolean() })),
  sources: z.array(llmSourceStatusSchema),
});

export const llmLoadedModelSchema = z.object({
  name: z.string(),
  sizeBytes: n,
  vramBytes: n,
  cpuSpill: z.boolean(),
  family: z.string().nullable(),
  parameterSize: z.string().nullable(),
  quantization: z.string().nullable(),
  contextLength: n,
  expiresAt: z.string().nullable(),
});

export const llmEndpointSnapshotSchema = z.object({
  name: z.string(),
  kind: z.enum(['ollama', 'openai', 'workbench']),
  url: z.string(),
  origin: z.enum(['default', 'env', 'workspace', 'flag']),
  connected: z.boolean(),
  reason: z.string().nullable(),
  latencyMs: n,
  version: z.string().nullable(),
  loaded: z.array(llmLoadedModelSchema),
  available: z.array(z.string()),
  counters: z.record(z.string(), n).nullable(),
  pid: n,
  live: z.object({ generating: z.boolean().nullable(), decodeTokPerS: n, prefillTokPerS: n, source: z.string().nullable() }),
  process: z.object({ pid: z.number(), rssBytes: n, gpuBytes: n }).nullable(),
  memoryCheck: z.object({ reportedVramBytes: z.number(), driverBytes: n, spill: z.array(z.string()), note: z.string().nullable() }).nullable(),
});

export const llmCollectorInfoSchema = z.object({
  /** Current sampling interval: short while someone watches, long otherwise. */
  intervalMs: z.number(),
  watching: z.boolean(),
  historyPoints: z.number(),
  historyCapacity: z.number(),
});

export const llmStatusSchema = z.object({
  ts: z.number(),
  system: llmSystemSchema,
  endpoints: z.array(llmEndpointSnapshotSchema),
  collector: llmCollectorInfoSchema,
});
export type LlmStatus = z.infer<typeof llmStatusSchema>;
export type LlmEndpointSnapshot = z.infer<typeof llmEndpointSnapshotSchema>;
export type LlmGpu = z.infer<typeof llmGpuSchema>;

/** One compact point of the monitor's history (the charts). */
export const llmHistoryPointSchema = z.object({
  ts: z.number(),
  cpuPercent: n,
  memUsedBytes: n,
  memTotalBytes: n,
  gpus: z.array(z.object({ key: z.string(), name: z.string(), utilPercent: n, memUsedBytes: n, memTotalBytes: n, temperatureC: n, powerW: n })),
  endpoints: z.array(z.object({ name: z.string(), url: z.string(), connected: z.boolean(), loadedModels: z.number(), sizeBytes: n, vramBytes: n, decodeTokPerS: n, prefillTokPerS: n, rssBytes: n })),
});
export type LlmHistoryPoint = z.infer<typeof llmHistoryPointSchema>;

export const llmHistorySchema = z.object({ points: z.array(llmHistoryPointSchema), collector: llmCollectorInfoSchema });
export type LlmHistory = z.infer<typeof llmHistorySchema>;

/** A stored benchmark run, summarised for the history table and chart. */
export const llmBenchmarkSummarySchema = z.object({
  runId: z.string(),
  name: z.string(),
  project: z.string().nullable(),
  status: z.string(),
  createdAt: z.string(),
  model: z.string().nullable(),
  endpoint: z.string().nullable(),
  promptSet: z.string().nullable(),
  concurrency: z.string().nullable(),
  ttftP50Ms: n,
  prefillMeanTokPerS: n,
  decodeP50TokPerS: n,
  decodeP95TokPerS: n,
  latencyP50Ms: n,
  peakMemoryBytes: n,
});
export type LlmBenchmarkSummary = z.infer<typeof llmBenchmarkSummarySchema>;
export const llmBenchmarkListSchema = z.object({ benchmarks: z.array(llmBenchmarkSummarySchema) });

/** The compact history point of a sample: what the server keeps and what the web app appends live. */
export function toLlmHistoryPoint(s: Omit<LlmStatus, 'collector'>): LlmHistoryPoint {
  const sum = (xs: Array<number | null>) => (xs.some((x) => x !== null) ? xs.reduce<number>((a, x) => a + (x ?? 0), 0) : null);
  return {
    ts: s.ts,
    cpuPercent: s.system.cpu?.percent ?? null,
    memUsedBytes: s.system.memory?.usedBytes ?? null,
    memTotalBytes: s.system.memory?.totalBytes ?? null,
    gpus: s.system.gpus.map((g) => ({ key: `${g.vendor}:${g.index}`, name: g.name, utilPercent: g.utilPercent, memUsedBytes: g.memUsedBytes, memTotalBytes: g.memTotalBytes, temperatureC: g.temperatureC, powerW: g.powerW })),
    endpoints: s.endpoints.map((e) => ({
      name: e.name,
      url: e.url,
      connected: e.connected,
      loadedModels: e.loaded.length,
      sizeBytes: sum(e.loaded.map((m) => m.sizeBytes)),
      vramBytes: sum(e.loaded.map((m) => m.vramBytes)),
      decodeTokPerS: e.live.decodeTokPerS,
      prefillTokPerS: e.live.prefillTokPerS,
      rssBytes: e.process?.rssBytes ?? null,
    })),
  };
}
