import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { SystemCollector } from '@workbench/telemetry';
import { fixture, llamaServerWireRoutes, ollamaWireRoutes, startReplayServer, type ReplayServer } from '../testing/wire-replay.js';
import type { EndpointConfig } from '../runtimes/types.js';
import { LlmMonitor, memoryCheck } from './monitor.js';
import { toPrometheus } from './prometheus.js';
import { RingBuffer } from './ring-buffer.js';
import { renderTopFrame } from './top-frame.js';

const servers: ReplayServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

async function refusedUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

test('ring buffer keeps the newest, oldest first', () => {
  const r = new RingBuffer<number>(3);
  expect(r.toArray()).toEqual([]);
  for (let i = 1; i <= 5; i++) r.push(i);
  expect(r.toArray()).toEqual([3, 4, 5]);
  expect(r.last()).toBe(5);
  expect(() => new RingBuffer(0)).toThrow();
});

test('a sample: endpoints connected or not running with the reason, loaded models, engine counter rates', async () => {
  const ollama = await startReplayServer(ollamaWireRoutes());
  const llama = await startReplayServer(llamaServerWireRoutes());
  servers.push(ollama, llama);
  const down = await refusedUrl();
  const eps: EndpointConfig[] = [
    { name: 'ollama', kind: 'ollama', url: ollama.url, origin: 'default' },
    { name: 'llama.cpp', kind: 'openai', url: llama.url, origin: 'workspace' },
    { name: 'gone', kind: 'openai', url: down, origin: 'workspace' },
  ];
  const mon = new LlmMonitor({ endpoints: () => eps, system: new SystemCollector({ env: { PATH: '/nonexistent' } }) });
  const first = await mon.sample();
  expect(first.endpoints.map((e) => [e.name, e.connected, e.reason])).toEqual([
    ['ollama', true, null],
    ['llama.cpp', true, null],
    ['gone', false, 'connection refused'],
  ]);
  expect(first.endpoints[0]!.memoryCheck).toMatchObject({ reportedVramBytes: 2519146496 + 7046430720, spill: ['qwen2.5:14b'] });
  expect(first.endpoints[0]!.memoryCheck!.note).toMatch(/qwen2.5:14b partly on the CPU/);
  // The process that listens on the replay port is this test process.
  expect(first.endpoints[0]!.pid).toBe(process.pid);
  expect(first.endpoints[0]!.process!.rssBytes).toBeGreaterThan(0);
  expect(first.endpoints[1]!.live).toMatchObject({ generating: true, decodeTokPerS: null });

  // The engine counted 300 more tokens: a rate over the sampling interval.
  llama.set('GET /metrics', { body: fixture('llama-server-metrics.txt').replace('llamacpp:tokens_predicted_total 9613', 'llamacpp:tokens_predicted_total 9913') });
  await new Promise((r) => setTimeout(r, 50));
  const second = await mon.sample();
  const live = second.endpoints[1]!.live;
  expect(live.decodeTokPerS).toBeGreaterThan(0);
  expect(live.decodeTokPerS!).toBeCloseTo(300 / ((second.ts - first.ts) / 1000), 6);
  expect(live.source).toMatch(/engine counters/);
  expect(second.endpoints[0]!.live).toEqual({ generating: null, decodeTokPerS: null, prefillTokPerS: null, source: null });

  // A request restarts a model's keep-alive clock: the next sample reads it as activity.
  ollama.set('GET /api/ps', { body: fixture('ollama-ps.json').replace('2026-11-23T16:19:41.417231069Z', '2026-11-23T16:24:41.000000000Z') });
  const third = await mon.sample();
  expect(third.endpoints[0]!.live).toMatchObject({ generating: true, decodeTokPerS: null, source: expect.stringMatching(/keep-alive deadline moved/) });
  const fourth = await mon.sample();
  expect(fourth.endpoints[0]!.live.generating).toBeNull();
  // The models a runtime can load are asked for once per 30 s, not every sample.
  expect(ollama.requests.filter((q) => q.path === '/api/tags')).toHaveLength(1);
  expect(fourth.endpoints[0]!.available).toEqual(['llama3.2:1b', 'qwen2.5:14b']);

  const prom = toPrometheus(second);
  expect(prom).toMatch(/^# HELP wb_llm_endpoint_up /m);
  expect(prom).toContain(`wb_llm_endpoint_up{endpoint="gone",kind="openai",url="${down}"} 0`);
  expect(prom).toContain(`wb_llm_model_cpu_spill{endpoint="ollama",kind="ollama",url="${ollama.url}",model="qwen2.5:14b"} 1`);
  expect(prom).toContain(`wb_llm_model_vram_bytes{endpoint="ollama",kind="ollama",url="${ollama.url}",model="llama3.2:1b"} 2519146496`);
  expect(prom).toMatch(/^wb_llm_decode_tokens_per_second\{endpoint="llama.cpp".*\} \d/m);
  expect(prom).toContain('wb_telemetry_source_up{source="nvidia-smi"} 0');
  // Every sample line is name{labels} value.
  for (const line of prom.split('\n').filter((l) => l && !l.startsWith('#'))) expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? -?[\d.e+-]+$/);

  const frame = renderTopFrame([first, second], { width: 100, height: 30, endpoint: 0, sort: 'vram', via: 'this process' });
  expect(frame).toHaveLength(30);
  expect(frame.every((l) => l.length === 100)).toBe(true);
  const text = frame.join('\n');
  expect(text).toMatch(/> ollama .*connected/);
  expect(text).toMatch(/gone .*not running: connection refused/);
  expect(text).toMatch(/GPU {2}not available \(nvidia-smi: command not found/);
  const row = (t: string, name: string) => t.search(new RegExp(`^  ${name.replace(/\./g, '\\.')} `, 'm'));
  expect(row(text, 'qwen2.5:14b')).toBeLessThan(row(text, 'llama3.2:1b')); // sorted by VRAM
  expect(text).toMatch(/qwen2.5:14b.*CPU spill/);
  const byName = renderTopFrame([second], { width: 100, height: 30, endpoint: 0, sort: 'name', via: 'x' }).join('\n');
  expect(row(byName, 'llama3.2:1b')).toBeGreaterThan(0);
  expect(row(byName, 'llama3.2:1b')).toBeLessThan(row(byName, 'qwen2.5:14b'));
  const llamaView = renderTopFrame([first, second], { width: 120, height: 30, endpoint: 1, sort: 'vram', via: 'x' }).join('\n');
  expect(llamaView).toMatch(/llama.cpp: GENERATING {2}decode \d+\.\d tok\/s /);
});

test('label values are escaped in the Prometheus text', async () => {
  const s = await startReplayServer({ 'GET /api/ps': { body: JSON.stringify({ models: [{ name: 'we"ird\\name\nx', size: 1, size_vram: 1 }] }) } });
  servers.push(s);
  const mon = new LlmMonitor({ endpoints: () => [{ name: 'o', kind: 'ollama', url: s.url, origin: 'flag' }], system: new SystemCollector({ env: { PATH: '/nonexistent' } }) });
  const prom = toPrometheus(await mon.sample());
  expect(prom).toContain('model="we\\"ird\\\\name\\nx"');
});

test('a tiny terminal still gets a full frame', () => {
  const f = renderTopFrame([], { width: 10, height: 3, endpoint: 5, sort: 'size', via: 'x' });
  expect(f).toHaveLength(3);
  expect(f.every((l) => l.length === 40)).toBe(true);
});

test('GPU figures, throttling and process memory reach the frame and the Prometheus text', async () => {
  const { parseNvidiaGpus, parseNvidiaApps } = await import('@workbench/telemetry');
  const gpus = parseNvidiaGpus(readFileSync(new URL('../../../telemetry/fixtures/nvidia-smi-2xa100-throttled.csv', import.meta.url), 'utf8'));
  const sample = {
    ts: Date.now(),
    system: { ts: Date.now(), platform: 'linux' as const, cpu: { percent: 12, cores: 64, load1: 3 }, memory: null, gpus, gpuProcesses: parseNvidiaApps('4242, 30000, GPU-x\n'), thermal: [], sources: [{ source: 'memory' as const, available: false, reason: 'permission denied' }] },
    endpoints: [],
  };
  const text = renderTopFrame([sample], { width: 140, height: 20, endpoint: 0, sort: 'vram', via: 'x' }).join('\n');
  expect(text).toMatch(/GPU0 NVIDIA A100-SXM4-40GB/);
  expect(text).toMatch(/util \[\|*\s*\]\s+0%.*4\.0 MiB \/ 40 GiB {2}31°C {2}54 W {2}210 MHz/);
  expect(text).toMatch(/GPU1 NVIDIA A100-SXM4-40GB {2}THROTTLED: SwPowerCap,SwThermalSlowdown,HwThermalSlowdown *\n.*100%.*83°C/);
  expect(text).toMatch(/MEM {2}not available: permission denied/);
  const prom = toPrometheus(sample);
  expect(prom).toContain('wb_gpu_utilization_percent{gpu="1",vendor="nvidia",name="NVIDIA A100-SXM4-40GB"} 100');
  expect(prom).toContain('wb_gpu_throttled{gpu="0",vendor="nvidia",name="NVIDIA A100-SXM4-40GB"} 0');
  expect(prom).toContain('wb_gpu_throttled{gpu="1",vendor="nvidia",name="NVIDIA A100-SXM4-40GB"} 1');
  expect(prom).toContain(`wb_gpu_memory_total_bytes{gpu="0",vendor="nvidia",name="NVIDIA A100-SXM4-40GB"} ${40960 * 1024 * 1024}`);
  expect(prom).not.toContain('wb_system_memory_used_bytes');
});

test('runtime VRAM against the driver’s figure for its process', () => {
  const st = { name: 'o', kind: 'ollama' as const, url: 'http://127.0.0.1:1', origin: 'flag' as const, connected: true, reason: null, latencyMs: 1, version: null, available: [], counters: null, pid: 7, loaded: [{ name: 'm', sizeBytes: 8e9, vramBytes: 8e9, cpuSpill: false, family: null, parameterSize: null, quantization: null, contextLength: null, expiresAt: null }] };
  expect(memoryCheck(st, { pid: 7, rssBytes: 1e9, gpuBytes: 8.6e9 }, true)).toEqual({ reportedVramBytes: 8e9, driverBytes: 8.6e9, spill: [], note: null });
  expect(memoryCheck(st, { pid: 7, rssBytes: 1e9, gpuBytes: 2e9 }, true)?.note).toMatch(/driver attributes less GPU memory/);
  const cpuOnly = { ...st, loaded: [{ ...st.loaded[0]!, vramBytes: 0 }] };
  expect(memoryCheck(cpuOnly, null, false)).toMatchObject({ spill: [], note: null });
  expect(memoryCheck(cpuOnly, null, true)).toMatchObject({ spill: ['m'], note: expect.stringMatching(/partly on the CPU/) });
});
