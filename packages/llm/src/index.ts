export { LlmEngine, GenerationAbortedError, type EngineOptions } from './engine/engine.js';
export { parseKeepAlive, DEFAULT_KEEP_ALIVE_MS, KeepAliveError } from './engine/keep-alive.js';
export type { ChatMessageIn, GenerateRequest, GenerateResult, GenerationTimings, LoadedModelInfo, ModelEntry, SamplingOptions, EmbedResult } from './engine/types.js';
export { createLlmServer, type LlmServerOptions } from './serve/server.js';
