/**
 * The planner's math: browser-safe (no Node imports), so the web app plans while sliders move.
 * File readers live outside math/ (the package root entry).
 */
export * from './spec.js';
export * from './dtypes.js';
export * from './hf-config.js';
export * from './gguf-spec.js';
export * from './tensors.js';
export * from './quant.js';
export * from './kv.js';
export * from './compute.js';
export * from './engines.js';
export * from './gpus.js';
export * from './throughput.js';
export * from './plan.js';
