import type { GpuSample, MemorySample } from './types.js';
import { ParseError, numOrNull } from './parse-util.js';

export const macmonArgs = ['pipe', '-s', '1'];

export interface MacmonSample {
  gpu: GpuSample;
  memory: MemorySample | null;
  /** Efficiency and performance cluster usage, 0-100. */
  cpuPercent: number | null;
}

/** `[freq MHz, usage 0..1]` pairs macmon prints for clusters and the GPU. */
function pair(v: unknown): { mhz: number | null; usage: number | null } {
  if (!Array.isArray(v) || v.length < 2) return { mhz: null, usage: null };
  return { mhz: numOrNull(v[0] as number), usage: numOrNull(v[1] as number) };
}

/** One JSON line of `macmon pipe`. Apple GPUs share system memory, so GPU memory is unknown. */
export function parseMacmon(text: string): MacmonSample {
  const line = text.split('\n').find((l) => l.trim().startsWith('{'));
  if (!line) throw new ParseError('macmon', 'no JSON line in the output');
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new ParseError('macmon', 'output is not JSON');
  }
  if (!d || typeof d !== 'object') throw new ParseError('macmon', 'expected a JSON object');
  const gpu = pair(d.gpu_usage);
  const e = pair(d.ecpu_usage);
  const p = pair(d.pcpu_usage);
  const temp = (d.temp ?? {}) as Record<string, unknown>;
  const mem = (d.memory ?? null) as Record<string, unknown> | null;
  let memory: MemorySample | null = null;
  const total = numOrNull(mem?.ram_total as number);
  const used = numOrNull(mem?.ram_usage as number);
  if (total !== null && used !== null) {
    const swapTotal = numOrNull(mem?.swap_total as number) ?? 0;
    memory = { totalBytes: total, usedBytes: used, availableBytes: Math.max(0, total - used), swapTotalBytes: swapTotal, swapUsedBytes: numOrNull(mem?.swap_usage as number) ?? 0 };
  }
  const usages = [e.usage, p.usage].filter((x): x is number => x !== null);
  return {
    gpu: {
      vendor: 'apple',
      index: 0,
      name: 'Apple GPU',
      uuid: null,
      utilPercent: gpu.usage === null ? null : gpu.usage * 100,
      memUsedBytes: null,
      memTotalBytes: null,
      temperatureC: numOrNull(temp.gpu_temp_avg as number),
      powerW: numOrNull(d.gpu_power as number),
      powerLimitW: null,
      smClockMHz: gpu.mhz,
      memClockMHz: null,
      throttleReasons: null,
    },
    memory,
    cpuPercent: usages.length ? (usages.reduce((a, b) => a + b, 0) / usages.length) * 100 : null,
  };
}
