/**
 * What each inference engine adds on top of weights and cache, as explicit, documented,
 * overridable numbers — never a hidden fudge factor. Only llama.cpp's figures are measured
 * here (engine-compare tests load real models with llama.cpp on the CPU); the others are
 * the engines' documented behaviour and are labelled as estimates in every plan.
 */
import type { KvDtype } from './dtypes.js';

export type EngineName = 'llama.cpp' | 'vllm' | 'transformers' | 'mlx';
export const ENGINES: readonly EngineName[] = ['llama.cpp', 'vllm', 'transformers', 'mlx'];

export interface EngineProfile {
  name: EngineName;
  /** Weight format the engine loads: GGUF presets or Hugging Face dtypes. */
  format: 'gguf' | 'hf';
  /** KV cells are allocated in multiples of this (llama.cpp pads n_ctx to 256; vLLM pages of 16). */
  kvPadTokens: number;
  /** Whether MLA keeps only the compressed latent (kv_lora_rank + qk_rope_head_dim) per token. */
  mlaLatentCache: boolean;
  /** Recurrent (SSM) state element size in bytes: llama.cpp keeps it in f32. */
  stateBytes: number;
  defaultKvDtype: KvDtype;
  /** Fixed runtime cost on a GPU: CUDA/Metal context, cuBLAS workspaces, CUDA graphs (MiB). */
  runtimeMiB: number;
  /** Where the activation/compute estimate comes from. */
  computeModel: 'llama.cpp-graph' | 'activation-estimate';
  /** Free-text provenance shown in plans. */
  notes: string;
}

export const ENGINE_PROFILES: Record<EngineName, EngineProfile> = {
  'llama.cpp': {
    name: 'llama.cpp',
    format: 'gguf',
    kvPadTokens: 256,
    mlaLatentCache: true,
    stateBytes: 4,
    defaultKvDtype: 'f16',
    // On CPU nothing; on a CUDA GPU the context and cuBLAS handles take a few hundred MiB
    // that nvidia-smi counts but llama.cpp's buffers do not. Override with --overhead-mib.
    runtimeMiB: 0,
    computeModel: 'llama.cpp-graph',
    notes: 'weights, KV cells (n_ctx padded to 256), output logits buffer and compute buffer as llama.cpp allocates them (model measured against llama.cpp on the CPU)',
  },
  vllm: {
    name: 'vllm',
    format: 'hf',
    kvPadTokens: 16,
    mlaLatentCache: true,
    stateBytes: 4,
    defaultKvDtype: 'bf16',
    // CUDA context (~500 MiB) plus captured CUDA graphs (typically 0.5–1 GiB).
    runtimeMiB: 1536,
    computeModel: 'activation-estimate',
    notes: 'estimate: vLLM reserves gpu_memory_utilization (0.9) of the GPU and fills what weights and activations leave with KV pages; this plan sizes the KV your context × batch needs',
  },
  transformers: {
    name: 'transformers',
    format: 'hf',
    kvPadTokens: 1,
    // The eager/sdpa DeepSeek implementations cache decompressed per-head K and V.
    mlaLatentCache: false,
    stateBytes: 2,
    defaultKvDtype: 'bf16',
    runtimeMiB: 512,
    computeModel: 'activation-estimate',
    notes: 'estimate: PyTorch CUDA context plus one forward pass of activations; the caching allocator can hold more',
  },
  mlx: {
    name: 'mlx',
    format: 'hf',
    kvPadTokens: 256,
    mlaLatentCache: false,
    stateBytes: 2,
    defaultKvDtype: 'f16',
    runtimeMiB: 256,
    computeModel: 'activation-estimate',
    notes: 'estimate: mlx-lm grows its KV cache in steps of 256 tokens; unified memory is shared with the system',
  },
};
