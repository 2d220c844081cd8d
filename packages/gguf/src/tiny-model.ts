import { GgufError } from './errors.js';
import { LlamaFileType } from './ggml-types.js';
import { QUANT_GGML_TYPE, quantize, type QuantType } from './quantize.js';
import { writeGguf, type GgufInputValue, type GgufTensorInput, type GgufWriteResult } from './writer.js';

/** Architectures `writeTinyModel` can build. A llama with `nExpert` is a Mixtral-style MoE. */
export type TinyArchitecture = 'llama' | 'qwen2' | 'gemma2';

export interface TinyModelOptions {
  /** Default 'llama'. */
  architecture?: TinyArchitecture;
  /** Default 2. */
  nLayer?: number;
  /** Default 64. A multiple of 32 for quantized weights. */
  nEmbd?: number;
  /** Default 4. nEmbd / nHead is the head size; it must be even (RoPE). */
  nHead?: number;
  /** Default nHead; fewer gives grouped-query attention. Must divide nHead. */
  nHeadKv?: number;
  /** Default 128. A multiple of 32 for quantized weights. */
  nFf?: number;
  /** Default 512; at least 259 (3 specials + 256 byte tokens). */
  nVocab?: number;
  /** Default 2048. */
  contextLength?: number;
  /** Encoding of the 2-D weight matrices (norms and biases are always F32). Default 'f32'. */
  weightType?: QuantType;
  /** Default 1. The same seed gives the same file, byte for byte. */
  seed?: number;
  /** `general.name`; default `tiny-<architecture>`. */
  name?: string;
  /** llama only: number of experts (Mixtral-style MoE with ffn_*_exps tensors). Default none (dense). */
  nExpert?: number;
  /** Experts used per token. Default 2 (at most nExpert). */
  nExpertUsed?: number;
  /**
   * Leave out `output.weight`, so llama.cpp reuses `token_embd.weight` for the output layer.
   * Default false for llama and qwen2 (an output matrix is written); gemma2 is always tied.
   */
  tieEmbeddings?: boolean;
  /** gemma2: sliding-window size for its local-attention layers. Default 64. */
  slidingWindow?: number;
  /** `tokenizer.chat_template`; default a ChatML template using the <|im_start|>/<|im_end|> tokens. */
  chatTemplate?: string;
}

export interface TinyModel extends GgufWriteResult {
  file: string;
  /** The metadata written, with types spelled out. */
  metadata: Record<string, GgufInputValue>;
  /** The tensors written (name, ggml type id, dims). */
  tensorShapes: { name: string; type: number; dims: number[] }[];
  /** The vocabulary, in id order. */
  tokens: string[];
  bosId: number;
  eosId: number;
}

/** ChatML: the roles and contents between <|im_start|> and <|im_end|>. */
export const TINY_CHAT_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const FILE_TYPE: Record<QuantType, number> = {
  f32: LlamaFileType.ALL_F32!,
  f16: LlamaFileType.MOSTLY_F16!,
  bf16: LlamaFileType.MOSTLY_BF16!,
  q8_0: LlamaFileType.MOSTLY_Q8_0!,
  q4_0: LlamaFileType.MOSTLY_Q4_0!,
};

const TOKEN_NORMAL = 1;
const TOKEN_UNKNOWN = 2;
const TOKEN_CONTROL = 3;
const TOKEN_BYTE = 6;
const SPACE = '\u2581'; // SentencePiece's visible space

const WORDS = (
  'the of and to in is that it for was on are as with his they at be this from have or by one had not but what all were when we there can an your which ' +
  'their said if do will each about how up out them then she many some so these would other into has more her two like him see time could no make than ' +
  'first been its who now people my made over did down only way find use may water long little very after words called just where most know hello world ' +
  'model token test tiny llama weight layer head data file write read'
).split(' ');

