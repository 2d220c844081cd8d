/**
 * The normalised shape of a model: what the memory and speed math needs, whatever the
 * source (Hugging Face config.json, GGUF metadata, safetensors shapes). Layers are listed
 * one by one because real stacks are not uniform: Gemma interleaves local and global
 * attention, Jamba and Qwen3-Next interleave attention with recurrent layers, DeepSeek keeps
 * its first layers dense.
 */

/** Softmax attention that keeps a K and V per cached token. */
export interface AttentionMixer {
  type: 'attention';
  /** mha: kv heads = heads; gqa: 1 < kv heads < heads; mqa: one kv head; mla: compressed latent (DeepSeek). */
  kind: 'mha' | 'gqa' | 'mqa' | 'mla';
  nHead: number;
  nKvHead: number;
  /** Per-head width of K and of V (they differ for MLA and some models). */
  headDimK: number;
  headDimV: number;
  /** Tokens a sliding-window layer attends to (and caches); null = full context. */
  window: number | null;
  /** Learned sink logits (gpt-oss) are parameters only; StreamingLLM-style kept tokens add to the window. */
  sinkTokens: number;
  learnedSinks: boolean;
  qkvBias: boolean;
  outBias: boolean;
  /** Per-head RMSNorm on q and k (Gemma 3, Qwen3). */
  qkNorm: boolean;
  /** Qwen3-Next: q_proj also produces a sigmoid output gate (doubles its width). */
  outputGate: boolean;
  /** MLA only (DeepSeek-V2/V3). */
  mla?: { qLoraRank: number | null; kvLoraRank: number; qkNopeHeadDim: number; qkRopeHeadDim: number; vHeadDim: number };
}

/** A recurrent layer: state of constant size per sequence, whatever the context. */
export interface RecurrentMixer {
  type: 'recurrent';
  /** mamba: selective SSM (Mamba-1); mamba2: SSD (Mamba-2); gated-deltanet: linear attention (Qwen3-Next). */
  kind: 'mamba' | 'mamba2' | 'gated-deltanet';
  dInner: number;
  dState: number;
  dConv: number;
  /** mamba: dt rank; mamba2: heads; gated-deltanet: value heads. */
  dtRank: number;
  nGroups: number;
  nHeads: number;
  /** gated-deltanet: key heads and per-head key/value widths. */
  nKeyHeads?: number;
  headDimK?: number;
  headDimV?: number;
  convBias: boolean;
  projBias: boolean;
  /** Jamba adds RMSNorms on dt, B and C. */
  innerNorms: boolean;
}

export type Mixer = AttentionMixer | RecurrentMixer;

export interface DenseFfn {
  type: 'dense';
  intermediate: number;
  /** SwiGLU/GeGLU: gate, up and down matrices; otherwise up and down. */
  gated: boolean;
  bias: boolean;
}

export interface MoeFfn {
  type: 'moe';
  nExperts: number;
  nActive: number;
  expertIntermediate: number;
  nShared: number;
  sharedIntermediate: number;
  gated: boolean;
  bias: boolean;
  /** Qwen MoE: a sigmoid gate on the shared expert (hidden → 1). */
  sharedGate: boolean;
  /** DeepSeek-V3: per-expert score-correction bias. */
  routerBias: boolean;
}

export type Ffn = DenseFfn | MoeFfn | { type: 'none' };

export interface LayerSpec {
  mixer: Mixer;
  ffn: Ffn;
  /** RMSNorm/LayerNorm vectors in the block (2 for most, 4 for Gemma 2/3). */
  norms: number;
  /** LayerNorm has a bias as well as a scale. */
  normBias: boolean;
}

export interface ModelSpec {
  /** Architecture as the source names it (`LlamaForCausalLM`, `llama`, …). */
  architecture: string;
  /** Short family key the planner dispatches on (llama, gemma2, deepseek2, mamba, jamba, …). */
  family: string;
  name?: string;
  hiddenSize: number;
  vocabSize: number;
  tiedEmbeddings: boolean;
  /** Largest context the model was trained for (null when the source does not say). */
  maxContext: number | null;
  layers: LayerSpec[];
  /** True when the architecture was not recognised and the generic transformer estimate was used. */
  generic: boolean;
  /** Keys that were absent or contradictory, and other things the user should know. */
  warnings: string[];
  /** dtype the weights are stored in, when the source says (config torch_dtype, quantization_config). */
  weightDtype?: string;
  /** Quantisation declared by the source (Hugging Face quantization_config). */
  quantization?: { method: string; bits?: number; groupSize?: number; skip?: string[] };
}

export const isAttention = (m: Mixer): m is AttentionMixer => m.type === 'attention';

export function attentionKind(nHead: number, nKvHead: number): 'mha' | 'gqa' | 'mqa' {
  if (nKvHead === nHead) return 'mha';
  if (nKvHead === 1) return 'mqa';
  return 'gqa';
}
