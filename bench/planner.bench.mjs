// The planner: (1) predicted vs measured memory for real llama.cpp CPU loads of small GGUF
// models of several architectures and weight types (the accuracy table); (2) the time of a
// full plan (budget < 5 ms) for dense, MoE/MLA and hybrid models; (3) the time to read the
// metadata of a 70B-class GGUF and of a 30-shard safetensors model (budget < 100 ms; sparse
// files: headers on disk, weights are holes).
import { mkdir, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dist, median, quick, report, root, round, tempHome } from './lib.mjs';

const planner = await import(dist('planner'));
const { writeGguf } = await import(dist('gguf'));
const { ENGINE_CASES, engineHarness } = await import(path.join(root, 'packages', 'planner', 'dist', 'testing', 'engine-compare.js'));
const configs = path.join(root, 'packages', 'planner', 'src', 'fixtures', 'configs');

const MiB = 1024 * 1024;
const timeIt = (runs, fn) => {
  const xs = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    xs.push(performance.now() - t);
  }
  return xs;
};

const { dir, dispose } = await tempHome('wb-bench-planner-');
try {
  // (1) accuracy against llama.cpp
  const harness = await engineHarness(path.join(dir));
  const accuracy = [];
  try {
    for (const c of quick ? ENGINE_CASES.slice(0, 2) : ENGINE_CASES) {
      const r = await harness.run(c);
      accuracy.push({
        case: c.name,
        ...Object.fromEntries(r.rows.map((x) => [x.component, { predictedMiB: round(x.predicted / MiB, 3), measuredMiB: round(x.measured / MiB, 2), errorPct: round(x.errorPct, 2) }])),
      });
    }
  } catch (e) {
    await harness.dispose();
    throw e;
  }
  const worst = (comp) => Math.max(...accuracy.map((a) => Math.abs(a[comp]?.errorPct ?? 0)));

  // The compute-buffer model beyond the chosen cases: random dense/MoE shapes and settings
  // (seeded), to state its error distribution honestly. Skipped in quick mode.
  const sweep = [];
  if (!quick) {
    let seed = 12345;
    const rnd = (xs) => xs[Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * xs.length)]; // high bits: the low ones of an LCG cycle
    const harness2 = harness; // one llama.cpp instance per process: its log goes to the first logger
    try {
      for (let i = 0; i < 16; i++) {
        const nHead = rnd([4, 8, 16]);
        const c = {
          name: `sweep-${i}`,
          model: { architecture: rnd(['llama', 'llama', 'qwen2', 'gemma2']), nLayer: rnd([2, 3, 4]), nEmbd: rnd([256, 512, 768]), nHead, nHeadKv: rnd([1, 2, 4].filter((k) => nHead % k === 0)), nFf: rnd([512, 1024, 2048, 4096]), nVocab: rnd([1000, 8000, 32000]), contextLength: 16384, weightType: 'q8_0', seed: i },
          context: rnd([512, 1024, 2048, 3000, 4096]),
          ubatch: rnd([128, 256, 512]),
          flashAttention: rnd([false, true]),
        };
        if (c.model.architecture === 'gemma2') c.model.slidingWindow = rnd([64, 256]);
        const r = await harness2.run(c);
        const row = r.rows.find((x) => x.component === 'compute');
        sweep.push({ ...c.model, context: c.context, ubatch: c.ubatch, flashAttention: c.flashAttention, computeErrorPct: round(row.errorPct, 2), totalErrorPct: round(r.rows.find((x) => x.component === 'total').errorPct, 2) });
      }
    } finally {
      await harness2.dispose();
    }
  }
  if (quick) await harness.dispose();
  const absSorted = (k) => sweep.map((x) => Math.abs(x[k])).sort((a, b) => a - b);

  // (2) a full plan: every layer, fit, largest context (binary search) and speed
  const gpu = planner.findGpu('h100');
  const planTimes = {};
  for (const [name, quant, engine] of [['llama-3.1-8b', 'q4_k_m', 'llama.cpp'], ['deepseek-v3', 'fp8', 'vllm'], ['jamba-v0.1', 'q8_0', 'llama.cpp'], ['qwen3-next-80b-a3b-instruct', 'bf16', 'vllm']]) {
    const spec = planner.parseHfConfig(JSON.parse(await (await import('node:fs/promises')).readFile(path.join(configs, `${name}.json`), 'utf8')));
    const prepared = planner.prepareWeights(spec, undefined, planner.ENGINE_PROFILES[engine], quant);
    const settings = { engine, context: 32768, batch: 4, gpu };
    timeIt(20, () => planner.plan(prepared, settings));
    const slider = timeIt(quick ? 50 : 300, () => planner.plan(prepared, settings));
    const cold = timeIt(quick ? 10 : 50, () => planner.plan(planner.prepareWeights(spec, undefined, planner.ENGINE_PROFILES[engine], quant), settings));
    planTimes[name] = { layers: spec.layers.length, planMedianMs: round(median(slider), 3), planMaxMs: round(Math.max(...slider), 3), withWeightsMedianMs: round(median(cold), 3) };
  }

  // (3a) a 70B-class GGUF header (Llama-3-70B shapes in Q8_0: a 75 GB file), through loadSource → spec → plan
  const nLayer = 80, nEmbd = 8192, nFf = 28672, nHeadKv = 8, headDim = 128, nVocab = 128_256;
  const u32 = (value) => ({ type: 'u32', value });
  const tensors = [
    { name: 'token_embd.weight', type: 'Q8_0', dims: [nEmbd, nVocab], data: null },
    { name: 'output_norm.weight', type: 'F32', dims: [nEmbd], data: null },
    { name: 'output.weight', type: 'Q8_0', dims: [nEmbd, nVocab], data: null },
  ];
  for (let i = 0; i < nLayer; i++) {
    const p = `blk.${i}`;
    tensors.push(
      { name: `${p}.attn_norm.weight`, type: 'F32', dims: [nEmbd], data: null },
      { name: `${p}.attn_q.weight`, type: 'Q8_0', dims: [nEmbd, nEmbd], data: null },
      { name: `${p}.attn_k.weight`, type: 'Q8_0', dims: [nEmbd, headDim * nHeadKv], data: null },
      { name: `${p}.attn_v.weight`, type: 'Q8_0', dims: [nEmbd, headDim * nHeadKv], data: null },
      { name: `${p}.attn_output.weight`, type: 'Q8_0', dims: [nEmbd, nEmbd], data: null },
      { name: `${p}.ffn_norm.weight`, type: 'F32', dims: [nEmbd], data: null },
      { name: `${p}.ffn_gate.weight`, type: 'Q8_0', dims: [nEmbd, nFf], data: null },
      { name: `${p}.ffn_up.weight`, type: 'Q8_0', dims: [nEmbd, nFf], data: null },
      { name: `${p}.ffn_down.weight`, type: 'Q8_0', dims: [nFf, nEmbd], data: null },
    );
  }
  const ggufFile = path.join(dir, 'llama-70b.gguf');
  const written = await writeGguf(ggufFile, {
    metadata: {
      'general.architecture': 'llama', 'general.name': 'bench-70b', 'llama.context_length': u32(131_072), 'llama.embedding_length': u32(nEmbd), 'llama.block_count': u32(nLayer),
      'llama.feed_forward_length': u32(nFf), 'llama.attention.head_count': u32(64), 'llama.attention.head_count_kv': u32(nHeadKv), 'llama.rope.dimension_count': u32(headDim),
      'tokenizer.ggml.model': 'gpt2', 'tokenizer.ggml.tokens': Array.from({ length: nVocab }, (_, i) => `t${i.toString(36)}`), 'tokenizer.ggml.token_type': new Int32Array(nVocab).fill(1),
    },
    tensors,
  });
  const ggufReads = [];
  let ggufPlan;
  for (let r = 0; r < (quick ? 3 : 15); r++) {
    const t = performance.now();
    const src = await planner.loadSource(ggufFile);
    ggufPlan = planner.planSource(src, { context: 8192, gpu });
    ggufReads.push(performance.now() - t);
  }

  // (3b) a 30-shard safetensors folder with Llama-3-70B shapes (bf16)
  const folder = path.join(dir, 'llama-70b-hf');
  await mkdir(folder);
  await writeFile(path.join(folder, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: nEmbd, intermediate_size: nFf, num_hidden_layers: nLayer, num_attention_heads: 64, num_key_value_heads: nHeadKv, vocab_size: nVocab, max_position_embeddings: 131072, tie_word_embeddings: false, torch_dtype: 'bfloat16' }));
  const hfTensors = [['model.embed_tokens.weight', [nVocab, nEmbd]], ['model.norm.weight', [nEmbd]], ['lm_head.weight', [nVocab, nEmbd]]];
  for (let i = 0; i < nLayer; i++) {
    const p = `model.layers.${i}.`;
    hfTensors.push([p + 'input_layernorm.weight', [nEmbd]], [p + 'post_attention_layernorm.weight', [nEmbd]], [p + 'self_attn.q_proj.weight', [nEmbd, nEmbd]], [p + 'self_attn.k_proj.weight', [1024, nEmbd]], [p + 'self_attn.v_proj.weight', [1024, nEmbd]], [p + 'self_attn.o_proj.weight', [nEmbd, nEmbd]], [p + 'mlp.gate_proj.weight', [nFf, nEmbd]], [p + 'mlp.up_proj.weight', [nFf, nEmbd]], [p + 'mlp.down_proj.weight', [nEmbd, nFf]]);
  }
  const shards = 30;
  const weightMap = {};
  for (let s = 0; s < shards; s++) {
    const name = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const mine = hfTensors.filter((_, i) => i % shards === s);
    const header = {};
    let off = 0;
    for (const [n, shape] of mine) {
      const bytes = shape.reduce((a, b) => a * b, 1) * 2;
      header[n] = { dtype: 'BF16', shape, data_offsets: [off, off + bytes] };
      off += bytes;
      weightMap[n] = name;
    }
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    await writeFile(path.join(folder, name), Buffer.concat([len, json]));
    await truncate(path.join(folder, name), 8 + json.length + off);
  }
  await writeFile(path.join(folder, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  const stReads = [];
  let stPlan;
  for (let r = 0; r < (quick ? 3 : 15); r++) {
    const t = performance.now();
    const src = await planner.loadSource(folder);
    stPlan = planner.planSource(src, { context: 8192, gpu });
    stReads.push(performance.now() - t);
  }

  report('planner', {
    accuracyVsLlamaCpp: accuracy,
    worstErrorPct: { weights: round(worst('weights'), 2), kv: round(worst('kv'), 2), compute: round(worst('compute'), 2), output: round(worst('output'), 2), total: round(worst('total'), 2) },
    computeSweep: sweep.length
      ? { shapes: sweep.length, computeAbsErrorPct: { median: absSorted('computeErrorPct')[sweep.length >> 1], max: absSorted('computeErrorPct').at(-1) }, totalAbsErrorPct: { median: absSorted('totalErrorPct')[sweep.length >> 1], max: absSorted('totalErrorPct').at(-1) }, within2Pct: sweep.filter((x) => Math.abs(x.computeErrorPct) <= 2).length, cases: sweep }
      : 'skipped in quick mode',
    fullPlan: planTimes,
    gguf70b: { fileSizeGB: round(written.fileSize / 1e9, 1), tensors: tensors.length, readAndPlanMedianMs: round(median(ggufReads), 1), weightsGiB: round(ggufPlan.totals.weights / 2 ** 30, 2) },
    safetensors30Shards: { shards, readAndPlanMedianMs: round(median(stReads), 1), weightsGiB: round(stPlan.totals.weights / 2 ** 30, 2), params: stPlan.model.params.total },
    quick,
  });
} finally {
  await dispose();
}
