/**
 * Scratch memory for one forward pass.
 *
 * llama.cpp reserves a compute buffer sized for its worst-case graph: a physical batch of
 * u = min(n_ubatch, n_ctx) tokens with logits for all of them. ggml-alloc reuses freed
 * tensors, so the buffer is the high-water mark of the tensors alive at once, not their sum.
 * Measured on this llama.cpp build (36 random dense shapes + MoE, GQA, Gemma-2 SWA, tied,
 * multi-sequence models; see engine-compare.integration.test.ts), the peak is the largest of
 * three phases (sizes in bytes, f32 activations, E = n_embd):
 *
 *   inputs    = Σ caches [ mask: cells · u · (4, or 2 with flash attention)
 *                         + V row indices: u · n_embd_v_gqa · 8 (u · 8 with flash attention)
 *                         + K row indices: u · 8 ] + 16 · u
 *   attention = inputs + (no FA: cells · u · n_head · 4 for KQ, soft-maxed in place) + 5 · E · u · 4
 *   ffn       = (inputs, unless the model has one layer) + dense: 3 · n_ff · u · 4 + (3; 4 with FA over an f16/f32 cache) · E · u · 4
 *                                                          MoE:   3 · n_ff_exp · k · u · 4 + (k + 2) · E · u · 4 + 3 · n_expert · u · 4
 *   output    = n_vocab · u · 4 + 2 · E · u · 4
 *
 * `cells` is one sequence's stream: llama.cpp (kv_unified = false, node-llama-cpp's default)
 * keeps a KV stream per sequence and the attention graph spans one stream.
 *
 * Limits, stated plainly: the allocator's placement adds up to about two E-vectors
 * (2 · E · u · 4 bytes) of fragmentation in some shapes. bench/planner.bench.mjs sweeps 16
 * random shapes: median error 0.04 %, 13 of 16 within 2 %, the worst −14 % (flash attention
 * where the output logits are the peak and two more E-vectors stay below them); recurrent (SSM) graphs are not modelled from measurement; GPU
 * backends allocate a compute buffer per device with the same graph, which this applies to
 * as an estimate.
 */
import { kvElementsPerToken, type LayerCache } from './kv.js';
import type { ModelSpec } from './spec.js';

export interface ComputeSettings {
  ubatch: number;
  /** Total KV cells (all sequences). */
  context: number;
  flashAttention: boolean;
  /** Sequences: llama.cpp keeps one KV stream per sequence, and the attention graph spans one stream's cells. */
  streams: number;
  /** KV cache in a block-quantised type (q8_0, q4_0 …). */
  quantizedKv: boolean;
}

export function llamaCppComputeBytes(spec: ModelSpec, caches: readonly LayerCache[], s: ComputeSettings): number {
  const u = Math.min(s.ubatch, s.context);
  const E = spec.hiddenSize;
  const fa = s.flashAttention;
  // llama.cpp keeps one cache per distinct layer kind (full and SWA); each has its mask and index inputs.
  const groups = new Map<string, number>();
  let attnPeak = 0;
  let ffnPeak = 0;
  spec.layers.forEach((l, i) => {
    const c = caches[i]!;
    const m = l.mixer;
    const qWidth = m.type === 'attention' ? Math.max(E, m.nHead * m.headDimK) : E;
    if (m.type === 'attention') {
      const cells = c.cells / Math.max(1, s.streams);
      const vDim = kvElementsPerToken(m, true).v;
      const idx = fa ? u * 8 : u * vDim * 8;
      const key = m.window === null ? 'full' : 'swa';
      groups.set(key, Math.max(groups.get(key) ?? 0, cells * u * (fa ? 2 : 4) + idx + u * 8));
      attnPeak = Math.max(attnPeak, (fa ? 0 : cells * u * m.nHead * 4) + 5 * qWidth * u * 4);
    } else {
      attnPeak = Math.max(attnPeak, 5 * E * u * 4);
    }
    const f = l.ffn;
    if (f.type === 'dense') ffnPeak = Math.max(ffnPeak, 3 * f.intermediate * u * 4 + (fa && !s.quantizedKv ? 4 : 3) * E * u * 4);
    else if (f.type === 'moe') ffnPeak = Math.max(ffnPeak, 3 * f.expertIntermediate * f.nActive * u * 4 + (f.nActive + 2) * E * u * 4 + 3 * f.nExperts * u * 4);
  });
  let inputs = 16 * u;
  for (const g of groups.values()) inputs += g;
  const attention = inputs + attnPeak;
  const ffn = (spec.layers.length > 1 ? inputs : 0) + ffnPeak;
  const output = spec.vocabSize * u * 4 + 2 * E * u * 4;
  return Math.max(attention, ffn, output);
}

/**
 * Other engines: one forward pass of `tokens` tokens at 2 bytes per activation — the
 * residual stream, q/k/v, the FFN intermediate (×2 for gate and up), plus fp32 logits for
 * the tokens that need them. An estimate, labelled as such.
 */
export function activationEstimateBytes(spec: ModelSpec, tokens: number, logitsTokens: number): number {
  let ff = 0;
  for (const l of spec.layers) {
    const f = l.ffn;
    if (f.type === 'dense') ff = Math.max(ff, f.intermediate);
    else if (f.type === 'moe') ff = Math.max(ff, f.expertIntermediate * f.nActive + f.sharedIntermediate);
  }
  return tokens * (6 * spec.hiddenSize + 2 * ff) * 2 + logitsTokens * spec.vocabSize * 4;
}
