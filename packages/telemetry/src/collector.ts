import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { macmonArgs, parseMacmon } from './macmon.js';
import { nvidiaAppsArgs, nvidiaGpuArgs, nvidiaGpuArgsEventReasons, parseNvidiaApps, parseNvidiaGpus } from './nvidia.js';
import { cpuPercent, parseMeminfo, parseProcStat, parseProcStatusRss, type CpuTimes } from './proc.js';
import { parseRocmSmi, rocmArgs } from './rocm.js';
import { runTool } from './run-tool.js';
import { readThermalZones } from './thermal.js';
import type { CpuSample, GpuProcess, GpuSample, MemorySample, SourceStatus, SystemSample, ThermalZone } from './types.js';

export interface SystemCollectorOptions {
  /** Default process.platform; tests pass another to see the "not Linux" paths. */
  platform?: NodeJS.Platform;
  procRoot?: string;
  thermalRoot?: string;
  /** Commands to run (default the names on PATH: nvidia-smi, rocm-smi, macmon). */
  commands?: { nvidiaSmi?: string; rocmSmi?: string; macmon?: string };
  /** Environment for the probe commands (PATH decides where they are found). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** A command found missing is not tried again for this long (default 60 s): idle cost stays near zero. */
  retryMissingMs?: number;
}

type ToolName = 'nvidia-smi' | 'rocm-smi' | 'macmon';

/**
 * Samples the machine: CPU from /proc/stat deltas, memory from /proc/meminfo, GPUs from the
 * vendor tools, thermal zones from sysfs. Every source that cannot be read is reported as
 * not available with the reason; sampling never throws.
 */
export class SystemCollector {
  private readonly platform: NodeJS.Platform;
  private readonly procRoot: string;
  private readonly thermalRoot: string;
  private prevCpu: CpuTimes | null = null;
  private prevOsCpu: CpuTimes | null = null;
  private readonly missing = new Map<ToolName, { reason: string; until: number }>();
  private nvidiaArgs = nvidiaGpuArgs;

  constructor(private readonly opts: SystemCollectorOptions = {}) {
    this.platform = opts.platform ?? process.platform;
    this.procRoot = opts.procRoot ?? '/proc';
    this.thermalRoot = opts.thermalRoot ?? '/sys/class/thermal';
  }

  async sample(): Promise<SystemSample> {
    const sources: SourceStatus[] = [];
    const [cpu, memory, nvidia, amd, apple, thermal] = await Promise.all([
      this.cpu(sources),
      this.memory(sources),
      this.nvidia(sources),
      this.amd(sources),
      this.apple(sources),
      this.thermal(sources),
    ]);
    const order: SourceStatus['source'][] = ['cpu', 'memory', 'nvidia-smi', 'rocm-smi', 'macmon', 'thermal'];
    sources.sort((a, b) => order.indexOf(a.source) - order.indexOf(b.source));
    let mem = memory;
    let cpuS = cpu;
    if (apple.memory && !mem) mem = apple.memory;
    if (cpuS && cpuS.percent === null && apple.cpuPercent !== null) cpuS = { ...cpuS, percent: apple.cpuPercent };
    return {
      ts: Date.now(),
      platform: this.platform,
      cpu: cpuS,
      memory: mem,
      gpus: [...nvidia.gpus, ...amd, ...apple.gpus],
      gpuProcesses: nvidia.processes,
      thermal,
      sources,
    };
  }

  /** Resident memory of a process (bytes), or null when it cannot be read. */
  async processRss(pid: number): Promise<number | null> {
    if (this.platform !== 'linux' || !Number.isInteger(pid) || pid <= 0) return null;
    const text = await readFile(path.join(this.procRoot, String(pid), 'status'), 'utf8').catch(() => null);
    return text === null ? null : parseProcStatusRss(text);
  }

  private async cpu(sources: SourceStatus[]): Promise<CpuSample | null> {
    const cores = os.availableParallelism();
    const load1 = os.loadavg()[0] ?? 0;
    if (this.platform !== 'linux') {
      // Elsewhere Node's own per-core counters give the same delta.
      const t = os.cpus().reduce((acc, c) => {
        const total = c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
        return { busy: acc.busy + total - c.times.idle, total: acc.total + total };
      }, { busy: 0, total: 0 });
      const percent = this.prevOsCpu ? cpuPercent(this.prevOsCpu, t) : null;
      this.prevOsCpu = t;
      sources.push({ source: 'cpu', available: true });
      return { percent, cores, load1 };
    }
    try {
      const t = parseProcStat(await readFile(path.join(this.procRoot, 'stat'), 'utf8'));
      const percent = this.prevCpu ? cpuPercent(this.prevCpu, t) : null;
      this.prevCpu = t;
      sources.push({ source: 'cpu', available: true });
      return { percent, cores, load1 };
    } catch (err) {
      sources.push({ source: 'cpu', available: false, reason: reasonOf(err) });
      return null;
    }
  }

