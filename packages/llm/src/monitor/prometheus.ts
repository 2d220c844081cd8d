import type { MonitorSample } from './types.js';

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (l: Record<string, string | number>) => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${esc(String(v))}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

/** Prometheus text exposition (format 0.0.4) of one monitor sample. Unknown values are left out, not 0. */
export function toPrometheus(s: MonitorSample): string {
  const families = new Map<string, { help: string; type: 'gauge'; lines: string[] }>();
  const put = (name: string, help: string, l: Record<string, string | number>, v: number | null | undefined) => {
    if (v === null || v === undefined || !Number.isFinite(v)) return;
    let f = families.get(name);
    if (!f) families.set(name, (f = { help, type: 'gauge', lines: [] }));
    f.lines.push(`${name}${labels(l)} ${v}`);
  };
  const sys = s.system;
  for (const src of sys.sources) put('wb_telemetry_source_up', 'Whether a telemetry source could be read (1) or not (0)', { source: src.source }, src.available ? 1 : 0);
  put('wb_system_cpu_percent', 'Busy share of all CPU cores, percent', {}, sys.cpu?.percent);
  put('wb_system_cpu_cores', 'CPU cores', {}, sys.cpu?.cores);
  put('wb_system_memory_total_bytes', 'Physical memory', {}, sys.memory?.totalBytes);
  put('wb_system_memory_used_bytes', 'Memory in use (total minus available)', {}, sys.memory?.usedBytes);
  put('wb_system_swap_used_bytes', 'Swap in use', {}, sys.memory?.swapUsedBytes);
  for (const g of sys.gpus) {
    const l = { gpu: g.index, vendor: g.vendor, name: g.name };
    put('wb_gpu_utilization_percent', 'GPU utilisation, percent', l, g.utilPercent);
    put('wb_gpu_memory_used_bytes', 'GPU memory in use', l, g.memUsedBytes);
    put('wb_gpu_memory_total_bytes', 'GPU memory', l, g.memTotalBytes);
    put('wb_gpu_temperature_celsius', 'GPU temperature', l, g.temperatureC);
    put('wb_gpu_power_watts', 'GPU power draw', l, g.powerW);
    put('wb_gpu_sm_clock_mhz', 'GPU SM clock', l, g.smClockMHz);
    if (g.throttleReasons) put('wb_gpu_throttled', 'GPU clocks held back for a reason other than idling (1) or not (0)', l, g.throttleReasons.some((r) => r !== 'GpuIdle') ? 1 : 0);
  }
  for (const z of sys.thermal) put('wb_thermal_zone_celsius', 'Thermal zone temperature', { zone: z.name }, z.temperatureC);
  for (const e of s.endpoints) {
    const l = { endpoint: e.name, kind: e.kind, url: e.url };
    put('wb_llm_endpoint_up', 'Whether the runtime answered (1) or not (0)', l, e.connected ? 1 : 0);
    if (!e.connected) continue;
    put('wb_llm_loaded_models', 'Models loaded in the runtime', l, e.loaded.length);
    put('wb_llm_decode_tokens_per_second', 'Generation rate, from the engine where it reports one', l, e.live.decodeTokPerS);
    put('wb_llm_prefill_tokens_per_second', 'Prompt processing rate, from the engine where it reports one', l, e.live.prefillTokPerS);
    if (e.live.generating !== null) put('wb_llm_generating', 'Generating now (1) or idle (0)', l, e.live.generating ? 1 : 0);
    put('wb_llm_process_rss_bytes', "Resident memory of the runtime's server process", l, e.process?.rssBytes);
    put('wb_llm_process_gpu_memory_bytes', "GPU memory the driver attributes to the runtime's process", l, e.process?.gpuBytes);
    for (const m of e.loaded) {
      const ml = { ...l, model: m.name };
      put('wb_llm_model_size_bytes', 'Memory the runtime reports for a loaded model', ml, m.sizeBytes);
      put('wb_llm_model_vram_bytes', 'Of that, GPU memory', ml, m.vramBytes);
      if (m.sizeBytes !== null && m.vramBytes !== null) put('wb_llm_model_cpu_spill', 'Part of the model is on the CPU (size_vram < size)', ml, m.cpuSpill ? 1 : 0);
    }
  }
  let out = '';
  for (const [name, f] of families) out += `# HELP ${name} ${f.help}\n# TYPE ${name} ${f.type}\n${f.lines.join('\n')}\n`;
  return out;
}
