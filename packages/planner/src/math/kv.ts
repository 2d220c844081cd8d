/**
 * KV cache and recurrent state, per layer.
 *
 * Softmax attention caches, for every token kept and every layer, one K and one V vector per
 * KV head:  bytes/token/layer = n_kv_heads · (head_dim_k + head_dim_v) · bytes(dtype).
 *   MHA: n_kv_heads = n_heads; GQA: fewer (Llama-3.1-8B: 8 of 32); MQA: one (Gemma-3-1B).
 *   (Vaswani et al. 2017; Ainslie et al. 2023, "GQA"; Shazeer 2019, "MQA".)
 * MLA (DeepSeek-V2 §2.1.2) caches one compressed latent c_KV of kv_lora_rank plus the
 *   decoupled RoPE key of qk_rope_head_dim, shared by all heads:
 *   elements/token/layer = kv_lora_rank + qk_rope_head_dim (512 + 64 = 576 for DeepSeek-V2/V3).
 *   An engine that decompresses (transformers' eager DeepSeek code) caches
 *   n_heads · (qk_nope + qk_rope) for K and n_heads · v_head_dim for V instead.
 * Sliding window (Mistral, Gemma 2/3 local layers, gpt-oss): a layer keeps at most
 *   window (+ attention-sink tokens) tokens. llama.cpp sizes its SWA cache, per sequence
 *   stream, as min(n_ctx_seq, pad256(window + n_ubatch + 1)) cells (measured: window 128,
 *   ubatch 256 → 512 cells; window 256, ubatch 512 → 1024).
 * Quantised caches (q8_0, q4_0 …) store whole blocks per row of n_kv_heads · head_dim.
 *
 * Recurrent layers keep a state per sequence, constant in context length:
 *   Mamba-1 (Gu & Dao 2023): conv (d_conv − 1) · d_inner + SSM d_inner · d_state;
 *   Mamba-2 (Dao & Gu 2024): conv (d_conv − 1) · (d_inner + 2 · n_groups · d_state) + SSM n_heads · head_dim · d_state (= d_inner · d_state);
 *   Gated DeltaNet (Qwen3-Next): conv (d_conv − 1) · (2 · key_dim + value_dim) + n_v_heads · head_k_dim · head_v_dim.
 */
import { storageType, tensorBytes, type KvDtype } from './dtypes.js';
import type { EngineProfile } from './engines.js';
import type { AttentionMixer, LayerSpec, RecurrentMixer } from './spec.js';

/** Elements of K and of V cached per token for one attention layer. */
export function kvElementsPerToken(m: AttentionMixer, mlaLatent: boolean): { k: number; v: number } {
  if (m.kind === 'mla' && m.mla) {
    if (mlaLatent) return { k: m.mla.kvLoraRank + m.mla.qkRopeHeadDim, v: 0 };
    return { k: m.nHead * (m.mla.qkNopeHeadDim + m.mla.qkRopeHeadDim), v: m.nHead * m.mla.vHeadDim };
  }
  return { k: m.nKvHead * m.headDimK, v: m.nKvHead * m.headDimV };
}

export const padTo = (n: number, multiple: number): number => (multiple <= 1 ? n : Math.ceil(n / multiple) * multiple);

export interface CacheSettings {
  /** Tokens per sequence. */
  context: number;
  /** Parallel sequences, each with its own context. */
  batch: number;
  kvDtype: KvDtype;
  /** llama.cpp physical batch (n_ubatch); it sizes SWA caches and compute buffers. */
  ubatch: number;
}

/** Cells one attention layer holds for all sequences. */
export function cacheCells(m: AttentionMixer, s: CacheSettings, engine: EngineProfile): number {
  const full = padTo(s.context, engine.kvPadTokens) * s.batch;
  if (m.window === null) return full;
  const w = m.window + m.sinkTokens;
  // llama.cpp keeps one stream per sequence (kv_unified = false); each SWA stream holds
  // pad256(window + n_ubatch + 1) cells at most.
  if (engine.name === 'llama.cpp') return Math.min(full, padTo(w + Math.min(s.ubatch, s.context * s.batch) + 1, engine.kvPadTokens) * s.batch);
  return Math.min(full, padTo(Math.min(w, s.context), engine.kvPadTokens) * s.batch);
}

export interface LayerCache {
  cells: number;
  kBytes: number;
  vBytes: number;
  stateBytes: number;
}

export function layerCache(l: LayerSpec, s: CacheSettings, engine: EngineProfile): LayerCache {
  const m = l.mixer;
  if (m.type === 'recurrent') return { cells: 0, kBytes: 0, vBytes: 0, stateBytes: recurrentStateElements(m) * engine.stateBytes * s.batch };
  const cells = cacheCells(m, s, engine);
  const { k, v } = kvElementsPerToken(m, engine.mlaLatentCache);
  const dt = storageType(s.kvDtype === 'fp8' ? 'fp8' : s.kvDtype)!;
  return { cells, kBytes: k ? tensorBytes(k * cells, dt, k) : 0, vBytes: v ? tensorBytes(v * cells, dt, v) : 0, stateBytes: 0 };
}

/** State elements one recurrent layer keeps per sequence. */
export function recurrentStateElements(m: RecurrentMixer): number {
  if (m.kind === 'mamba') return (m.dConv - 1) * m.dInner + m.dInner * m.dState;
  if (m.kind === 'mamba2') return (m.dConv - 1) * (m.dInner + 2 * m.nGroups * m.dState) + m.dInner * m.dState;
  const keyDim = (m.nKeyHeads ?? m.nHeads) * (m.headDimK ?? m.dState);
  return (m.dConv - 1) * (2 * keyDim + m.dInner) + m.nHeads * (m.headDimK ?? m.dState) * (m.headDimV ?? m.dInner / m.nHeads);
}
