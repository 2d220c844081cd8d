/**
 * The GPU catalogue: memory, memory bandwidth and dense (no sparsity) tensor throughput by
 * dtype, from the vendors' datasheets. memoryMiB is what the device reports as total (nvidia-smi
 * memory.total) where known, not the marketing GB. Apple parts list the largest unified
 * memory of the chip and the share macOS lets the GPU wire by default (about 75 %).
 * Users add or override entries with a YAML/JSON file (see loadGpuFile in the package root).
 */
export interface Gpu {
  id: string;
  name: string;
  vendor: 'nvidia' | 'amd' | 'apple' | 'intel' | 'other';
  memoryMiB: number;
  /** Share of memory a model may use (1 for discrete GPUs; ~0.75 for Apple unified memory). */
  usableFraction: number;
  bandwidthGBs: number;
  /** Dense TFLOPS by dtype (fp16/bf16 with fp32 accumulate for GeForce cards). */
  tflops: Partial<Record<'fp32' | 'tf32' | 'fp16' | 'bf16' | 'fp8' | 'int8' | 'fp4', number>>;
  source: string;
}

const nv = (id: string, name: string, memoryMiB: number, bandwidthGBs: number, tflops: Gpu['tflops'], source: string): Gpu => ({ id, name, vendor: 'nvidia', memoryMiB, usableFraction: 1, bandwidthGBs, tflops, source });
const apple = (id: string, name: string, memoryGB: number, bandwidthGBs: number, fp16: number): Gpu => ({
  id, name, vendor: 'apple', memoryMiB: memoryGB * 1024, usableFraction: 0.75, bandwidthGBs, tflops: { fp32: fp16, fp16, bf16: fp16 }, source: 'Apple chip specifications (GPU FP32 ≈ FP16 rate)',
});

export const GPU_CATALOGUE: readonly Gpu[] = [
  nv('h100-sxm', 'NVIDIA H100 SXM 80GB', 81559, 3350, { fp32: 67, tf32: 494.7, fp16: 989.4, bf16: 989.4, fp8: 1978.9, int8: 1978.9 }, 'NVIDIA H100 datasheet'),
  nv('h100-pcie', 'NVIDIA H100 PCIe 80GB', 81559, 2000, { fp32: 51, tf32: 378, fp16: 756, bf16: 756, fp8: 1513, int8: 1513 }, 'NVIDIA H100 datasheet'),
  nv('h100-nvl', 'NVIDIA H100 NVL 94GB', 95830, 3900, { fp32: 60, tf32: 417.5, fp16: 835, bf16: 835, fp8: 1670.5, int8: 1670.5 }, 'NVIDIA H100 datasheet'),
  nv('h200', 'NVIDIA H200 SXM 141GB', 143771, 4800, { fp32: 67, tf32: 494.7, fp16: 989.4, bf16: 989.4, fp8: 1978.9, int8: 1978.9 }, 'NVIDIA H200 datasheet'),
  nv('b200', 'NVIDIA B200 180GB', 183359, 8000, { fp32: 80, tf32: 1100, fp16: 2250, bf16: 2250, fp8: 4500, int8: 4500, fp4: 9000 }, 'NVIDIA DGX B200 datasheet (per GPU)'),
  nv('a100-80', 'NVIDIA A100 80GB SXM', 81920, 2039, { fp32: 19.5, tf32: 156, fp16: 312, bf16: 312, int8: 624 }, 'NVIDIA A100 datasheet'),
  nv('a100-40', 'NVIDIA A100 40GB SXM', 40960, 1555, { fp32: 19.5, tf32: 156, fp16: 312, bf16: 312, int8: 624 }, 'NVIDIA A100 datasheet'),
  nv('l40s', 'NVIDIA L40S 48GB', 46068, 864, { fp32: 91.6, tf32: 183, fp16: 362, bf16: 362, fp8: 733, int8: 733 }, 'NVIDIA L40S datasheet'),
  nv('l4', 'NVIDIA L4 24GB', 23034, 300, { fp32: 30.3, tf32: 60, fp16: 121, bf16: 121, fp8: 242.5, int8: 242.5 }, 'NVIDIA L4 datasheet'),
  nv('a10', 'NVIDIA A10 24GB', 23028, 600, { fp32: 31.2, tf32: 62.5, fp16: 125, bf16: 125, int8: 250 }, 'NVIDIA A10 datasheet'),
  nv('t4', 'NVIDIA T4 16GB', 15360, 320, { fp32: 8.1, fp16: 65, int8: 130 }, 'NVIDIA T4 datasheet'),
  nv('rtx-5090', 'NVIDIA GeForce RTX 5090 32GB', 32607, 1792, { fp32: 104.8, fp16: 209.5, bf16: 209.5, fp8: 419, int8: 838 }, 'NVIDIA RTX Blackwell architecture whitepaper'),
  nv('rtx-4090', 'NVIDIA GeForce RTX 4090 24GB', 24564, 1008, { fp32: 82.6, tf32: 82.6, fp16: 165.2, bf16: 165.2, fp8: 330.3, int8: 660.6 }, 'NVIDIA Ada architecture whitepaper'),
  nv('rtx-4080', 'NVIDIA GeForce RTX 4080 16GB', 16376, 716.8, { fp32: 48.7, tf32: 48.7, fp16: 97.5, bf16: 97.5, fp8: 194.9, int8: 389.9 }, 'NVIDIA Ada architecture whitepaper'),
  nv('rtx-3090', 'NVIDIA GeForce RTX 3090 24GB', 24576, 936, { fp32: 35.6, tf32: 35.6, fp16: 71, bf16: 71, int8: 284 }, 'NVIDIA Ampere GA102 whitepaper'),
  nv('rtx-a6000', 'NVIDIA RTX A6000 48GB', 49140, 768, { fp32: 38.7, tf32: 77.4, fp16: 154.8, bf16: 154.8, int8: 309.7 }, 'NVIDIA RTX A6000 datasheet'),
  nv('rtx-6000-ada', 'NVIDIA RTX 6000 Ada 48GB', 49140, 960, { fp32: 91.1, tf32: 182.1, fp16: 364.2, bf16: 364.2, fp8: 728.5, int8: 728.5 }, 'NVIDIA RTX 6000 Ada datasheet'),
  { id: 'mi300x', name: 'AMD Instinct MI300X 192GB', vendor: 'amd', memoryMiB: 196592, usableFraction: 1, bandwidthGBs: 5300, tflops: { fp32: 163.4, tf32: 653.7, fp16: 1307.4, bf16: 1307.4, fp8: 2614.9, int8: 2614.9 }, source: 'AMD MI300X datasheet' },
  apple('m1-max', 'Apple M1 Max (64GB)', 64, 400, 10.4),
  apple('m1-ultra', 'Apple M1 Ultra (128GB)', 128, 800, 21),
  apple('m2-max', 'Apple M2 Max (96GB)', 96, 400, 13.6),
  apple('m2-ultra', 'Apple M2 Ultra (192GB)', 192, 800, 27.2),
  apple('m3-max', 'Apple M3 Max (128GB)', 128, 400, 16.4),
  apple('m3-ultra', 'Apple M3 Ultra (512GB)', 512, 819, 32.8),
  apple('m4-pro', 'Apple M4 Pro (64GB)', 64, 273, 9.2),
  apple('m4-max', 'Apple M4 Max (128GB)', 128, 546, 18.4),
];

