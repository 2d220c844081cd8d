/**
 * @workbench/sdk/llm — talk to local LLM servers (Ollama, OpenAI-compatible servers such as
 * llama.cpp server or LM Studio, and `wb llm serve`) from Node or the browser, with honest timings.
 */
export { load, listModels, detectEndpoint, estimateTokens, LlmModel } from './client.js';
export type { ChatMessage, ContextSource, EndpointKind, EndpointOptions, GenerateOptions, LlmResult, LlmStream, LoadOptions, ModelSummary } from './client.js';
export { LlmError, LlmNotRunningError, ModelNotFoundError, LlmTimeoutError, LlmAbortedError, LlmContextOverflowError, LlmServerError, LlmImagesUnsupportedError, LlmInvalidImageError } from './errors.js';
export type { ImageInput, ImageMimeType } from './images.js';
export { computeTimings, type Figure, type LlmTimings, type TimingSource } from './timings.js';
