export { LlmEngine, GenerationAbortedError, type EngineOptions } from './engine/engine.js';
export { parseKeepAlive, DEFAULT_KEEP_ALIVE_MS, KeepAliveError } from './engine/keep-alive.js';
export type { ChatMessageIn, GenerateRequest, GenerateResult, GenerationTimings, LoadedModelInfo, ModelEntry, SamplingOptions, EmbedResult } from './engine/types.js';
export { createLlmServer, type LlmServerOptions } from './serve/server.js';
// Runtimes: discovery, probing and honest generation timings.
export * from './runtimes/types.js';
export { defaultEndpoints, mergeEndpoints, normalizeUrl, ollamaHost, guessKind, OLLAMA_DEFAULT, WORKBENCH_DEFAULT } from './runtimes/endpoints.js';
export { probeEndpoint, engineCounters, detectKind, type ProbeOptions } from './runtimes/probe.js';
export { generate as generateOnEndpoint, GenerationError, type GenerateRequest as EndpointGenerateRequest, type GenerationResult } from './runtimes/generate.js';
export { ollamaRates, llamaCppRates, streamedDecodeRate, type RateFigure, type TimingSource } from './runtimes/timings.js';
export { parseOllamaPs, parseOllamaTags, parseOpenAiModels, parseLlamaCppMetrics } from './runtimes/wire.js';
export { describeFailure } from './runtimes/errors.js';
// Monitor: samples, history, Prometheus, the terminal dashboard's frames.
export * from './monitor/types.js';
export { LlmMonitor, memoryCheck, type LlmMonitorOptions } from './monitor/monitor.js';
export { RingBuffer } from './monitor/ring-buffer.js';
export { toPrometheus } from './monitor/prometheus.js';
export { renderTopFrame, topSorts, type TopSort, type TopView } from './monitor/top-frame.js';
export { fmtBytes, fmtNum, sparkline, gauge } from './monitor/format.js';
// Benchmarks stored as runs.
export { standardPrompts, loadPromptFile, PromptFileError, type BenchPrompt } from './bench/prompts.js';
export { summarize, type Summary } from './bench/stats.js';
export { runBench, aggregate, MAX_CONCURRENCY, type BenchOptions, type BenchResult, type BenchSample, type LevelAggregate, type MemoryReading } from './bench/runner.js';
export { BenchRecorder, readBench, benchToCsv, levelFigures, BENCH_KIND, DEFAULT_BENCH_PROJECT, type BenchExport, type BenchRunParams } from './bench/store.js';
// Conformance of Ollama- and OpenAI-compatible servers (wb llm conform).
export { runConformance, type CheckResult, type CheckStatus, type ConformOptions, type ConformReport } from './conform/suite.js';
