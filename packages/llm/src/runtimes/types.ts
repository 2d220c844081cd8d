/** How Workbench talks to a runtime. `workbench` is `wb llm serve` (Ollama-compatible API plus its own process). */
export const endpointKinds = ['ollama', 'openai', 'workbench'] as const;
export type EndpointKind = (typeof endpointKinds)[number];

export interface EndpointConfig {
  name: string;
  kind: EndpointKind;
  /** Base URL without the /v1 or /api suffix, e.g. http://127.0.0.1:11434. */
  url: string;
  /** Where it came from: a built-in default, $OLLAMA_HOST, or the workspace's own list. */
  origin: 'default' | 'env' | 'workspace' | 'flag';
}

export interface LoadedModel {
  name: string;
  /** Bytes the runtime says the loaded model takes (weights + cache), null when it does not say. */
  sizeBytes: number | null;
  /** Of that, bytes in GPU memory (Ollama's size_vram). */
  vramBytes: number | null;
  /** Part of the model runs on the CPU: size_vram < size. */
  cpuSpill: boolean;
  family: string | null;
  parameterSize: string | null;
  quantization: string | null;
  contextLength: number | null;
  expiresAt: string | null;
}

/** What llama.cpp's server (and compatible engines) publish at /metrics. */
export interface EngineCounters {
  promptTokensTotal: number | null;
  predictedTokensTotal: number | null;
  /** The engine's own average rates (tok/s) since it started. */
  promptTokensPerSecond: number | null;
  predictedTokensPerSecond: number | null;
  requestsProcessing: number | null;
  requestsDeferred: number | null;
  kvCacheUsageRatio: number | null;
}

export interface EndpointStatus {
  name: string;
  kind: EndpointKind;
  url: string;
  origin: EndpointConfig['origin'];
  connected: boolean;
  /** When not connected: "connection refused", "timeout after 1500 ms", "HTTP 404 Not Found", … */
  reason: string | null;
  latencyMs: number | null;
  version: string | null;
  /** Models in memory now (Ollama /api/ps); for OpenAI-compatible servers, the served models. */
  loaded: LoadedModel[];
  /** Models the runtime can load (Ollama /api/tags, /v1/models). */
  available: string[];
  counters: EngineCounters | null;
  /** PID of the process listening on the endpoint's port, when it is local and visible. */
  pid: number | null;
}