/** SentencePiece-style vocabulary: specials, the 256 byte tokens, chat tokens, then word pieces. */
function buildVocab(nVocab: number): { tokens: string[]; scores: Float32Array; types: Int32Array } {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_CONTROL];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_BYTE);
  }
  if (nVocab >= tokens.length + 2) {
    tokens.push('<|im_start|>', '<|im_end|>');
    types.push(TOKEN_CONTROL, TOKEN_CONTROL);
  }
  const seen = new Set(tokens);
  const pieces: string[] = [];
  const add = (p: string): void => {
    if (!seen.has(p)) {
      seen.add(p);
      pieces.push(p);
    }
  };
  const lower = 'abcdefghijklmnopqrstuvwxyz';
  const chars = `${lower}${lower.toUpperCase()}0123456789.,!?;:'"-()`;
  add(SPACE);
  for (const c of chars) add(c);
  for (const c of chars) add(SPACE + c);
  for (const w of WORDS) add(SPACE + w);
  for (const a of lower) for (const b of lower) add(a + b);
  for (const a of lower) for (const b of lower) add(SPACE + a + b);
  for (let i = 0; tokens.length + pieces.length < nVocab; i++) add(`${SPACE}w${i}`);
  const firstPiece = tokens.length;
  for (const p of pieces.slice(0, nVocab - tokens.length)) {
    tokens.push(p);
    types.push(TOKEN_NORMAL);
  }
  // Higher scores merge first in llama.cpp's SentencePiece tokenizer: earlier (shorter) pieces win.
  const scores = Float32Array.from(tokens, (_, i) => (i < firstPiece ? 0 : -(i - firstPiece)));
  return { tokens, scores, types: Int32Array.from(types) };
}

/** mulberry32: small, fast, seedable; plenty for random test weights. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashName(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const CHUNK_ELEMENTS = 64 * 1024;

/** N(0, std) values (or a constant), generated and encoded a chunk at a time. */
function* tensorChunks(type: QuantType, elements: number, seed: number, fill: { std: number } | { constant: number }): Iterable<Uint8Array> {
  const next = rng(seed);
  for (let done = 0; done < elements; done += CHUNK_ELEMENTS) {
    const n = Math.min(CHUNK_ELEMENTS, elements - done);
    const values = new Float32Array(n);
    if ('constant' in fill) values.fill(fill.constant);
    else {
      for (let i = 0; i < n; i += 2) {
        // Box–Muller: two normals from two uniforms.
        const u = 1 - next();
        const r = Math.sqrt(-2 * Math.log(u)) * fill.std;
        const th = 2 * Math.PI * next();
        values[i] = r * Math.cos(th);
        if (i + 1 < n) values[i + 1] = r * Math.sin(th);
      }
    }
    yield quantize(type, values);
  }
}

function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isSafeInteger(v) || v < min) throw new GgufError('GGUF_INVALID', `tiny model: ${name} must be an integer ≥ ${min}, got ${v}`);
  return v;
}

/**
 * Write a random-weight model that llama.cpp loads and generates from (gibberish, but real
 * inference): a SentencePiece ('llama') tokenizer with byte fallback, a ChatML chat template,
 * weights ~N(0, 0.02) from a seeded generator, norms 1.0. Architectures: 'llama' (GQA via
 * nHeadKv; MoE via nExpert), 'qwen2' (attention biases), 'gemma2' (sliding window, soft-capping,
 * tied embeddings).
 */
