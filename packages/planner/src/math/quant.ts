/**
 * Weight formats a user can plan for, and how each assigns a storage type to each tensor.
 *
 * GGUF presets follow llama.cpp's quantiser (src/llama-quant.cpp, llama_tensor_get_type):
 * 1-D tensors (norms, biases), the MoE router (ffn_gate_inp), SSM conv/x/dt/A/D and
 * attention sinks stay f32; the output head (or the tied embedding that serves as one) is
 * Q6_K for k-quants and Q4_0/Q5_x/IQ presets; the _M presets give attn_v and ffn_down Q6_K on
 * the layers use_more_bits() picks (the first and last eighth and every third in between);
 * a row whose length is not a multiple of the block falls back to a type that fits
 * (Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0, Q2_K/Q3_K→IQ4_NL, then F16). Rarer special cases
 * (70B attn_v, 8-expert attn_k/attn_v Q8_0, IQ1/IQ2 mixes) are not modelled: a preset on a
 * config is an estimate within about 1–2 % of weights; a GGUF file's real types are exact.
 *
 * Hugging Face formats: the whole model in one dtype (f32/f16/bf16), or a quantisation
 * method (fp8, int8, int4 = GPTQ/AWQ g128, nf4 = bitsandbytes, mxfp4 = gpt-oss experts) on
 * the linear layers of the blocks, with embeddings, output head, norms and routers left in
 * the base dtype, as those libraries do by default.
 */
import { storageType, tensorBytes, type StorageType } from './dtypes.js';
import type { WeightTensor } from './tensors.js';

export const GGUF_PRESETS = ['f32', 'f16', 'bf16', 'q8_0', 'q6_k', 'q5_k_m', 'q5_k_s', 'q5_0', 'q4_k_m', 'q4_k_s', 'q4_0', 'iq4_xs', 'iq4_nl', 'q3_k_m', 'q2_k'] as const;
export const HF_PRESETS = ['f32', 'f16', 'bf16', 'fp8', 'int8', 'int4', 'nf4', 'mxfp4'] as const;
export type WeightFormat = 'gguf' | 'hf';

const KEEP_F32 = /(ffn_gate_inp|ssm_conv1d|ssm_x|ssm_dt|ssm_a$|ssm_d$|attn_sinks|ffn_gate_inp_shexp)/;
const useMoreBits = (i: number, n: number): boolean => i < n / 8 || i >= (7 * n) / 8 || (i - Math.floor(n / 8)) % 3 === 2;

const FALLBACK: Record<string, string> = { q4_k: 'q5_0', q5_k: 'q5_1', q6_k: 'q8_0', q3_k: 'iq4_nl', q2_k: 'iq4_nl', iq4_xs: 'iq4_nl' };

function ggufType(t: WeightTensor, preset: string, nLayers: number): string {
  const base = t.name.replace(/^blk\.\d+\./, '').replace(/\.(weight|bias)$/, '');
  if (t.ne.length < 2 || t.name.endsWith('.bias') || KEEP_F32.test(base)) return 'f32';
  if (preset === 'f32' || preset === 'f16' || preset === 'bf16') return preset;
  const i = t.layer ?? 0;
  const isOutput = base === 'output' || (base === 'token_embd' && t.activeFraction === 1);
  const kq = preset.startsWith('q') && preset.includes('_k');
  if (isOutput) return preset === 'q8_0' ? 'q8_0' : 'q6_k';
  const baseType: Record<string, string> = {
    q8_0: 'q8_0', q6_k: 'q6_k', q5_k_m: 'q5_k', q5_k_s: 'q5_k', q5_0: 'q5_0', q4_k_m: 'q4_k', q4_k_s: 'q4_k', q4_0: 'q4_0', iq4_xs: 'iq4_xs', iq4_nl: 'iq4_nl', q3_k_m: 'q3_k', q2_k: 'q2_k',
  };
  let ty = baseType[preset] ?? preset;
  if (kq || preset === 'q2_k') {
    const isV = base === 'attn_v';
    const isDown = base === 'ffn_down' || base === 'ffn_down_exps';
    if ((preset === 'q4_k_m' || preset === 'q5_k_m') && (isV || isDown) && useMoreBits(i, nLayers)) ty = 'q6_k';
    else if (preset === 'q4_k_s' && isDown && i < nLayers / 8) ty = 'q5_k';
    else if (preset === 'q3_k_m' && isV) ty = i < 2 ? 'q5_k' : 'q4_k';
    else if (preset === 'q3_k_m' && isDown) ty = i < nLayers / 16 ? 'q5_k' : useMoreBits(i, nLayers) ? 'q4_k' : 'q3_k';
    else if (preset === 'q3_k_m' && base === 'attn_output') ty = 'q4_k';
    else if (preset === 'q2_k' && (isV || isDown)) ty = 'q3_k';
  }
  // Rows must be whole blocks.
  for (let guard = 0; guard < 3; guard++) {
    const s = storageType(ty)!;
    if (t.ne[0]! % s.blockSize === 0) return ty;
    ty = FALLBACK[ty] ?? 'f16';
  }
  return 'f16';
}

