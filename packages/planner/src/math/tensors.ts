/**
 * A model's weights as a list of tensors named the way GGUF names them (blk.N.attn_q.weight,
 * ne[0] = the contiguous input dimension). Built from a ModelSpec when only a config is
 * known, or read from a GGUF/safetensors header when the file is at hand: either way the
 * per-layer weight bytes and the parameter counts are sums over the same list, so a config
 * plan and a file plan can be compared tensor by tensor.
 *
 * Shapes follow the reference implementations (transformers modeling_*.py and llama.cpp
 * llama-model.cpp); each block says which.
 */
import type { LayerSpec, ModelSpec } from './spec.js';

export interface WeightTensor {
  name: string;
  /** Block index, null for the embeddings, the final norm and the output head. */
  layer: number | null;
  ne: number[];
  elements: number;
  /** Share of the tensor read for one token: 1, or nActive / nExperts for routed experts, 0 for the embedding lookup. */
  activeFraction: number;
  /** Storage type name (`q4_k`, `bf16`) and exact bytes, once assigned or read from a file. */
  type?: string;
  bytes?: number;
}

const mk = (name: string, layer: number | null, ne: number[], activeFraction = 1): WeightTensor => ({
  name,
  layer,
  ne,
  elements: ne.reduce((a, b) => a * b, 1),
  activeFraction,
});

function layerTensors(l: LayerSpec, i: number, hidden: number): WeightTensor[] {
  const p = `blk.${i}.`;
  const out: WeightTensor[] = [];
  const add = (n: string, ne: number[], frac = 1) => out.push(mk(p + n, i, ne, frac));
  add('attn_norm.weight', [hidden]);
  if (l.norms >= 2) add('ffn_norm.weight', [hidden]);
  if (l.norms >= 4) {
    // Gemma 2/3: post-attention and post-feed-forward norms (modeling_gemma2.py).
    add('post_attention_norm.weight', [hidden]);
    add('post_ffw_norm.weight', [hidden]);
  }
  if (l.normBias) for (const t of [...out]) add(t.name.slice(p.length).replace('.weight', '.bias'), t.ne);

  const m = l.mixer;
  if (m.type === 'attention') {
    if (m.kind === 'mla' && m.mla) {
      // DeepSeek-V2/V3 (modeling_deepseek.py): q through an optional low-rank pair, kv through
      // a shared latent of kv_lora_rank plus a decoupled rope key of qk_rope_head_dim.
      const { qLoraRank, kvLoraRank, qkNopeHeadDim, qkRopeHeadDim, vHeadDim } = m.mla;
      const qOut = m.nHead * (qkNopeHeadDim + qkRopeHeadDim);
      if (qLoraRank) {
        add('attn_q_a.weight', [hidden, qLoraRank]);
        add('attn_q_a_norm.weight', [qLoraRank]);
        add('attn_q_b.weight', [qLoraRank, qOut]);
      } else add('attn_q.weight', [hidden, qOut]);
      add('attn_kv_a_mqa.weight', [hidden, kvLoraRank + qkRopeHeadDim]);
      add('attn_kv_a_norm.weight', [kvLoraRank]);
      add('attn_kv_b.weight', [kvLoraRank, m.nHead * (qkNopeHeadDim + vHeadDim)]);
      add('attn_output.weight', [m.nHead * vHeadDim, hidden]);
    } else {
      const q = m.nHead * m.headDimK * (m.outputGate ? 2 : 1);
      const k = m.nKvHead * m.headDimK;
      const v = m.nKvHead * m.headDimV;
      add('attn_q.weight', [hidden, q]);
      add('attn_k.weight', [hidden, k]);
      add('attn_v.weight', [hidden, v]);
      add('attn_output.weight', [m.nHead * m.headDimV, hidden]);
      if (m.qkvBias) {
        add('attn_q.bias', [q]);
        add('attn_k.bias', [k]);
        add('attn_v.bias', [v]);
      }
      if (m.outBias) add('attn_output.bias', [hidden]);
      if (m.qkNorm) {
        add('attn_q_norm.weight', [m.headDimK]);
        add('attn_k_norm.weight', [m.headDimK]);
      }
      // gpt-oss: one learned sink logit per head (modeling_gpt_oss.py `sinks`).
      if (m.learnedSinks) add('attn_sinks.weight', [m.nHead]);
    }
  } else if (m.kind === 'mamba') {
    // Mamba-1 (modeling_mamba.py / modeling_jamba.py JambaMambaMixer).
    add('ssm_in.weight', [hidden, 2 * m.dInner]);
    if (m.projBias) add('ssm_in.bias', [2 * m.dInner]);
    add('ssm_conv1d.weight', [m.dConv, m.dInner]);
    if (m.convBias) add('ssm_conv1d.bias', [m.dInner]);
    add('ssm_x.weight', [m.dInner, m.dtRank + 2 * m.dState]);
    add('ssm_dt.weight', [m.dtRank, m.dInner]);
    add('ssm_dt.bias', [m.dInner]);
    add('ssm_a', [m.dState, m.dInner]);
    add('ssm_d', [m.dInner]);
    if (m.innerNorms) {
      add('ssm_dt_norm.weight', [m.dtRank]);
      add('ssm_b_norm.weight', [m.dState]);
      add('ssm_c_norm.weight', [m.dState]);
    }
    add('ssm_out.weight', [m.dInner, hidden]);
    if (m.projBias) add('ssm_out.bias', [hidden]);
  } else if (m.kind === 'mamba2') {
    // Mamba-2 (modeling_mamba2.py): in_proj emits z, x, B, C and dt in one matrix.
    const convDim = m.dInner + 2 * m.nGroups * m.dState;
    add('ssm_in.weight', [hidden, 2 * m.dInner + 2 * m.nGroups * m.dState + m.nHeads]);
    add('ssm_conv1d.weight', [m.dConv, convDim]);
    if (m.convBias) add('ssm_conv1d.bias', [convDim]);
    add('ssm_dt.bias', [m.nHeads]);
    add('ssm_a', [m.nHeads]);
    add('ssm_d', [m.nHeads]);
    add('ssm_norm.weight', [m.dInner]);
    add('ssm_out.weight', [m.dInner, hidden]);
  } else {
    // Gated DeltaNet (Qwen3-Next modeling_qwen3_next.py): q,k,v,z in one projection, b,a in another.
    const keyDim = (m.nKeyHeads ?? m.nHeads) * (m.headDimK ?? m.dState);
    const valueDim = m.dInner;
    add('ssm_in.weight', [hidden, 2 * keyDim + 2 * valueDim]);
    add('ssm_ba.weight', [hidden, 2 * m.nHeads]);
    add('ssm_conv1d.weight', [m.dConv, 2 * keyDim + valueDim]);
    add('ssm_dt.bias', [m.nHeads]);
    add('ssm_a', [m.nHeads]);
    add('ssm_norm.weight', [m.headDimV ?? valueDim / m.nHeads]);
    add('ssm_out.weight', [valueDim, hidden]);
  }

  const f = l.ffn;
  if (f.type === 'dense') {
    if (f.gated) add('ffn_gate.weight', [hidden, f.intermediate]);
    add('ffn_up.weight', [hidden, f.intermediate]);
    add('ffn_down.weight', [f.intermediate, hidden]);
    if (f.bias) {
      if (f.gated) add('ffn_gate.bias', [f.intermediate]);
      add('ffn_up.bias', [f.intermediate]);
      add('ffn_down.bias', [hidden]);
    }
  } else if (f.type === 'moe') {
    const frac = f.nActive / f.nExperts;
    add('ffn_gate_inp.weight', [hidden, f.nExperts]);
    if (f.routerBias) add('ffn_gate_inp.bias', [f.nExperts]);
    if (f.gated) add('ffn_gate_exps.weight', [hidden, f.expertIntermediate, f.nExperts], frac);
    add('ffn_up_exps.weight', [hidden, f.expertIntermediate, f.nExperts], frac);
    add('ffn_down_exps.weight', [f.expertIntermediate, hidden, f.nExperts], frac);
    if (f.bias) {
      if (f.gated) add('ffn_gate_exps.bias', [f.expertIntermediate, f.nExperts], frac);
      add('ffn_up_exps.bias', [f.expertIntermediate, f.nExperts], frac);
      add('ffn_down_exps.bias', [hidden, f.nExperts], frac);
    }
    if (f.sharedIntermediate > 0) {
      add('ffn_gate_shexp.weight', [hidden, f.sharedIntermediate]);
      add('ffn_up_shexp.weight', [hidden, f.sharedIntermediate]);
      add('ffn_down_shexp.weight', [f.sharedIntermediate, hidden]);
      if (f.sharedGate) add('ffn_gate_inp_shexp.weight', [hidden]);
    }
  }
  return out;
}

