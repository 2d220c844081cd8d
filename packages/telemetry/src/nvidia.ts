import type { GpuProcess, GpuSample } from './types.js';
import { MIB, ParseError, numOrNull } from './parse-util.js';

/** The fields asked of `nvidia-smi --query-gpu=… --format=csv,noheader,nounits`, in order. */
export const NVIDIA_GPU_FIELDS = [
  'index',
  'uuid',
  'name',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'temperature.gpu',
  'power.draw',
  'power.limit',
  'clocks.sm',
  'clocks.mem',
  'clocks_throttle_reasons.active',
] as const;

export const nvidiaGpuArgs = [`--query-gpu=${NVIDIA_GPU_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];
/** Newer drivers call the throttle reasons "clock event reasons"; the old name may one day be refused. */
export const nvidiaGpuArgsEventReasons = [`--query-gpu=${NVIDIA_GPU_FIELDS.join(',').replace('clocks_throttle_reasons.active', 'clocks_event_reasons.active')}`, '--format=csv,noheader,nounits'];
export const nvidiaAppsArgs = ['--query-compute-apps=pid,used_memory,gpu_uuid', '--format=csv,noheader,nounits'];

/** NVML's clocks-throttle-reason bits (nvmlClocksThrottleReason*). */
const THROTTLE_BITS: Array<[bigint, string]> = [
  [0x1n, 'GpuIdle'],
  [0x2n, 'ApplicationsClocksSetting'],
  [0x4n, 'SwPowerCap'],
  [0x8n, 'HwSlowdown'],
  [0x10n, 'SyncBoost'],
  [0x20n, 'SwThermalSlowdown'],
  [0x40n, 'HwThermalSlowdown'],
  [0x80n, 'HwPowerBrakeSlowdown'],
  [0x100n, 'DisplayClockSetting'],
];

export function decodeThrottleReasons(raw: string | undefined): string[] | null {
  const s = raw?.trim() ?? '';
  if (!/^0x[0-9a-f]{1,16}$/i.test(s)) return null;
  const v = BigInt(s);
  return THROTTLE_BITS.filter(([bit]) => (v & bit) !== 0n).map(([, name]) => name);
}

/** Fields are separated by ", "; a GPU name has no comma in nvidia-smi's own output. */
function splitCsv(line: string): string[] {
  return line.split(',').map((f) => f.trim());
}

export function parseNvidiaGpus(text: string): GpuSample[] {
  const gpus: GpuSample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const f = splitCsv(line);
    if (f.length !== NVIDIA_GPU_FIELDS.length) throw new ParseError('nvidia-smi', `expected ${NVIDIA_GPU_FIELDS.length} fields, got ${f.length}: ${line.slice(0, 120)}`);
    const index = numOrNull(f[0]);
    if (index === null) throw new ParseError('nvidia-smi', `no GPU index in: ${line.slice(0, 120)}`);
    const mib = (s: string | undefined) => {
      const n = numOrNull(s);
      return n === null ? null : n * MIB;
    };
    gpus.push({
      vendor: 'nvidia',
      index,
      uuid: f[1] && !f[1].startsWith('[') ? f[1] : null,
      name: f[2] || `GPU ${index}`,
      utilPercent: numOrNull(f[3]),
      memUsedBytes: mib(f[4]),
      memTotalBytes: mib(f[5]),
      temperatureC: numOrNull(f[6]),
      powerW: numOrNull(f[7]),
      powerLimitW: numOrNull(f[8]),
      smClockMHz: numOrNull(f[9]),
      memClockMHz: numOrNull(f[10]),
      throttleReasons: decodeThrottleReasons(f[11]),
    });
  }
  return gpus;
}

export function parseNvidiaApps(text: string): GpuProcess[] {
  const out: GpuProcess[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || /no running/i.test(line)) continue;
    const f = splitCsv(line);
    const pid = numOrNull(f[0]);
    const used = numOrNull(f[1]);
    // "[N/A]" memory happens without permission to see other users' processes: skip, not 0.
    if (pid === null || used === null) continue;
    out.push({ pid, usedBytes: used * MIB, gpuUuid: f[2] && !f[2].startsWith('[') ? f[2] : null });
  }
  return out;
}
