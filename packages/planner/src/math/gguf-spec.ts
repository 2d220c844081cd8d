/**
 * GGUF header (metadata + tensor infos, as @workbench/gguf reads them) → ModelSpec and the
 * file's exact weight tensors. Pure: it takes the parsed header, never the file.
 *
 * Keys are llama.cpp's (gguf-py/gguf/constants.py): `<arch>.block_count`,
 * `<arch>.attention.head_count[_kv]` (a number, or an array per layer for hybrids where 0
 * marks a recurrent layer), `<arch>.attention.key_length/value_length`,
 * `<arch>.attention.sliding_window`, `<arch>.expert_*`, `<arch>.attention.kv_lora_rank`,
 * `<arch>.ssm.*`. Where a key is missing the tensor shapes decide (a layer with ssm_in is
 * recurrent; token_embd's ne[1] is the vocabulary).
 */
import { attentionKind, type AttentionMixer, type Ffn, type LayerSpec, type ModelSpec, type RecurrentMixer } from './spec.js';
import type { WeightTensor } from './tensors.js';

export interface GgufHeaderLike {
  metadata: Record<string, unknown>;
  tensors: ReadonlyArray<{ name: string; typeName: string; dims: readonly number[]; elements: number; bytes: number }>;
}

/** llama.cpp applies sliding windows for these architectures, with this layer pattern (set_swa_pattern). */
const SWA_PATTERN: Record<string, number> = { gemma2: 2, gemma3: 6, gemma3n: 5, cohere2: 4, 'gpt-oss': 2 };

