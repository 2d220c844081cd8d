// Reading the header of a 70B-class GGUF (Llama-3-70B shapes: 80 layers × 9 tensors, Q4_K with
// Q6_K output, a 128,256-entry vocabulary and 280,147 merges). The file is sparse: every tensor
// is a hole, so it takes ~40 GB of address but only its header on disk. Budget: well under 100 ms
// for the default read (long arrays summarised); the full decode of every string is reported too.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { dist, median, quick, report, round, tempHome } from './lib.mjs';

const { writeGguf, readGguf } = await import(dist('gguf'));

const nLayer = 80;
const nEmbd = 8192;
const nFf = 28672;
const nHead = 64;
const nHeadKv = 8;
const nVocab = 128_256;
const nMerges = 280_147;
const headDim = nEmbd / nHead;
const u32 = (value) => ({ type: 'u32', value });
const f32 = (value) => ({ type: 'f32', value });

// Byte-level BPE-looking pieces: short ASCII with a leading 'Ġ' (two UTF-8 bytes) on some.
const tokens = Array.from({ length: nVocab }, (_, i) => (i % 3 === 0 ? `Ġt${i.toString(36)}` : `p${i.toString(36)}`));
const merges = Array.from({ length: nMerges }, (_, i) => `m${(i % 5000).toString(36)} n${(i >> 3).toString(36)}`);
const metadata = {
  'general.architecture': 'llama',
  'general.name': 'bench-70b',
  'general.file_type': u32(15),
  'general.quantization_version': u32(2),
  'llama.context_length': u32(131_072),
  'llama.embedding_length': u32(nEmbd),
  'llama.block_count': u32(nLayer),
  'llama.feed_forward_length': u32(nFf),
  'llama.attention.head_count': u32(nHead),
  'llama.attention.head_count_kv': u32(nHeadKv),
  'llama.rope.freq_base': f32(500_000),
  'llama.rope.dimension_count': u32(headDim),
  'llama.attention.layer_norm_rms_epsilon': f32(1e-5),
  'llama.vocab_size': u32(nVocab),
  'tokenizer.ggml.model': 'gpt2',
  'tokenizer.ggml.pre': 'llama-bpe',
  'tokenizer.ggml.tokens': tokens,
  'tokenizer.ggml.token_type': new Int32Array(nVocab).fill(1),
  'tokenizer.ggml.merges': merges,
  'tokenizer.ggml.bos_token_id': u32(128_000),
  'tokenizer.ggml.eos_token_id': u32(128_009),
  'tokenizer.chat_template': '{% for m in messages %}{{ m.content }}{% endfor %}'.repeat(20),
};
const tensors = [
  { name: 'token_embd.weight', type: 'Q4_K', dims: [nEmbd, nVocab], data: null },
  { name: 'output_norm.weight', type: 'F32', dims: [nEmbd], data: null },
  { name: 'output.weight', type: 'Q6_K', dims: [nEmbd, nVocab], data: null },
];
for (let i = 0; i < nLayer; i++) {
  const p = `blk.${i}`;
  tensors.push(
    { name: `${p}.attn_norm.weight`, type: 'F32', dims: [nEmbd], data: null },
    { name: `${p}.attn_q.weight`, type: 'Q4_K', dims: [nEmbd, nEmbd], data: null },
    { name: `${p}.attn_k.weight`, type: 'Q4_K', dims: [nEmbd, headDim * nHeadKv], data: null },
    { name: `${p}.attn_v.weight`, type: 'Q6_K', dims: [nEmbd, headDim * nHeadKv], data: null },
    { name: `${p}.attn_output.weight`, type: 'Q4_K', dims: [nEmbd, nEmbd], data: null },
    { name: `${p}.ffn_norm.weight`, type: 'F32', dims: [nEmbd], data: null },
    { name: `${p}.ffn_gate.weight`, type: 'Q4_K', dims: [nEmbd, nFf], data: null },
    { name: `${p}.ffn_up.weight`, type: 'Q4_K', dims: [nEmbd, nFf], data: null },
    { name: `${p}.ffn_down.weight`, type: i % 2 ? 'Q4_K' : 'Q6_K', dims: [nFf, nEmbd], data: null },
  );
}

const { dir, dispose } = await tempHome('wb-bench-gguf-');
try {
  const file = path.join(dir, 'bench-70b.gguf');
  let t = performance.now();
  const written = await writeGguf(file, { metadata, tensors });
  const writeMs = performance.now() - t;
  const st = await stat(file);

  const runs = quick ? 5 : 25;
  const summarised = [];
  let g;
  for (let r = 0; r < runs; r++) {
    t = performance.now();
    g = await readGguf(file);
    summarised.push(performance.now() - t);
  }
  if (g.tensors.length !== tensors.length || g.fileSize !== written.fileSize) throw new Error('read back a different header');
  if (g.metadata['tokenizer.ggml.tokens'].length !== nVocab) throw new Error('vocabulary summary has the wrong length');

  const full = [];
  for (let r = 0; r < (quick ? 2 : 7); r++) {
    t = performance.now();
    const f = await readGguf(file, { skipArraysLongerThan: Infinity });
    full.push(performance.now() - t);
    if (f.metadata['tokenizer.ggml.tokens'][nVocab - 1] !== tokens[nVocab - 1]) throw new Error('full read lost a token');
  }

  report('gguf-read', {
    tensors: g.tensors.length,
    fileSizeGB: round(g.fileSize / 1e9, 1),
    diskMB: round((st.blocks * 512) / 1e6, 1),
    headerMB: round(g.dataOffset / 1e6, 2),
    vocab: nVocab,
    merges: nMerges,
    writeHeaderMs: round(writeMs, 0),
    readMedianMs: round(median(summarised), 1),
    readMinMs: round(Math.min(...summarised), 1),
    readFullArraysMedianMs: round(median(full), 1),
    runs,
  });
} finally {
  await dispose();
}
