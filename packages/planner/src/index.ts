/**
 * @workbench/planner: memory and speed of a model on a GPU, from its config or weight files.
 * The math (browser-safe) is also exported alone as `@workbench/planner/math`.
 */
export * from './math/index.js';
export * from './ingest/safetensors.js';
export * from './ingest/hf.js';
export * from './ingest/ollama.js';
export * from './ingest/source.js';
export * from './gpu-file.js';
export * from './reconcile/index.js';
export * from './planner.js';