export function ggufSpec(h: GgufHeaderLike, name?: string): { spec: ModelSpec; tensors: WeightTensor[] } {
  const md = h.metadata;
  const warnings: string[] = [];
  const arch = typeof md['general.architecture'] === 'string' ? (md['general.architecture'] as string) : 'unknown';
  const key = (k: string) => md[`${arch}.${k}`];
  const numOf = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : undefined);
  const perLayer = (k: string, i: number): number | undefined => {
    const v = key(k);
    if (Array.isArray(v)) return numOf(v[i]);
    return numOf(v);
  };
  const byName = new Map(h.tensors.map((t) => [t.name, t]));
  const embd = byName.get('token_embd.weight');
  let nLayer = numOf(key('block_count'));
  if (nLayer === undefined) {
    warnings.push(`${arch}.block_count missing: counted blk.N tensors`);
    nLayer = h.tensors.reduce((n, t) => Math.max(n, (/^blk\.(\d+)\./.exec(t.name)?.[1] ? Number(/^blk\.(\d+)\./.exec(t.name)![1]) + 1 : 0)), 0);
  }
  const hidden = numOf(key('embedding_length')) ?? embd?.dims[0] ?? NaN;
  const vocab = embd?.dims[1] ?? numOf(key('vocab_size')) ?? NaN;
  if (!Number.isFinite(hidden) || !Number.isFinite(vocab) || !nLayer) throw new Error(`GGUF lacks ${[!Number.isFinite(hidden) && `${arch}.embedding_length`, !Number.isFinite(vocab) && 'token_embd.weight', !nLayer && `${arch}.block_count`].filter(Boolean).join(', ')}: cannot plan this model`);
  const known = ['llama', 'qwen2', 'qwen3', 'qwen2moe', 'qwen3moe', 'gemma', 'gemma2', 'gemma3', 'phi3', 'deepseek2', 'mamba', 'mamba2', 'jamba', 'gpt-oss', 'qwen3next', 'mistral3', 'granite', 'olmo2', 'starcoder2', 'falcon-h1'];
  const generic = !known.includes(arch);
  if (generic) warnings.push(`architecture '${arch}' is not one the planner knows: layers built from the generic keys and tensor shapes`);
  const swaPattern = SWA_PATTERN[arch];
  const window = numOf(key('attention.sliding_window')) ?? null;
  const swaFlags = key('attention.sliding_window_pattern');
  const nExpert = numOf(key('expert_count')) ?? 0;
  const nUsed = numOf(key('expert_used_count')) ?? 0;
  const leadingDense = numOf(key('leading_dense_block_count')) ?? 0;

  const layers: LayerSpec[] = [];
  for (let i = 0; i < nLayer; i++) {
    const p = `blk.${i}.`;
    const has = (n: string) => byName.has(p + n);
    const nHead = perLayer('attention.head_count', i) ?? 0;
    const nKv = perLayer('attention.head_count_kv', i) ?? nHead;
    const recurrent = has('ssm_in.weight') || (nKv === 0 && Array.isArray(key('attention.head_count_kv')));
    let mixer: AttentionMixer | RecurrentMixer;
    if (recurrent) {
      const dInner = numOf(key('ssm.inner_size')) ?? 2 * hidden;
      const dState = numOf(key('ssm.state_size')) ?? 16;
      const dConv = numOf(key('ssm.conv_kernel')) ?? 4;
      const groups = numOf(key('ssm.group_count')) ?? 0;
      const dtRank = numOf(key('ssm.time_step_rank')) ?? Math.ceil(hidden / 16);
      const kind = arch === 'mamba2' || groups > 0 ? 'mamba2' : arch === 'qwen3next' ? 'gated-deltanet' : 'mamba';
      mixer = { type: 'recurrent', kind, dInner, dState, dConv, dtRank, nGroups: Math.max(1, groups), nHeads: kind === 'mamba2' ? dtRank : 1, convBias: has('ssm_conv1d.bias'), projBias: has('ssm_in.bias'), innerNorms: has('ssm_dt_norm.weight') };
    } else {
      if (!nHead) throw new Error(`GGUF lacks ${arch}.attention.head_count: cannot plan this model`);
      const kvLora = numOf(key('attention.kv_lora_rank'));
      const keyLen = numOf(key('attention.key_length')) ?? hidden / nHead;
      const valLen = numOf(key('attention.value_length')) ?? keyLen;
      const isSwa = window !== null && window > 0 && (Array.isArray(swaFlags) ? Boolean(swaFlags[i]) : swaPattern !== undefined && i % swaPattern < swaPattern - 1);
      const base = { type: 'attention' as const, nHead, headDimK: keyLen, headDimV: valLen, window: isSwa ? window : null, sinkTokens: 0, learnedSinks: has('attn_sinks.weight'), qkvBias: has('attn_q.bias'), outBias: has('attn_output.bias'), qkNorm: has('attn_q_norm.weight'), outputGate: false };
      if (kvLora && arch === 'deepseek2') {
        const rope = numOf(key('rope.dimension_count')) ?? 64;
        // Files converted for MLA (split attn_k_b/attn_v_b) run with the latent cache; older
        // ones with attn_kv_b make llama.cpp cache full per-head K and V.
        const latent = has('attn_k_b.weight') || !has('attn_kv_b.weight');
        const keyMla = numOf(key('attention.key_length_mla')) ?? keyLen;
        const valMla = numOf(key('attention.value_length_mla')) ?? valLen;
        const qLora = numOf(key('attention.q_lora_rank')) ?? null;
        mixer = { ...base, kind: 'mla', nKvHead: nHead, headDimK: keyMla, headDimV: valMla, mla: { qLoraRank: qLora, kvLoraRank: kvLora, qkNopeHeadDim: keyMla - rope, qkRopeHeadDim: rope, vHeadDim: valMla } };
        if (!latent) {
          warnings.push('this DeepSeek GGUF predates llama.cpp\'s MLA conversion (attn_kv_b): llama.cpp caches full per-head K and V for it');
          mixer = { ...base, kind: 'mha', nKvHead: nHead, headDimK: keyMla, headDimV: valMla };
        }
      } else mixer = { ...base, kind: attentionKind(nHead, nKv), nKvHead: nKv };
    }
    let ffn: Ffn = { type: 'none' };
    if (has('ffn_up_exps.weight') && nExpert > 0 && i >= leadingDense) {
      const shexp = byName.get(p + 'ffn_up_shexp.weight');
      ffn = {
        type: 'moe', nExperts: nExpert, nActive: nUsed || 1, expertIntermediate: numOf(key('expert_feed_forward_length')) ?? byName.get(p + 'ffn_up_exps.weight')!.dims[1]!,
        nShared: shexp ? numOf(key('expert_shared_count')) ?? 1 : 0, sharedIntermediate: shexp?.dims[1] ?? 0, gated: has('ffn_gate_exps.weight'), bias: has('ffn_up_exps.bias'), sharedGate: has('ffn_gate_inp_shexp.weight'), routerBias: has('exp_probs_b.bias') || has('ffn_gate_inp.bias'),
      };
    } else if (has('ffn_up.weight')) {
      ffn = { type: 'dense', intermediate: perLayer('feed_forward_length', i) ?? byName.get(p + 'ffn_up.weight')!.dims[1]!, gated: has('ffn_gate.weight'), bias: has('ffn_up.bias') };
    }
    layers.push({ mixer, ffn, norms: has('post_ffw_norm.weight') ? 4 : has('ffn_norm.weight') ? 2 : 1, normBias: has('attn_norm.bias') });
  }

  const hasOutput = byName.has('output.weight');
  const gname = name ?? (typeof md['general.name'] === 'string' ? (md['general.name'] as string) : undefined);
  const tensors: WeightTensor[] = h.tensors.map((t) => {
    const m = /^blk\.(\d+)\./.exec(t.name);
    const frac = t.name === 'token_embd.weight' ? (hasOutput ? 0 : 1) : /_exps\./.test(t.name) && nExpert > 0 ? (nUsed || 1) / nExpert : 1;
    return { name: t.name, layer: m ? Number(m[1]) : null, ne: [...t.dims], elements: t.elements, activeFraction: frac, type: t.typeName.toLowerCase(), bytes: t.bytes };
  });
  const spec: ModelSpec = {
    architecture: arch,
    family: arch,
    ...(gname ? { name: gname } : {}),
    hiddenSize: hidden,
    vocabSize: vocab,
    tiedEmbeddings: !hasOutput,
    maxContext: numOf(key('context_length')) ?? null,
    layers,
    generic,
    warnings,
  };
  return { spec, tensors };
}
