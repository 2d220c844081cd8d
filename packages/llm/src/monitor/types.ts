import type { SystemSample } from '@workbench/telemetry';
import type { EndpointStatus } from '../runtimes/types.js';
import type { RateFigure } from '../runtimes/timings.js';

/** Live generation figures of one endpoint, each with where it came from. */
export interface LiveRates {
  /** Generating now (requests in flight or tokens counted since the last sample); null when the runtime does not say. */
  generating: boolean | null;
  decodeTokPerS: number | null;
  prefillTokPerS: number | null;
  /** "engine counters (/metrics)" or "last generation through Workbench (engine:ollama)"; null when nothing is known. */
  source: string | null;
}

export interface ProcessFigures {
  pid: number;
  rssBytes: number | null;
  /** GPU memory the driver attributes to the process (nvidia-smi compute apps). */
  gpuBytes: number | null;
}

export interface EndpointSnapshot extends EndpointStatus {
  live: LiveRates;
  process: ProcessFigures | null;
  /** Runtime-reported VRAM vs the driver's figure for its process; notes where they disagree. */
  memoryCheck: { reportedVramBytes: number; driverBytes: number | null; spill: string[]; note: string | null } | null;
}

export interface MonitorSample {
  ts: number;
  system: SystemSample;
  endpoints: EndpointSnapshot[];
}

/** A generation observed by Workbench itself (a benchmark, the playground): its engine-reported rates. */
export interface Observation {
  at: number;
  model: string;
  prefill: RateFigure;
  decode: RateFigure;
}
