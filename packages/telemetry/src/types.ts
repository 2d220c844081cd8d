/** One probe's standing: a missing source is shown as "not available" with the reason, never hidden. */
export interface SourceStatus {
  source: 'cpu' | 'memory' | 'nvidia-smi' | 'rocm-smi' | 'macmon' | 'thermal';
  available: boolean;
  /** Why it is not available: "command not found", "permission denied", "not Linux", a parse error… */
  reason?: string;
}

export interface CpuSample {
  /** Busy share of all cores since the previous sample, 0-100; null on the first sample. */
  percent: number | null;
  cores: number;
  load1: number;
}

export interface MemorySample {
  totalBytes: number;
  usedBytes: number;
  availableBytes: number;
  swapTotalBytes: number;
  swapUsedBytes: number;
}

export interface GpuSample {
  vendor: 'nvidia' | 'amd' | 'apple';
  index: number;
  name: string;
  uuid: string | null;
  utilPercent: number | null;
  memUsedBytes: number | null;
  memTotalBytes: number | null;
  temperatureC: number | null;
  powerW: number | null;
  powerLimitW: number | null;
  smClockMHz: number | null;
  memClockMHz: number | null;
  /** Active clock throttle reasons by name ("SwPowerCap", "HwThermalSlowdown"…); [] none; null unknown. */
  throttleReasons: string[] | null;
}

/** GPU memory the driver attributes to a process (nvidia-smi --query-compute-apps). */
export interface GpuProcess {
  pid: number;
  gpuUuid: string | null;
  usedBytes: number;
}

export interface ThermalZone {
  name: string;
  temperatureC: number;
  /** A trip point of type critical/hot is reached or passed. */
  throttling: boolean;
}

export interface SystemSample {
  ts: number;
  platform: NodeJS.Platform;
  cpu: CpuSample | null;
  memory: MemorySample | null;
  gpus: GpuSample[];
  gpuProcesses: GpuProcess[];
  thermal: ThermalZone[];
  sources: SourceStatus[];
}