/** Every weight of the model, from its spec. Tied embeddings are one tensor, used twice. */
export function specTensors(spec: ModelSpec): WeightTensor[] {
  const h = spec.hiddenSize;
  // The embedding is a row lookup (one row per token), not read whole; when tied it is also
  // the output head, which is.
  const out: WeightTensor[] = [mk('token_embd.weight', null, [h, spec.vocabSize], spec.tiedEmbeddings ? 1 : 0)];
  spec.layers.forEach((l, i) => out.push(...layerTensors(l, i, h)));
  out.push(mk('output_norm.weight', null, [h]));
  if (!spec.tiedEmbeddings) out.push(mk('output.weight', null, [h, spec.vocabSize]));
  return out;
}

export interface ParamCounts {
  total: number;
  /** Weights that take part in one token's forward pass (routed experts pro rata, no embedding lookup). */
  active: number;
  embedding: number;
}

export function countParams(tensors: readonly WeightTensor[]): ParamCounts {
  let total = 0;
  let active = 0;
  let embedding = 0;
  for (const t of tensors) {
    total += t.elements;
    active += t.elements * t.activeFraction;
    if (t.name.startsWith('token_embd')) embedding += t.elements;
  }
  return { total, active: Math.round(active), embedding };
}

/** Role of a tensor, whatever its naming (GGUF or Hugging Face), for quantisation recipes and summaries. */
export function layerOf(name: string): number | null {
  const m = /(?:^|\.)(?:blk|layers|h|block|blocks)\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : null;
}