  private async memory(sources: SourceStatus[]): Promise<MemorySample | null> {
    if (this.platform !== 'linux') {
      if (this.platform === 'darwin') {
        sources.push({ source: 'memory', available: false, reason: 'not Linux (macmon reports memory on macOS)' });
        return null;
      }
      const total = os.totalmem();
      const free = os.freemem();
      sources.push({ source: 'memory', available: true });
      return { totalBytes: total, usedBytes: total - free, availableBytes: free, swapTotalBytes: 0, swapUsedBytes: 0 };
    }
    try {
      const m = parseMeminfo(await readFile(path.join(this.procRoot, 'meminfo'), 'utf8'));
      sources.push({ source: 'memory', available: true });
      return m;
    } catch (err) {
      sources.push({ source: 'memory', available: false, reason: reasonOf(err) });
      return null;
    }
  }

  private async tool(name: ToolName, cmd: string, args: string[], sources: SourceStatus[]): Promise<string | null> {
    const miss = this.missing.get(name);
    if (miss && Date.now() < miss.until) {
      sources.push({ source: name, available: false, reason: miss.reason });
      return null;
    }
    const r = await runTool(cmd, args, { timeoutMs: this.opts.timeoutMs ?? 3000, ...(this.opts.env ? { env: this.opts.env } : {}) });
    if (!r.ok) {
      if (r.missing) this.missing.set(name, { reason: r.reason, until: Date.now() + (this.opts.retryMissingMs ?? 60_000) });
      sources.push({ source: name, available: false, reason: r.reason });
      return null;
    }
    this.missing.delete(name);
    return r.stdout;
  }

  private async nvidia(sources: SourceStatus[]): Promise<{ gpus: GpuSample[]; processes: GpuProcess[] }> {
    if (this.platform === 'darwin') {
      sources.push({ source: 'nvidia-smi', available: false, reason: 'not on macOS' });
      return { gpus: [], processes: [] };
    }
    const cmd = this.opts.commands?.nvidiaSmi ?? 'nvidia-smi';
    let out = await this.tool('nvidia-smi', cmd, this.nvidiaArgs, sources);
    const refused = sources.find((x) => x.source === 'nvidia-smi' && !x.available && /not a valid field/i.test(x.reason ?? ''));
    if (refused && this.nvidiaArgs === nvidiaGpuArgs) {
      // A driver that no longer knows clocks_throttle_reasons: ask with the newer field name.
      sources.splice(sources.indexOf(refused), 1);
      this.nvidiaArgs = nvidiaGpuArgsEventReasons;
      out = await this.tool('nvidia-smi', cmd, this.nvidiaArgs, sources);
    }
    if (out === null) return { gpus: [], processes: [] };
    try {
      const gpus = parseNvidiaGpus(out);
      const apps = await runTool(cmd, nvidiaAppsArgs, { timeoutMs: this.opts.timeoutMs ?? 3000, ...(this.opts.env ? { env: this.opts.env } : {}) });
      const processes = apps.ok ? parseNvidiaApps(apps.stdout) : [];
      sources.push({ source: 'nvidia-smi', available: true });
      return { gpus, processes };
    } catch (err) {
      sources.push({ source: 'nvidia-smi', available: false, reason: reasonOf(err) });
      return { gpus: [], processes: [] };
    }
  }

  private async amd(sources: SourceStatus[]): Promise<GpuSample[]> {
    if (this.platform !== 'linux') {
      sources.push({ source: 'rocm-smi', available: false, reason: 'not Linux' });
      return [];
    }
    const out = await this.tool('rocm-smi', this.opts.commands?.rocmSmi ?? 'rocm-smi', rocmArgs, sources);
    if (out === null) return [];
    try {
      const gpus = parseRocmSmi(out);
      sources.push({ source: 'rocm-smi', available: true });
      return gpus;
    } catch (err) {
      sources.push({ source: 'rocm-smi', available: false, reason: reasonOf(err) });
      return [];
    }
  }

  private async apple(sources: SourceStatus[]): Promise<{ gpus: GpuSample[]; memory: MemorySample | null; cpuPercent: number | null }> {
    const none = { gpus: [], memory: null, cpuPercent: null };
    if (this.platform !== 'darwin') {
      sources.push({ source: 'macmon', available: false, reason: 'not macOS' });
      return none;
    }
    const out = await this.tool('macmon', this.opts.commands?.macmon ?? 'macmon', macmonArgs, sources);
    if (out === null) return none;
    try {
      const s = parseMacmon(out);
      sources.push({ source: 'macmon', available: true });
      return { gpus: [s.gpu], memory: s.memory, cpuPercent: s.cpuPercent };
    } catch (err) {
      sources.push({ source: 'macmon', available: false, reason: reasonOf(err) });
      return none;
    }
  }

  private async thermal(sources: SourceStatus[]): Promise<ThermalZone[]> {
    if (this.platform !== 'linux') {
      sources.push({ source: 'thermal', available: false, reason: 'not Linux' });
      return [];
    }
    try {
      const zones = await readThermalZones(this.thermalRoot);
      sources.push(zones.length ? { source: 'thermal', available: true } : { source: 'thermal', available: false, reason: 'no thermal zones exposed (common in VMs)' });
      return zones;
    } catch (err) {
      sources.push({ source: 'thermal', available: false, reason: reasonOf(err) });
      return [];
    }
  }
}

function reasonOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'not found';
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return 'permission denied';
  return e instanceof Error ? e.message : String(err);
}
