import { pidListeningOn, SystemCollector, type SystemCollectorOptions } from '@workbench/telemetry';
import { probeEndpoint } from '../runtimes/probe.js';
import type { EndpointConfig, EndpointStatus } from '../runtimes/types.js';
import type { EndpointSnapshot, LiveRates, MonitorSample, Observation, ProcessFigures } from './types.js';

export interface LlmMonitorOptions {
  /** The endpoints to sample; called before each sample so changes to the list are seen. */
  endpoints: () => Promise<EndpointConfig[]> | EndpointConfig[];
  system?: SystemCollector;
  systemOptions?: SystemCollectorOptions;
  probeTimeoutMs?: number;
  /** How long a generation observed through Workbench counts as "live" (default 15 s). */
  observationTtlMs?: number;
}

const PID_RECHECK_MS = 30_000;
const AVAILABLE_RECHECK_MS = 30_000;

/**
 * One sample of everything the monitor shows: the machine, and each endpoint with its loaded
 * models, live rates and process memory. Keeps just enough state between samples to turn the
 * engines' counters into rates.
 */
export class LlmMonitor {
  readonly system: SystemCollector;
  private readonly prevCounters = new Map<string, { ts: number; prompt: number | null; predicted: number | null }>();
  private readonly observations = new Map<string, Observation>();
  private readonly pids = new Map<string, { pid: number | null; at: number }>();
  private readonly prevExpiry = new Map<string, Map<string, string | null>>();
  private readonly available = new Map<string, { names: string[]; at: number }>();

  constructor(private readonly opts: LlmMonitorOptions) {
    this.system = opts.system ?? new SystemCollector(opts.systemOptions ?? {});
  }

  /** Record a generation Workbench ran (e.g. a benchmark) so its rates show while it is recent. */
  observe(endpointUrl: string, o: Observation): void {
    this.observations.set(endpointUrl, o);
  }

  async sample(): Promise<MonitorSample> {
    const eps = await this.opts.endpoints();
    const now = Date.now();
    const probe = async (e: EndpointConfig) => {
      // What a runtime could load changes rarely and costs it a disk scan: ask every 30 s.
      const known = this.available.get(e.url);
      const fresh = known !== undefined && now - known.at < AVAILABLE_RECHECK_MS;
      const st = await probeEndpoint(e, { timeoutMs: this.opts.probeTimeoutMs ?? 1500, listAvailable: !fresh });
      if (st.connected && !fresh) this.available.set(e.url, { names: st.available, at: now });
      else if (st.connected && known) st.available = known.names;
      else if (!st.connected) this.available.delete(e.url);
      return st;
    };
    const [system, statuses] = await Promise.all([this.system.sample(), Promise.all(eps.map(probe))]);
    const ts = Date.now();
    const endpoints: EndpointSnapshot[] = [];
    for (const st of statuses) {
      const pid = st.connected ? await this.pidOf(st) : null;
      st.pid = pid;
      const proc: ProcessFigures | null = pid === null ? null : { pid, rssBytes: await this.system.processRss(pid), gpuBytes: sumGpu(system.gpuProcesses, pid) };
      endpoints.push({ ...st, live: this.live(st, ts), process: proc, memoryCheck: memoryCheck(st, proc, system.gpus.length > 0) });
    }
    return { ts, system, endpoints };
  }

