/** What the engine is asked to do and what it reports back, independent of any wire format. */

export interface ChatMessageIn {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  images?: unknown[];
  /** An assistant turn's tool calls (used when the chat template writes tools itself). */
  toolCalls?: ToolCallOut[];
  /** A tool turn's tool name, where the client says it. */
  toolName?: string;
}

/** A function offered to the model. */
export interface ToolSpec {
  name: string;
  description?: string;
  parameters: object;
}

export interface ToolCallOut {
  name: string;
  arguments: Record<string, unknown>;
}

export type GenerationInput =
  /** Text completion: the prompt as written, no chat template (Ollama `raw`, OpenAI /v1/completions). */
  | { kind: 'raw'; prompt: string }
  /**
   * Chat: rendered with the model's own chat template. `tools` are written into the prompt by the
   * template itself and calls read back in its syntax; they are used only where the template has
   * a tool format (`templateHandlesTools`), so give them only then.
   */
  | { kind: 'chat'; messages: ChatMessageIn[]; tools?: ToolSpec[] };

export interface SamplingOptions {
  /** Tokens to generate at most; undefined or negative: until the model stops or the context is full. */
  maxTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  seed?: number;
  repeatPenalty?: number;
  stop?: string[];
}

/**
 * A grammar the output must follow, applied token by token: `json` is any JSON object, `json-schema`
 * a value of the given schema (node-llama-cpp's JSON-schema subset; every listed property is written).
 */
export type OutputConstraint = { kind: 'json' } | { kind: 'json-schema'; schema: object };

export interface GenerateRequest extends SamplingOptions {
  model: string;
  input: GenerationInput;
  constraint?: OutputConstraint;
  /** Milliseconds to keep the model loaded after this request; Infinity: forever. */
  keepAliveMs?: number;
  /** Context size to run with (Ollama `num_ctx`); the model is reloaded with it when idle. */
  numCtx?: number;
  signal?: AbortSignal;
  /** Called with each piece of text as soon as it is decoded. */
  onText?: (text: string) => void;
}

/** Nanosecond counters measured around the engine with process.hrtime.bigint(). */
export interface GenerationTimings {
  /** From the request reaching the engine to the last token, queue wait and load included. */
  totalNs: number;
  /** Loading the model, when this request had to (0 when it was already loaded). */
  loadNs: number;
  /** Waiting for a free slot behind other requests for the same model. */
  queueNs: number;
  /** Prompt evaluation: from starting the prompt to the first generated token. */
  promptEvalNs: number;
  /** Decoding: from the first generated token to the end of generation. */
  evalNs: number;
}

export type DoneReason = 'stop' | 'length';

export interface GenerateResult {
  model: string;
  text: string;
  promptTokens: number;
  completionTokens: number;
  doneReason: DoneReason;
  timings: GenerationTimings;
  /** With template tools and no grammar: the calls read from the reply in the template's syntax. */
  toolCalls?: { calls: ToolCallOut[]; content: string };
}

export interface EmbedResult {
  model: string;
  embeddings: number[][];
  promptTokens: number;
  timings: { totalNs: number; loadNs: number };
}

/** A model the server can serve, loaded or not. */
export interface ModelEntry {
  name: string;
  path: string;
  sizeBytes: number;
  modifiedAt: Date;
  digest: string;
  /** Context size to load with; undefined: the model's own, capped by the engine's limit. */
  contextSize?: number;
  gpuLayers?: number | 'auto' | 'max';
}

export interface LoadedModelInfo {
  name: string;
  path: string;
  /** Bytes the model takes in memory: weights plus its context's KV cache (estimated). */
  sizeBytes: number;
  /** Of which on the GPU. */
  vramBytes: number;
  contextLength: number;
  gpuLayers: number;
  /** Undefined: kept until the server stops. */
  expiresAt: Date | undefined;
  active: number;
  queued: number;
}
