import { LlmEndpoints } from '@workbench/core';
import { BenchRecorder, runBench, standardPrompts } from '@workbench/llm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ollamaWireRoutes, startReplayServer, type ReplayServer } from '../../llm/src/testing/wire-replay.js';
import { startTestServer, WsClient, type TestServer } from '../test/helpers.js';

// The LLM monitor in the server, against a small HTTP server replaying an Ollama-compatible
// wire format (packages/llm/fixtures).
describe('LLM monitor routes', () => {
  let t: TestServer;
  let replay: ReplayServer;
  beforeAll(async () => {
    process.env.WB_LLM_SAMPLE_MS = '200';
    replay = await startReplayServer(ollamaWireRoutes());
    t = await startTestServer();
    await new LlmEndpoints(t.server.workspace).add({ name: 'replay', kind: 'ollama', url: replay.url });
  });
  afterAll(async () => {
    delete process.env.WB_LLM_SAMPLE_MS;
    await t.close();
    await replay.close();
  });

  it('GET /llm/status: the configured endpoint first, defaults after, the machine', async () => {
    const s = await t.json('/llm/status');
    expect(s.endpoints[0]).toMatchObject({ name: 'replay', connected: true, origin: 'workspace', version: '0.12.3' });
    expect(s.endpoints[0].loaded.map((m: { name: string }) => m.name)).toEqual(['llama3.2:1b', 'qwen2.5:14b']);
    expect(s.endpoints.find((e: { name: string }) => e.name === 'vllm')).toMatchObject({ origin: 'default' });
    expect(s.system.sources.find((x: { source: string }) => x.source === 'cpu')).toMatchObject({ available: true });
    expect(s.collector).toMatchObject({ watching: true, intervalMs: 200 });
    expect((await fetch(`${t.server.url}/api/v1/llm/status`)).status).toBe(401);
  });

  it('GET /llm/history grows, bounded; ?since filters', async () => {
    const first = await t.json('/llm/history');
    await new Promise((r) => setTimeout(r, 700));
    const later = await t.json('/llm/history');
    expect(later.points.length).toBeGreaterThan(first.points.length);
    expect(later.collector.historyCapacity).toBe(1800);
    const p = later.points[later.points.length - 1];
    expect(p.endpoints[0]).toMatchObject({ name: 'replay', connected: true, loadedModels: 2, sizeBytes: 2519146496 + 11823742976, vramBytes: 2519146496 + 7046430720 });
    const since = await t.json(`/llm/history?since=${p.ts}`);
    expect(since.points.every((x: { ts: number }) => x.ts > p.ts)).toBe(true);
    expect((await t.api('/llm/history?since=-5')).status).toBe(400);
  });

  it('GET /metrics: Prometheus text behind the token', async () => {
    const r = await t.api('/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await r.text();
    expect(text).toContain(`wb_llm_endpoint_up{endpoint="replay",kind="ollama",url="${replay.url}"} 1`);
    expect(text).toMatch(/wb_llm_model_cpu_spill\{.*model="qwen2\.5:14b"\} 1/);
    expect(text).toMatch(/^wb_system_memory_total_bytes \d+$/m);
    expect((await fetch(`${t.server.url}/api/v1/metrics`)).status).toBe(401);
  });

  it('the stream’s llm topic pushes samples; unsubscribe stops them', async () => {
    const ws = await WsClient.connect(t.server);
    ws.send({ op: 'subscribe-llm' });
    const m = await ws.waitFor((x) => x.type === 'llm');
    expect(m.status.endpoints[0]).toMatchObject({ name: 'replay', connected: true });
    const count = () => ws.messages.filter((x) => x.type === 'llm').length;
    await ws.waitFor(() => count() >= 3);
    ws.send({ op: 'unsubscribe-llm' });
    await new Promise((r) => setTimeout(r, 300));
    const after = count();
    await new Promise((r) => setTimeout(r, 600));
    expect(count()).toBe(after);
    ws.send({ op: 'subscribe-llm', extra: 1 });
    ws.send({ op: 'nope' });
    const err = await ws.waitFor((x) => x.type === 'error');
    expect(err.error.message).toMatch(/subscribe-llm/);
    ws.close();
  });

  it('GET /llm/benchmarks lists benchmark runs with headline figures', async () => {
    const ws = t.server.workspace;
    const endpoint = { name: 'replay', kind: 'ollama' as const, url: replay.url, origin: 'flag' as const };
    const rec = await BenchRecorder.start(ws, { params: { model: 'llama3.2:1b', endpoint: replay.url, endpointKind: 'ollama', promptSet: 'standard', prompts: 1, runs: 1, concurrency: [1], maxTokens: 4 }, command: ['wb'], total: 1 });
    await rec.finish(await runBench({ endpoint, model: 'llama3.2:1b', prompts: standardPrompts.slice(0, 1), runs: 1, concurrency: [1], maxTokens: 4, onSample: (s, d) => rec.sample(s, d) }));
    const { benchmarks } = await t.json('/llm/benchmarks');
    expect(benchmarks).toHaveLength(1);
    expect(benchmarks[0]).toMatchObject({ runId: rec.run.id, status: 'succeeded', model: 'llama3.2:1b', project: 'llm-bench', concurrency: '1' });
    expect(benchmarks[0].decodeP50TokPerS).toBeCloseTo(9 / 0.12721, 6);
  });
});