/** Common spellings users type: `h100`, `4090`, `a100`, `m2 ultra`. */
const ALIASES: Record<string, string> = {
  h100: 'h100-sxm', 'h100-80': 'h100-sxm', 'h100sxm': 'h100-sxm', 'h100pcie': 'h100-pcie', a100: 'a100-80', 'a100-80gb': 'a100-80', 'a100-40gb': 'a100-40',
  '4090': 'rtx-4090', '4080': 'rtx-4080', '3090': 'rtx-3090', '5090': 'rtx-5090', a6000: 'rtx-a6000', 'rtx6000': 'rtx-6000-ada', 'h200-sxm': 'h200', mi300: 'mi300x',
};

export function findGpu(query: string, catalogue: readonly Gpu[] = GPU_CATALOGUE): Gpu | undefined {
  const q = query.trim().toLowerCase().replace(/[\s_]+/g, '-').replace(/^(nvidia-|geforce-)+/, '');
  return catalogue.find((g) => g.id === q) ?? catalogue.find((g) => g.id === ALIASES[q]) ?? catalogue.find((g) => g.id === `rtx-${q}`);
}

/** Merge user entries over the catalogue (same id replaces), after checking each field. */
export function mergeGpus(base: readonly Gpu[], extra: readonly Gpu[]): Gpu[] {
  const out = new Map(base.map((g) => [g.id, g]));
  for (const g of extra) out.set(g.id, g);
  return [...out.values()];
}

/** Check one user-supplied entry; returns the problems (empty when valid). */
export function gpuProblems(raw: unknown): string[] {
  const p: string[] = [];
  if (!raw || typeof raw !== 'object') return ['must be an object'];
  const g = raw as Record<string, unknown>;
  if (typeof g.id !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(g.id)) p.push('id must be lower-case letters, digits, . _ - (max 64)');
  const pos = (k: string, max: number) => {
    const v = g[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max) p.push(`${k} must be a positive number ≤ ${max}`);
  };
  pos('memoryMiB', 1e8);
  pos('bandwidthGBs', 1e6);
  if (g.usableFraction !== undefined && (typeof g.usableFraction !== 'number' || !(g.usableFraction > 0 && g.usableFraction <= 1))) p.push('usableFraction must be in (0, 1]');
  if (!g.tflops || typeof g.tflops !== 'object') p.push('tflops must map dtypes to numbers, e.g. { fp16: 100 }');
  else for (const [k, v] of Object.entries(g.tflops)) if (typeof v !== 'number' || !(v > 0) || v > 1e6) p.push(`tflops.${k} must be a positive number`);
  return p;
}