export async function writeTinyModel(file: string, opts: TinyModelOptions = {}): Promise<TinyModel> {
  const arch = opts.architecture ?? 'llama';
  if (arch !== 'llama' && arch !== 'qwen2' && arch !== 'gemma2') throw new GgufError('GGUF_INVALID', `tiny model: unknown architecture '${String(arch)}'`);
  const nLayer = positiveInt('nLayer', opts.nLayer ?? 2);
  const nEmbd = positiveInt('nEmbd', opts.nEmbd ?? 64);
  const nHead = positiveInt('nHead', opts.nHead ?? 4);
  const nHeadKv = positiveInt('nHeadKv', opts.nHeadKv ?? nHead);
  const nFf = positiveInt('nFf', opts.nFf ?? 128);
  const nVocab = positiveInt('nVocab', opts.nVocab ?? 512, 259);
  const nCtx = positiveInt('contextLength', opts.contextLength ?? 2048);
  const weightType = opts.weightType ?? 'f32';
  const seed = opts.seed ?? 1;
  const nExpert = opts.nExpert === undefined ? 0 : positiveInt('nExpert', opts.nExpert, 2);
  const nExpertUsed = nExpert ? positiveInt('nExpertUsed', opts.nExpertUsed ?? 2) : 0;
  if (!(weightType in QUANT_GGML_TYPE)) throw new GgufError('GGUF_INVALID', `tiny model: unknown weightType '${String(weightType)}'`);
  if (nEmbd % nHead !== 0 || (nEmbd / nHead) % 2 !== 0) throw new GgufError('GGUF_INVALID', `tiny model: nEmbd ${nEmbd} / nHead ${nHead} must be an even head size`);
  if (nHead % nHeadKv !== 0) throw new GgufError('GGUF_INVALID', `tiny model: nHeadKv ${nHeadKv} must divide nHead ${nHead}`);
  if (nExpert && arch !== 'llama') throw new GgufError('GGUF_INVALID', `tiny model: experts are built for the llama architecture only`);
  if (nExpertUsed > nExpert) throw new GgufError('GGUF_INVALID', `tiny model: nExpertUsed ${nExpertUsed} is more than nExpert ${nExpert}`);
  const block = weightType === 'q8_0' || weightType === 'q4_0' ? 32 : 1;
  if (nEmbd % block !== 0 || nFf % block !== 0) {
    throw new GgufError('GGUF_INVALID', `tiny model: ${weightType} weights need nEmbd and nFf divisible by ${block} (got ${nEmbd}, ${nFf})`);
  }
  const headDim = nEmbd / nHead;
  const nEmbdKv = headDim * nHeadKv;
  const tied = arch === 'gemma2' || (opts.tieEmbeddings ?? false);

  const vocab = buildVocab(nVocab);
  const u32 = (value: number): GgufInputValue => ({ type: 'u32', value });
  const f32v = (value: number): GgufInputValue => ({ type: 'f32', value });
  const metadata: Record<string, GgufInputValue> = {
    'general.architecture': arch,
    'general.name': opts.name ?? `tiny-${arch}`,
    'general.file_type': u32(FILE_TYPE[weightType]),
    'general.quantization_version': u32(2),
    [`${arch}.context_length`]: u32(nCtx),
    [`${arch}.embedding_length`]: u32(nEmbd),
    [`${arch}.block_count`]: u32(nLayer),
    [`${arch}.feed_forward_length`]: u32(nFf),
    [`${arch}.attention.head_count`]: u32(nHead),
    [`${arch}.attention.head_count_kv`]: u32(nHeadKv),
    [`${arch}.attention.layer_norm_rms_epsilon`]: f32v(1e-5),
    [`${arch}.rope.dimension_count`]: u32(headDim),
    [`${arch}.rope.freq_base`]: f32v(arch === 'qwen2' ? 1_000_000 : 10_000),
    [`${arch}.vocab_size`]: u32(nVocab),
  };
  if (nExpert) {
    metadata['llama.expert_count'] = u32(nExpert);
    metadata['llama.expert_used_count'] = u32(nExpertUsed);
  }
  if (arch === 'gemma2') {
    metadata['gemma2.attention.key_length'] = u32(headDim);
    metadata['gemma2.attention.value_length'] = u32(headDim);
    metadata['gemma2.attention.sliding_window'] = u32(positiveInt('slidingWindow', opts.slidingWindow ?? 64));
    metadata['gemma2.attn_logit_softcapping'] = f32v(50);
    metadata['gemma2.final_logit_softcapping'] = f32v(30);
  }
  Object.assign(metadata, {
    'tokenizer.ggml.model': 'llama',
    'tokenizer.ggml.tokens': { type: 'array', elementType: 'str', value: vocab.tokens },
    'tokenizer.ggml.scores': vocab.scores,
    'tokenizer.ggml.token_type': vocab.types,
    'tokenizer.ggml.unknown_token_id': u32(0),
    'tokenizer.ggml.bos_token_id': u32(1),
    'tokenizer.ggml.eos_token_id': u32(2),
    'tokenizer.ggml.add_bos_token': true,
    'tokenizer.ggml.add_eos_token': false,
    'tokenizer.chat_template': opts.chatTemplate ?? TINY_CHAT_TEMPLATE,
  } satisfies Record<string, GgufInputValue>);

  const shapes: { name: string; dims: number[]; kind: 'weight' | 'norm' | 'bias' | 'router' }[] = [];
  const w = (name: string, ...dims: number[]): void => void shapes.push({ name, dims, kind: 'weight' });
  const norm = (name: string): void => void shapes.push({ name, dims: [nEmbd], kind: 'norm' });
  w('token_embd.weight', nEmbd, nVocab);
  norm('output_norm.weight');
  if (!tied) w('output.weight', nEmbd, nVocab);
  for (let i = 0; i < nLayer; i++) {
    const p = `blk.${i}`;
    norm(`${p}.attn_norm.weight`);
    w(`${p}.attn_q.weight`, nEmbd, nEmbd);
    w(`${p}.attn_k.weight`, nEmbd, nEmbdKv);
    w(`${p}.attn_v.weight`, nEmbd, nEmbdKv);
    w(`${p}.attn_output.weight`, nEmbd, nEmbd);
    if (arch === 'qwen2') {
      shapes.push({ name: `${p}.attn_q.bias`, dims: [nEmbd], kind: 'bias' });
      shapes.push({ name: `${p}.attn_k.bias`, dims: [nEmbdKv], kind: 'bias' });
      shapes.push({ name: `${p}.attn_v.bias`, dims: [nEmbdKv], kind: 'bias' });
    }
    if (arch === 'gemma2') norm(`${p}.post_attention_norm.weight`);
    norm(`${p}.ffn_norm.weight`);
    if (nExpert) {
      shapes.push({ name: `${p}.ffn_gate_inp.weight`, dims: [nEmbd, nExpert], kind: 'router' });
      w(`${p}.ffn_gate_exps.weight`, nEmbd, nFf, nExpert);
      w(`${p}.ffn_down_exps.weight`, nFf, nEmbd, nExpert);
      w(`${p}.ffn_up_exps.weight`, nEmbd, nFf, nExpert);
    } else {
      w(`${p}.ffn_gate.weight`, nEmbd, nFf);
      w(`${p}.ffn_down.weight`, nFf, nEmbd);
      w(`${p}.ffn_up.weight`, nEmbd, nFf);
    }
    if (arch === 'gemma2') norm(`${p}.post_ffw_norm.weight`);
  }

  const tensors: GgufTensorInput[] = shapes.map((s) => {
    const type: QuantType = s.kind === 'weight' ? weightType : 'f32';
    const elements = s.dims.reduce((a, b) => a * b, 1);
    const fill = s.kind === 'norm' ? { constant: 1 } : { std: 0.02 };
    return { name: s.name, type: QUANT_GGML_TYPE[type], dims: s.dims, data: () => tensorChunks(type, elements, hashName(seed, s.name), fill) };
  });
  const result = await writeGguf(file, { metadata, tensors });
  return {
    ...result,
    file,
    metadata,
    tensorShapes: tensors.map((t) => ({ name: t.name, type: t.type as number, dims: [...t.dims] })),
    tokens: vocab.tokens,
    bosId: 1,
    eosId: 2,
  };
}
