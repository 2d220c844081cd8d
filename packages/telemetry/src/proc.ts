import type { MemorySample } from './types.js';
import { ParseError } from './parse-util.js';

/** Aggregate CPU jiffies from the first line of /proc/stat. */
export interface CpuTimes {
  busy: number;
  total: number;
}

export function parseProcStat(text: string): CpuTimes {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new ParseError('/proc/stat', 'no aggregate "cpu" line');
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 4 || f.some((x) => !Number.isFinite(x) || x < 0)) throw new ParseError('/proc/stat', 'malformed "cpu" line');
  // user nice system idle iowait irq softirq steal [guest guest_nice — already counted in user/nice]
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, total };
}

/** Busy percent of all cores between two readings; null when no time passed or counters went back. */
export function cpuPercent(prev: CpuTimes, cur: CpuTimes): number | null {
  const dt = cur.total - prev.total;
  const db = cur.busy - prev.busy;
  if (dt <= 0 || db < 0) return null;
  return Math.min(100, Math.max(0, (db / dt) * 100));
}

/** /proc/meminfo (values in kB). MemAvailable is required: "used" is total minus available. */
export function parseMeminfo(text: string): MemorySample {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_()0-9]+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (m) kb.set(m[1]!, Number(m[2]) * 1024);
  }
  const total = kb.get('MemTotal');
  if (total === undefined) throw new ParseError('/proc/meminfo', 'no MemTotal');
  const available = kb.get('MemAvailable') ?? (kb.get('MemFree') ?? 0) + (kb.get('Cached') ?? 0) + (kb.get('Buffers') ?? 0);
  const swapTotal = kb.get('SwapTotal') ?? 0;
  const swapFree = kb.get('SwapFree') ?? swapTotal;
  return { totalBytes: total, availableBytes: available, usedBytes: Math.max(0, total - available), swapTotalBytes: swapTotal, swapUsedBytes: Math.max(0, swapTotal - swapFree) };
}

/** Resident memory of a process from /proc/<pid>/status (VmRSS, kB), or null. */
export function parseProcStatusRss(text: string): number | null {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : null;
}
