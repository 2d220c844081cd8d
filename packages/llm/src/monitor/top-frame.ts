import { fmtBytes, fmtNum, gauge, sparkline } from './format.js';
import type { EndpointSnapshot, MonitorSample } from './types.js';

export const topSorts = ['vram', 'size', 'name'] as const;
export type TopSort = (typeof topSorts)[number];

export interface TopView {
  width: number;
  height: number;
  /** Index into the sample's endpoints. */
  endpoint: number;
  sort: TopSort;
  /** Where figures come from: "this process" (sampling directly) or the server's URL. */
  via: string;
}

const fit = (s: string, w: number) => (s.length > w ? s.slice(0, Math.max(0, w - 1)) + '…' : s.padEnd(w));

function sortModels(e: EndpointSnapshot, sort: TopSort) {
  const m = [...e.loaded];
  if (sort === 'name') return m.sort((a, b) => a.name.localeCompare(b.name));
  const key = sort === 'vram' ? 'vramBytes' : 'sizeBytes';
  return m.sort((a, b) => (b[key] ?? -1) - (a[key] ?? -1) || a.name.localeCompare(b.name));
}

/**
 * One frame of `wb llm top` as exactly `height` lines of exactly `width` columns, so that
 * redrawing in place (cursor home, write) never leaves stale characters and never flickers.
 * A pure function of the history: the newest sample is last.
 */
export function renderTopFrame(history: MonitorSample[], view: TopView): string[] {
  const w = Math.max(40, view.width);
  const lines: string[] = [];
  const cur = history[history.length - 1];
  const time = cur ? new Date(cur.ts).toISOString().slice(11, 19) : '--:--:--';
  lines.push(`wb llm top  ${time}  via ${view.via}   e/tab: endpoint  s: sort (${view.sort})  q: quit`);
  if (!cur) {
    lines.push('', 'sampling…');
    return pad(lines, w, view.height);
  }
  const sparkW = Math.max(8, Math.min(30, w - 60));
  const sys = cur.system;
  const cpuHist = history.map((h) => h.system.cpu?.percent ?? null);
  lines.push(sys.cpu ? `CPU  ${gauge(sys.cpu.percent === null ? null : sys.cpu.percent / 100, 20)}  ${sparkline(cpuHist, sparkW, 100)}  load ${fmtNum(sys.cpu.load1, 2)}  ${sys.cpu.cores} cores` : `CPU  not available: ${reason(cur, 'cpu')}`);
  if (sys.memory) {
    const m = sys.memory;
    const memHist = history.map((h) => (h.system.memory ? (h.system.memory.usedBytes / h.system.memory.totalBytes) * 100 : null));
    lines.push(`MEM  ${gauge(m.usedBytes / m.totalBytes, 20)}  ${sparkline(memHist, sparkW, 100)}  ${fmtBytes(m.usedBytes)} / ${fmtBytes(m.totalBytes)}  swap ${fmtBytes(m.swapUsedBytes)} / ${fmtBytes(m.swapTotalBytes)}`);
  } else lines.push(`MEM  not available: ${reason(cur, 'memory')}`);
  if (sys.gpus.length === 0) {
    const why = sys.sources.filter((s) => ['nvidia-smi', 'rocm-smi', 'macmon'].includes(s.source)).map((s) => `${s.source}: ${s.reason ?? 'no GPU'}`).join('; ');
    lines.push(`GPU  not available (${why})`);
  }
  for (const g of sys.gpus) {
    const hist = history.map((h) => h.system.gpus.find((x) => x.vendor === g.vendor && x.index === g.index)?.utilPercent ?? null);
    const mem = g.memTotalBytes ? `${fmtBytes(g.memUsedBytes)} / ${fmtBytes(g.memTotalBytes)}` : 'mem n/a';
    const thr = g.throttleReasons === null ? '' : g.throttleReasons.filter((r) => r !== 'GpuIdle').length ? `  THROTTLED: ${g.throttleReasons.filter((r) => r !== 'GpuIdle').join(',')}` : '';
    lines.push(`GPU${g.index} ${g.name}${thr}`);
    lines.push(`     util ${gauge(g.utilPercent === null ? null : g.utilPercent / 100, 20)}  ${sparkline(hist, sparkW, 100)}  ${mem}  ${fmtNum(g.temperatureC, 0)}°C  ${fmtNum(g.powerW, 0)} W  ${fmtNum(g.smClockMHz, 0)} MHz`);
  }
  const hot = sys.thermal.filter((z) => z.throttling);
  if (hot.length) lines.push(`THERMAL  throttling: ${hot.map((z) => `${z.name} ${fmtNum(z.temperatureC, 0)}°C`).join(', ')}`);
  lines.push('');
  lines.push('ENDPOINTS');
  const sel = Math.min(Math.max(0, view.endpoint), Math.max(0, cur.endpoints.length - 1));
  cur.endpoints.forEach((e, i) => {
    const state = e.connected ? `connected (${fmtNum(e.latencyMs, 0)} ms)  ${e.loaded.length} loaded${e.version ? `  v${e.version}` : ''}` : `not running: ${e.reason}`;
    lines.push(`${i === sel ? '>' : ' '} ${fit(e.name, 12)} ${fit(e.kind, 9)} ${fit(e.url, 26)} ${state}`);
  });
  const e = cur.endpoints[sel];
  if (e) {
    lines.push('');
    const decHist = history.map((h) => h.endpoints.find((x) => x.url === e.url)?.live.decodeTokPerS ?? null);
    const state = e.live.generating === null ? '' : e.live.generating ? 'GENERATING  ' : 'idle  ';
    const rates = e.live.source ? `decode ${fmtNum(e.live.decodeTokPerS)} tok/s ${sparkline(decHist, sparkW)}  prefill ${fmtNum(e.live.prefillTokPerS)} tok/s  [${e.live.source}]` : 'tok/s: not reported by this runtime (run `wb llm bench` to measure)';
    lines.push(`${e.name}: ${e.connected ? state + rates : 'not running'}`);
    if (e.process) lines.push(`  process ${e.process.pid}: RSS ${fmtBytes(e.process.rssBytes)}  GPU ${fmtBytes(e.process.gpuBytes)}`);
    if (e.memoryCheck?.note) lines.push(`  ! ${e.memoryCheck.note}`);
    if (e.connected) {
      lines.push(`  ${fit('MODEL', 32)} ${'SIZE'.padStart(9)} ${'VRAM'.padStart(9)} ${'ON GPU'.padStart(7)} ${'CTX'.padStart(6)}  QUANT`);
      const models = sortModels(e, view.sort);
      if (models.length === 0) lines.push('  (no model loaded)');
      for (const m of models) {
        const onGpu = m.sizeBytes && m.vramBytes !== null ? `${Math.round((m.vramBytes / m.sizeBytes) * 100)}%` : '–';
        lines.push(`  ${fit(m.name, 32)} ${fmtBytes(m.sizeBytes).padStart(9)} ${fmtBytes(m.vramBytes).padStart(9)} ${onGpu.padStart(7)} ${(m.contextLength === null ? '–' : String(m.contextLength)).padStart(6)}  ${m.quantization ?? ''}${m.cpuSpill ? '  CPU spill' : ''}`);
      }
    }
  }
  return pad(lines, w, view.height);
}

function reason(s: MonitorSample, source: string): string {
  return s.system.sources.find((x) => x.source === source)?.reason ?? 'unknown';
}

function pad(lines: string[], w: number, h: number): string[] {
  const out = lines.slice(0, Math.max(1, h)).map((l) => fit(l, w));
  while (out.length < h) out.push(' '.repeat(w));
  return out;
}