const HF_QUANT: Record<string, string> = { fp8: 'fp8', int8: 'int8', int4: 'int4', nf4: 'nf4', mxfp4: 'mxfp4' };

function hfType(t: WeightTensor, preset: string, baseDtype: string): string {
  const q = HF_QUANT[preset];
  if (!q) return preset;
  const base = t.name.replace(/^blk\.\d+\./, '').replace(/\.(weight|bias)$/, '');
  const linearInBlock = t.layer !== null && t.ne.length >= 2 && !t.name.endsWith('.bias') && !KEEP_F32.test(base);
  if (!linearInBlock) return baseDtype;
  if (q === 'mxfp4' && !base.endsWith('_exps')) return baseDtype;
  return q;
}

export interface WeightPlanOptions {
  format: WeightFormat;
  preset: string;
  /** dtype of tensors a Hugging Face quantisation leaves alone (the config's torch_dtype). */
  baseDtype?: string;
}

export function isKnownPreset(preset: string, format: WeightFormat): boolean {
  return (format === 'gguf' ? (GGUF_PRESETS as readonly string[]) : (HF_PRESETS as readonly string[])).includes(preset);
}

/** Assign a storage type and exact byte size to every tensor (returns new objects). */
export function applyWeightFormat(tensors: readonly WeightTensor[], opts: WeightPlanOptions): WeightTensor[] {
  const nLayers = tensors.reduce((n, t) => Math.max(n, (t.layer ?? -1) + 1), 0);
  const base = normaliseDtype(opts.baseDtype ?? 'bf16');
  return tensors.map((t) => {
    const type = opts.format === 'gguf' ? ggufType(t, opts.preset, nLayers) : hfType(t, opts.preset, base);
    const s: StorageType | undefined = storageType(type);
    if (!s) throw new Error(`unknown storage type ${type}`);
    // An explicit literal, not a spread: a spread of 1,000 tensors costs milliseconds per slider move.
    return { name: t.name, layer: t.layer, ne: t.ne, elements: t.elements, activeFraction: t.activeFraction, type: s.name, bytes: tensorBytes(t.elements, s, t.ne[0]) };
  });
}

export function normaliseDtype(d: string): string {
  return storageType(d)?.name ?? 'bf16';
}

/** The Hugging Face preset a config's quantization_config implies (fp8 DeepSeek-V3, mxfp4 gpt-oss, GPTQ …). */
export function presetFromQuantization(q: { method: string; bits?: number } | undefined): string | null {
  if (!q) return null;
  const m = q.method.toLowerCase();
  if (m === 'fp8' || m === 'fbgemm_fp8' || m === 'compressed-tensors') return 'fp8';
  if (m === 'mxfp4') return 'mxfp4';
  if (m === 'bitsandbytes-4bit') return 'nf4';
  if (m === 'bitsandbytes-8bit') return 'int8';
  if (m === 'gptq' || m === 'awq' || m === 'autoround') return q.bits === 8 ? 'int8' : 'int4';
  return null;
}