  private live(st: EndpointStatus, ts: number): LiveRates {
    const c = st.counters;
    if (st.connected && c && (c.predictedTokensTotal !== null || c.requestsProcessing !== null)) {
      const prev = this.prevCounters.get(st.url);
      this.prevCounters.set(st.url, { ts, prompt: c.promptTokensTotal, predicted: c.predictedTokensTotal });
      let decode: number | null = null;
      let prefill: number | null = null;
      if (prev && ts > prev.ts) {
        const dt = (ts - prev.ts) / 1000;
        // Tokens counted by the engine between two samples over the time between them: the
        // rate of this interval, from the engine's counters (a restart resets them: skip).
        if (c.predictedTokensTotal !== null && prev.predicted !== null && c.predictedTokensTotal >= prev.predicted) decode = (c.predictedTokensTotal - prev.predicted) / dt;
        if (c.promptTokensTotal !== null && prev.prompt !== null && c.promptTokensTotal >= prev.prompt) prefill = (c.promptTokensTotal - prev.prompt) / dt;
      }
      // Busy now, or tokens were produced since the last sample (short requests fall between samples).
      const busy = (c.requestsProcessing ?? 0) > 0 || (decode ?? 0) > 0 || (prefill ?? 0) > 0;
      const generating = busy ? true : c.requestsProcessing !== null || decode !== null ? false : null;
      return { generating, decodeTokPerS: decode, prefillTokPerS: prefill, source: 'engine counters (/metrics), tokens per sampling interval' };
    }
    const active = this.expiryMoved(st);
    const o = this.observations.get(st.url);
    if (o && ts - o.at < (this.opts.observationTtlMs ?? 15_000)) {
      return { generating: null, decodeTokPerS: o.decode.tokPerS, prefillTokPerS: o.prefill.tokPerS, source: `last generation through Workbench (${o.decode.source})` };
    }
    if (active) return { generating: true, decodeTokPerS: null, prefillTokPerS: null, source: 'request activity: a loaded model’s keep-alive deadline moved since the last sample' };
    return { generating: null, decodeTokPerS: null, prefillTokPerS: null, source: null };
  }

  /**
   * Ollama-style runtimes restart a model's keep-alive clock around every request, so a moved
   * expires_at is evidence of a request since the previous sample. An unmoved one proves
   * nothing (a long request may be in flight), so it never reads as idle.
   */
  private expiryMoved(st: EndpointStatus): boolean {
    if (!st.connected || st.kind === 'openai') return false;
    const cur = new Map(st.loaded.map((m) => [m.name, m.expiresAt]));
    const prev = this.prevExpiry.get(st.url);
    this.prevExpiry.set(st.url, cur);
    if (!prev) return false;
    for (const [name, exp] of cur) if (prev.has(name) && prev.get(name) !== exp) return true;
    return false;
  }

  private async pidOf(st: EndpointStatus): Promise<number | null> {
    const u = new URL(st.url);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) return null;
    const cached = this.pids.get(st.url);
    if (cached && Date.now() - cached.at < PID_RECHECK_MS) return cached.pid;
    const pid = await pidListeningOn(Number(u.port || 80)).catch(() => null);
    this.pids.set(st.url, { pid, at: Date.now() });
    return pid;
  }
}

function sumGpu(procs: Array<{ pid: number; usedBytes: number }>, pid: number): number | null {
  const mine = procs.filter((p) => p.pid === pid);
  return mine.length ? mine.reduce((a, p) => a + p.usedBytes, 0) : null;
}

/**
 * What the runtime says it put in VRAM against what the driver attributes to its process.
 * The driver also counts the CUDA context and scratch buffers, so it reads higher; a driver
 * figure well below the runtime's claim, or size_vram < size, means weights live on the CPU.
 */
export function memoryCheck(st: EndpointStatus, proc: ProcessFigures | null, machineHasGpu = false): EndpointSnapshot['memoryCheck'] {
  const withVram = st.loaded.filter((m) => m.vramBytes !== null);
  if (withVram.length === 0) return null;
  const reported = withVram.reduce((a, m) => a + (m.vramBytes ?? 0), 0);
  // With a GPU present, a model with nothing in VRAM has spilled entirely.
  const spill = st.loaded.filter((m) => m.cpuSpill || (machineHasGpu && m.vramBytes === 0 && (m.sizeBytes ?? 0) > 0)).map((m) => m.name);
  const driver = proc?.gpuBytes ?? null;
  let note: string | null = null;
  if (spill.length) note = `${spill.join(', ')} partly on the CPU (size_vram < size): expect slower generation`;
  else if (driver !== null && reported > 0 && driver < reported * 0.9) note = 'the driver attributes less GPU memory to the runtime than it reports';
  return { reportedVramBytes: reported, driverBytes: driver, spill, note };
}
