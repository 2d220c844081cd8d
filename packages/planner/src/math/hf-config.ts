/**
 * Hugging Face config.json → ModelSpec. Pure (takes the parsed JSON), so the web page can
 * plan a dropped config without a server. Every family the planner knows is listed in
 * FAMILIES; anything else falls back to a generic decoder-only transformer built from the
 * common keys, flagged `generic` with the keys it had to guess.
 */
import { attentionKind, type AttentionMixer, type Ffn, type LayerSpec, type Mixer, type ModelSpec, type RecurrentMixer } from './spec.js';

type Json = Record<string, unknown>;

export class ConfigError extends Error {
  constructor(message: string, readonly missing: string[] = []) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Upper bounds well above any real model, so a hostile config cannot ask for 2^53 layers. */
const LIMITS = { layers: 100_000, width: 10_000_000, vocab: 100_000_000, experts: 1_000_000, context: 1e12 };

class Reader {
  readonly missing: string[] = [];
  readonly warnings: string[] = [];
  constructor(readonly cfg: Json) {}
  /** First present key of `keys`; records the first name as missing when none is. */
  num(keys: string[], opts: { fallback?: number; max?: number; min?: number; optional?: boolean } = {}): number {
    for (const k of keys) {
      const v = this.cfg[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`config key ${k} must be a number, got ${JSON.stringify(v)?.slice(0, 40)}`);
      const min = opts.min ?? 1;
      if (v < min) throw new ConfigError(`config key ${k} must be ≥ ${min}, got ${v}`);
      if (!Number.isInteger(v)) throw new ConfigError(`config key ${k} must be an integer, got ${v}`);
      if (v > (opts.max ?? LIMITS.width)) throw new ConfigError(`config key ${k} = ${v} is beyond any real model (max ${opts.max ?? LIMITS.width})`);
      return v;
    }
    if (opts.fallback !== undefined) {
      if (!opts.optional) this.missing.push(keys[0]!);
      return opts.fallback;
    }
    if (opts.optional) return NaN;
    this.missing.push(keys[0]!);
    return NaN;
  }
  opt(keys: string[], max?: number): number | null {
    const v = this.num(keys, { optional: true, min: 0, ...(max ? { max } : {}) });
    return Number.isNaN(v) ? null : v;
  }
  bool(key: string, fallback: boolean): boolean {
    const v = this.cfg[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw new ConfigError(`config key ${key} must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }
}

interface FamilyDefaults {
  tied: boolean;
  norms: number;
  qkNorm?: boolean;
  qkvBias?: boolean;
  /** Values the transformers config class supplies when config.json leaves a key out. */
  keyDefaults?: Json;
}

/** model_type → family key and the defaults its transformers config class uses. */
const FAMILIES: Record<string, FamilyDefaults> = {
  llama: { tied: false, norms: 2 },
  mistral: { tied: false, norms: 2 },
  mixtral: { tied: false, norms: 2 },
  qwen2: { tied: false, norms: 2, qkvBias: true },
  qwen2_moe: { tied: false, norms: 2, qkvBias: true },
  qwen3: { tied: false, norms: 2, qkNorm: true },
  qwen3_moe: { tied: false, norms: 2, qkNorm: true },
  qwen3_next: { tied: false, norms: 2, qkNorm: true },
  phi3: { tied: false, norms: 2 },
  gemma: { tied: true, norms: 2 },
  gemma2: { tied: true, norms: 4 },
  gemma3: { tied: true, norms: 4, qkNorm: true },
  // Gemma3TextConfig defaults: multimodal Gemma 3 configs leave these out of text_config.
  gemma3_text: { tied: true, norms: 4, qkNorm: true, keyDefaults: { vocab_size: 262208, max_position_embeddings: 131072, sliding_window: 4096, sliding_window_pattern: 6, head_dim: 256 } },
  deepseek_v2: { tied: false, norms: 2 },
  deepseek_v3: { tied: false, norms: 2 },
  mamba: { tied: true, norms: 1 },
  mamba2: { tied: true, norms: 1 },
  jamba: { tied: false, norms: 2 },
  gpt_oss: { tied: false, norms: 2 },
};

export const KNOWN_MODEL_TYPES = Object.keys(FAMILIES);

/** A multimodal config keeps the language model under text_config; quantisation stays on top. */
function unwrap(root: Json): { cfg: Json; nested: boolean } {
  const tc = root.text_config ?? root.llm_config ?? root.language_config;
  if (tc && typeof tc === 'object' && !Array.isArray(tc)) {
    const inner = tc as Json;
    return {
      cfg: {
        ...inner,
        model_type: inner.model_type ?? root.model_type,
        architectures: root.architectures,
        quantization_config: inner.quantization_config ?? root.quantization_config,
        torch_dtype: inner.torch_dtype ?? inner.dtype ?? root.torch_dtype ?? root.dtype,
        tie_word_embeddings: inner.tie_word_embeddings ?? root.tie_word_embeddings,
      },
      nested: true,
    };
  }
  return { cfg: root, nested: false };
}

function layerTypes(r: Reader, n: number): string[] | null {
  const lt = r.cfg.layer_types;
  if (!Array.isArray(lt)) return null;
  if (lt.length !== n || lt.some((x) => typeof x !== 'string')) {
    r.warnings.push(`layer_types has ${lt.length} entries for ${n} layers; ignored`);
    return null;
  }
  return lt as string[];
}

export function parseHfConfig(input: unknown, name?: string): ModelSpec {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new ConfigError('config.json must hold a JSON object');
  const unwrapped = unwrap(input as Json);
  const nested = unwrapped.nested;
  const modelType = (typeof unwrapped.cfg.model_type === 'string' ? unwrapped.cfg.model_type : '').toLowerCase();
  const keyDefaults = FAMILIES[modelType]?.keyDefaults ?? {};
  const defaulted = Object.keys(keyDefaults).filter((k) => unwrapped.cfg[k] === undefined || unwrapped.cfg[k] === null);
  const cfg: Json = { ...unwrapped.cfg };
  for (const k of defaulted) cfg[k] = keyDefaults[k];
  const r = new Reader(cfg);
  if (defaulted.length) r.warnings.push(`keys absent from the config took ${modelType}'s documented defaults: ${defaulted.map((k) => `${k}=${JSON.stringify(keyDefaults[k])}`).join(', ')}`);
  const arch = Array.isArray(cfg.architectures) && typeof cfg.architectures[0] === 'string' ? (cfg.architectures[0] as string) : modelType || 'unknown';
  const fam = FAMILIES[modelType];
  const generic = !fam;
  if (generic) r.warnings.push(`unknown architecture '${modelType || arch}': using the generic transformer estimate (dense decoder, gated FFN, 2 norms per layer)`);
  if (nested) r.warnings.push('multimodal config: only the language model (text_config) is planned; vision/audio towers are not counted');
  const defaults: FamilyDefaults = fam ?? { tied: false, norms: 2 };

  const nLayer = r.num(['num_hidden_layers', 'n_layer', 'n_layers', 'num_layers'], { max: LIMITS.layers });
  const hidden = r.num(['hidden_size', 'd_model', 'n_embd', 'dim']);
  const vocab = r.num(['vocab_size', 'n_vocab'], { max: LIMITS.vocab });
  const maxContext = r.opt(['max_position_embeddings', 'n_positions', 'seq_length', 'max_seq_len', 'n_ctx'], LIMITS.context);
  const tied = r.bool('tie_word_embeddings', defaults.tied);

  let layers: LayerSpec[] = [];
  if (Number.isFinite(nLayer) && Number.isFinite(hidden)) {
    if (modelType === 'mamba' || modelType === 'mamba2') layers = mambaLayers(r, modelType, nLayer, hidden);
    else layers = transformerLayers(r, modelType, defaults, nLayer, hidden);
  }
  if (r.missing.length) {
    const required = r.missing.filter((k) => !['intermediate_size'].includes(k) || generic);
    if (layers.length === 0 || !Number.isFinite(vocab) || required.some((k) => ['num_hidden_layers', 'hidden_size', 'vocab_size', 'num_attention_heads'].includes(k)))
      throw new ConfigError(`config.json lacks ${r.missing.join(', ')}: cannot plan this model`, r.missing);
    r.warnings.push(`missing keys (defaults used): ${r.missing.join(', ')}`);
  }

  const dtype = (cfg.torch_dtype ?? cfg.dtype) as unknown;
  const q = cfg.quantization_config as Json | undefined;
  return {
    architecture: arch,
    family: modelType || 'generic',
    ...(name ? { name } : {}),
    hiddenSize: hidden,
    vocabSize: vocab,
    tiedEmbeddings: tied,
    maxContext,
    layers,
    generic,
    warnings: r.warnings,
    ...(typeof dtype === 'string' ? { weightDtype: dtype } : {}),
    ...(q && typeof q === 'object' ? { quantization: quantization(q) } : {}),
  };
}

function quantization(q: Json): NonNullable<ModelSpec['quantization']> {
  const method = String(q.quant_method ?? (q.load_in_4bit ? 'bitsandbytes-4bit' : q.load_in_8bit ? 'bitsandbytes-8bit' : 'unknown'));
  const bits = typeof q.bits === 'number' ? q.bits : q.load_in_4bit ? 4 : q.load_in_8bit ? 8 : undefined;
  const groupSize = typeof q.group_size === 'number' ? q.group_size : undefined;
  const skipRaw = q.modules_to_not_convert ?? q.ignored_layers ?? q.llm_int8_skip_modules;
  const skip = Array.isArray(skipRaw) ? skipRaw.filter((x): x is string => typeof x === 'string') : undefined;
  return { method, ...(bits ? { bits } : {}), ...(groupSize ? { groupSize } : {}), ...(skip ? { skip } : {}) };
}

function transformerLayers(r: Reader, mt: string, d: FamilyDefaults, nLayer: number, hidden: number): LayerSpec[] {
  const nHead = r.num(['num_attention_heads', 'n_head', 'n_heads', 'num_heads']);
  if (Number.isNaN(nHead)) return [];
  const multiQuery = r.cfg.multi_query === true;
  const nKv = multiQuery ? 1 : r.num(['num_key_value_heads', 'n_head_kv', 'num_kv_heads'], { fallback: nHead, optional: true });
  if (Number.isFinite(nHead) && nKv > nHead) throw new ConfigError(`num_key_value_heads (${nKv}) exceeds num_attention_heads (${nHead})`);
  if (Number.isFinite(nHead) && nHead % nKv !== 0) throw new ConfigError(`num_attention_heads (${nHead}) is not a multiple of num_key_value_heads (${nKv})`);
  const headDim = r.opt(['head_dim']) ?? hidden / nHead;
  if (!Number.isInteger(headDim)) throw new ConfigError(`hidden_size ${hidden} is not divisible by num_attention_heads ${nHead}; give head_dim`);
  const inter = r.num(['intermediate_size', 'n_inner', 'ffn_dim', 'ffn_hidden_size'], { fallback: 4 * hidden });
  const qkvBias = r.bool('attention_bias', d.qkvBias ?? false) || (mt === 'qwen2' || mt === 'qwen2_moe');
  const types = layerTypes(r, nLayer);

  // Sliding windows. Mistral/Phi-3: every layer; Gemma 2: even layers local (HF: is_sliding = not layer_idx % 2);
  // Gemma 3: five local then one global (sliding_window_pattern 6); Qwen2: only when use_sliding_window.
  const sw = r.opt(['sliding_window', 'attention_window'], LIMITS.context);
  const windowOf = (i: number): number | null => {
    if (types) return types[i] === 'sliding_attention' ? sw : null;
    if (sw === null || sw === 0) return null;
    if (mt === 'gemma2') return i % 2 === 0 ? sw : null;
    if (mt === 'gemma3' || mt === 'gemma3_text') {
      const pattern = r.opt(['sliding_window_pattern']) ?? 6;
      return (i + 1) % pattern === 0 ? null : sw;
    }
    if (mt === 'qwen2' || mt === 'qwen2_moe' || mt === 'qwen3' || mt === 'qwen3_moe') {
      if (!r.bool('use_sliding_window', false)) return null;
      return i >= (r.opt(['max_window_layers']) ?? nLayer) ? sw : null;
    }
    if (mt === 'mixtral' || mt === 'mistral' || mt === 'phi3' || !FAMILIES[mt]) return sw;
    return null;
  };

  const attention = (i: number): AttentionMixer => {
    const window = windowOf(i);
    if (mt === 'deepseek_v2' || mt === 'deepseek_v3') {
      const kvLoraRank = r.num(['kv_lora_rank']);
      const qkRope = r.num(['qk_rope_head_dim']);
      const qkNope = r.num(['qk_nope_head_dim']);
      const vHead = r.num(['v_head_dim']);
      const qLoraRank = r.opt(['q_lora_rank']);
      return {
        type: 'attention', kind: 'mla', nHead, nKvHead: nHead, headDimK: qkNope + qkRope, headDimV: vHead, window, sinkTokens: 0, learnedSinks: false,
        qkvBias: false, outBias: false, qkNorm: false, outputGate: false,
        mla: { qLoraRank, kvLoraRank, qkNopeHeadDim: qkNope, qkRopeHeadDim: qkRope, vHeadDim: vHead },
      };
    }
    return {
      type: 'attention', kind: attentionKind(nHead, nKv), nHead, nKvHead: nKv, headDimK: headDim, headDimV: headDim, window,
      sinkTokens: 0, learnedSinks: mt === 'gpt_oss', qkvBias, outBias: mt === 'gpt_oss', qkNorm: d.qkNorm ?? false, outputGate: mt === 'qwen3_next',
    };
  };

  // Recurrent layers of hybrid stacks.
  const jambaMamba = (): RecurrentMixer => {
    const expand = r.num(['mamba_expand'], { fallback: 2 });
    const dState = r.num(['mamba_d_state'], { fallback: 16 });
    return {
      type: 'recurrent', kind: 'mamba', dInner: expand * hidden, dState, dConv: r.num(['mamba_d_conv'], { fallback: 4 }),
      dtRank: r.opt(['mamba_dt_rank']) ?? Math.ceil(hidden / 16), nGroups: 1, nHeads: 1,
      convBias: r.bool('mamba_conv_bias', true), projBias: r.bool('mamba_proj_bias', false), innerNorms: true,
    };
  };
  const deltaNet = (): RecurrentMixer => {
    const nK = r.num(['linear_num_key_heads']);
    const nV = r.num(['linear_num_value_heads']);
    const dk = r.num(['linear_key_head_dim']);
    const dv = r.num(['linear_value_head_dim']);
    return {
      type: 'recurrent', kind: 'gated-deltanet', dInner: nV * dv, dState: dk, dConv: r.num(['linear_conv_kernel_dim'], { fallback: 4 }),
      dtRank: nV, nGroups: 1, nHeads: nV, nKeyHeads: nK, headDimK: dk, headDimV: dv, convBias: false, projBias: false, innerNorms: false,
    };
  };

  const mixer = (i: number): Mixer => {
    if (mt === 'jamba') {
      const period = r.num(['attn_layer_period'], { fallback: 8 });
      const offset = r.num(['attn_layer_offset'], { fallback: 4, min: 0 });
      return i % period === offset ? attention(i) : jambaMamba();
    }
    if (mt === 'qwen3_next') {
      if (types) return types[i] === 'linear_attention' ? deltaNet() : attention(i);
      const interval = r.num(['full_attention_interval'], { fallback: 4 });
      return (i + 1) % interval === 0 ? attention(i) : deltaNet();
    }
    return attention(i);
  };

  const gatedDense = (size: number): Ffn => ({ type: 'dense', intermediate: size, gated: true, bias: false });
  const ffn = (i: number): Ffn => {
    switch (mt) {
      case 'mixtral':
        return moe(r.num(['num_local_experts']), r.num(['num_experts_per_tok']), inter, 0, 0);
      case 'gpt_oss':
        return { ...moe(r.num(['num_local_experts']), r.num(['num_experts_per_tok', 'experts_per_token']), inter, 0, 0), bias: true, routerBias: true };
      case 'qwen2_moe':
      case 'qwen3_moe':
      case 'qwen3_next': {
        const step = r.num(['decoder_sparse_step'], { fallback: 1, optional: true });
        const mlpOnly = Array.isArray(r.cfg.mlp_only_layers) ? (r.cfg.mlp_only_layers as unknown[]) : [];
        const nExp = r.num(['num_experts']);
        if (mlpOnly.includes(i) || !((i + 1) % step === 0)) return gatedDense(inter);
        const shared = r.opt(['shared_expert_intermediate_size']) ?? 0;
        return { ...moe(nExp, r.num(['num_experts_per_tok']), r.num(['moe_intermediate_size']), shared ? 1 : 0, shared), sharedGate: shared > 0 };
      }
      case 'deepseek_v2':
      case 'deepseek_v3': {
        const firstDense = r.num(['first_k_dense_replace'], { fallback: 0, min: 0 });
        const freq = r.num(['moe_layer_freq'], { fallback: 1 });
        const nRouted = r.opt(['n_routed_experts']);
        if (!nRouted || i < firstDense || i % freq !== 0) return gatedDense(inter);
        const moeInter = r.num(['moe_intermediate_size']);
        const nShared = r.num(['n_shared_experts'], { fallback: 0, min: 0 });
        return { ...moe(nRouted, r.num(['num_experts_per_tok']), moeInter, nShared, nShared * moeInter), routerBias: mt === 'deepseek_v3' || r.cfg.topk_method === 'noaux_tc' };
      }
      case 'jamba': {
        const period = r.num(['expert_layer_period'], { fallback: 2 });
        const offset = r.num(['expert_layer_offset'], { fallback: 1, min: 0 });
        const nExp = r.num(['num_experts'], { fallback: 16 });
        return i % period === offset && nExp > 1 ? moe(nExp, r.num(['num_experts_per_tok'], { fallback: 2 }), inter, 0, 0) : gatedDense(inter);
      }
      default: {
        const nExp = r.opt(['num_local_experts', 'num_experts', 'n_routed_experts']);
        if (nExp && nExp > 1 && !FAMILIES[mt]) return moe(nExp, r.num(['num_experts_per_tok'], { fallback: 2 }), r.opt(['moe_intermediate_size']) ?? inter, 0, 0);
        return gatedDense(inter);
      }
    }
  };

  const layers: LayerSpec[] = [];
  for (let i = 0; i < nLayer; i++) layers.push({ mixer: mixer(i), ffn: ffn(i), norms: d.norms, normBias: false });
  return layers;
}

function moe(nExperts: number, nActive: number, expertIntermediate: number, nShared: number, sharedIntermediate: number): Ffn & { type: 'moe' } {
  if (nActive > nExperts) throw new ConfigError(`num_experts_per_tok (${nActive}) exceeds the number of experts (${nExperts})`);
  if (nExperts > LIMITS.experts) throw new ConfigError(`${nExperts} experts is beyond any real model`);
  return { type: 'moe', nExperts, nActive, expertIntermediate, nShared, sharedIntermediate, gated: true, bias: false, sharedGate: false, routerBias: false };
}

function mambaLayers(r: Reader, mt: string, nLayer: number, hidden: number): LayerSpec[] {
  const expand = r.num(['expand'], { fallback: 2 });
  const dInner = r.opt(['intermediate_size', 'd_inner']) ?? expand * hidden;
  const dState = r.num(['state_size', 'd_state'], { fallback: 16 });
  const dConv = r.num(['conv_kernel', 'd_conv'], { fallback: 4 });
  let mixer: RecurrentMixer;
  if (mt === 'mamba2') {
    const nHeads = r.num(['num_heads'], { fallback: dInner / 64 });
    const nGroups = r.num(['n_groups'], { fallback: 1 });
    mixer = { type: 'recurrent', kind: 'mamba2', dInner, dState, dConv, dtRank: nHeads, nGroups, nHeads, convBias: r.bool('use_conv_bias', true), projBias: r.bool('use_bias', false), innerNorms: false };
  } else {
    const tsr = r.cfg.time_step_rank;
    // "auto" is ceil(hidden / 16) (MambaConfig).
    const dtRank = typeof tsr === 'number' ? tsr : Math.ceil(hidden / 16);
    mixer = { type: 'recurrent', kind: 'mamba', dInner, dState, dConv, dtRank, nGroups: 1, nHeads: 1, convBias: r.bool('use_conv_bias', true), projBias: r.bool('use_bias', false), innerNorms: false };
  }
  return Array.from({ length: nLayer }, () => ({ mixer, ffn: { type: 'none' } as const, norms: 1, normBias: false }));
}
