/**
 * Speed bounds (roofline). Decoding one step reads every active weight once for the whole
 * batch plus each sequence's KV cache, and does 2 FLOPs per active weight per token plus the
 * attention products; it can go no faster than memory bandwidth or compute allows:
 *   t_step = max(bytes_read / bandwidth, flops / peak_flops),  tok/s per sequence = 1 / t_step.
 * With a batch of B sequences a MoE layer touches the experts any of them routes to; for
 * uniform routing the expected share of experts read is 1 − (1 − k/E)^B.
 * Prefill is compute-bound: flops/token = 2 · active params + 4 · n_head · head_dim · (tokens
 * attended, on average half the prompt) per attention layer (Kaplan et al. 2020, §2.1).
 * Results are upper bounds; `efficiency` (default 1) scales them to what a real kernel achieves.
 */
import type { Gpu } from './gpus.js';
import type { LayerCache } from './kv.js';
import type { ModelSpec } from './spec.js';
import type { WeightTensor } from './tensors.js';

export interface Throughput {
  /** Tokens per second of one sequence while decoding (at the given context fill). */
  decodeTokPerSec: number;
  /** All sequences together. */
  decodeTokPerSecTotal: number;
  decodeBound: 'memory' | 'compute';
  prefillTokPerSec: number;
  bytesPerStep: number;
  flopsPerToken: number;
  tflopsUsed: number;
  tflopsDtype: string;
}

export function estimateThroughput(args: {
  spec: ModelSpec;
  tensors: readonly WeightTensor[];
  caches: readonly LayerCache[];
  gpu: Gpu;
  batch: number;
  /** Tokens already in each sequence's cache when decoding. */
  contextFill: number;
  /** Cells each layer's cache holds (for how much of it one step reads). */
  context: number;
  efficiency?: number;
  computeDtype?: string;
}): Throughput {
  const eff = args.efficiency ?? 1;
  const B = Math.max(1, args.batch);
  let weightBytes = 0;
  let activeParams = 0;
  for (const t of args.tensors) {
    const bytes = t.bytes ?? t.elements * 2;
    const touched = t.activeFraction >= 1 || t.activeFraction === 0 ? t.activeFraction : 1 - Math.pow(1 - t.activeFraction, B);
    weightBytes += bytes * touched;
    activeParams += t.elements * t.activeFraction;
  }
  // Embedding lookup: one row per token.
  const embd = args.tensors.find((t) => t.name === 'token_embd.weight');
  if (embd && embd.activeFraction === 0) weightBytes += ((embd.bytes ?? 0) / args.spec.vocabSize) * B;

  let kvRead = 0;
  let attnFlopsDecode = 0;
  let attnFlopsPrefill = 0;
  args.spec.layers.forEach((l, i) => {
    const c = args.caches[i]!;
    const m = l.mixer;
    if (m.type === 'attention') {
      const perSeqCells = c.cells / B;
      const kept = Math.min(args.contextFill, perSeqCells);
      const perCell = c.cells ? (c.kBytes + c.vBytes) / c.cells : 0;
      kvRead += perCell * kept * B;
      const dims = m.nHead * (m.headDimK + m.headDimV);
      attnFlopsDecode += 2 * dims * kept;
      const window = m.window ?? Infinity;
      attnFlopsPrefill += 2 * dims * Math.min(window, args.context / 2);
    } else kvRead += c.stateBytes;
  });
  const flopsPerToken = 2 * activeParams + attnFlopsDecode;
  const dtype = args.computeDtype && args.gpu.tflops[args.computeDtype as keyof Gpu['tflops']] ? args.computeDtype : args.gpu.tflops.bf16 ? 'bf16' : args.gpu.tflops.fp16 ? 'fp16' : 'fp32';
  const tflops = args.gpu.tflops[dtype as keyof Gpu['tflops']] ?? 1;
  const bytesPerStep = weightBytes + kvRead;
  const tMem = bytesPerStep / (args.gpu.bandwidthGBs * 1e9 * eff);
  const tCompute = (flopsPerToken * B) / (tflops * 1e12 * eff);
  const t = Math.max(tMem, tCompute);
  const prefillFlops = 2 * activeParams + attnFlopsPrefill;
  return {
    decodeTokPerSec: 1 / t,
    decodeTokPerSecTotal: B / t,
    decodeBound: tMem >= tCompute ? 'memory' : 'compute',
    prefillTokPerSec: (tflops * 1e12 * eff) / prefillFlops,
    bytesPerStep,
    flopsPerToken,
    tflopsUsed: tflops,
    tflopsDtype: dtype,
  };
}
