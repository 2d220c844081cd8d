import { createServer } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { fixture, llamaServerWireRoutes, ollamaWireRoutes, startReplayServer, streamPieces, type ReplayServer } from '../testing/wire-replay.js';
import { defaultEndpoints, guessKind, mergeEndpoints, normalizeUrl, ollamaHost } from './endpoints.js';
import { generate, GenerationError } from './generate.js';
import { probeEndpoint } from './probe.js';
import type { EndpointConfig } from './types.js';

const servers: ReplayServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});
async function replay(routes: Parameters<typeof startReplayServer>[0]) {
  const s = await startReplayServer(routes);
  servers.push(s);
  return s;
}
const ep = (url: string, kind: EndpointConfig['kind']): EndpointConfig => ({ name: 'test', kind, url, origin: 'flag' });

/** A port nothing listens on: bind one, note it, close it. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('endpoint addresses', () => {
  test('OLLAMA_HOST is read the way Ollama reads it', () => {
    expect(ollamaHost({})).toEqual({ url: 'http://127.0.0.1:11434', origin: 'default' });
    expect(ollamaHost({ OLLAMA_HOST: '0.0.0.0' })).toEqual({ url: 'http://127.0.0.1:11434', origin: 'env' });
    expect(ollamaHost({ OLLAMA_HOST: '127.0.0.1:9999' }).url).toBe('http://127.0.0.1:9999');
    expect(ollamaHost({ OLLAMA_HOST: 'https://box.local' }).url).toBe('https://box.local');
    expect(ollamaHost({ OLLAMA_HOST: 'ftp://x' })).toEqual({ url: 'http://127.0.0.1:11434', origin: 'default' });
  });

  test('URLs are normalised; bad ones are refused with a reason', () => {
    expect(normalizeUrl('localhost:1234/v1/', 80)).toBe('http://localhost:1234');
    expect(normalizeUrl(':8000', 80)).toBe('http://127.0.0.1:8000');
    expect(() => normalizeUrl('', 80)).toThrow(/empty/);
    expect(() => normalizeUrl('http://u:p@h:1', 80)).toThrow(/credentials/);
    expect(() => normalizeUrl('http://[bad', 80)).toThrow(/not a URL/);
    expect(guessKind('http://127.0.0.1:11434')).toBe('ollama');
    expect(guessKind('http://127.0.0.1:1234')).toBe('openai');
  });

  test('workspace endpoints replace defaults at the same URL', () => {
    const d = defaultEndpoints({});
    const merged = mergeEndpoints(d, [{ name: 'mine', kind: 'ollama', url: 'http://127.0.0.1:11434', origin: 'workspace' }]);
    expect(merged.map((e) => e.name)).toEqual(['mine', 'workbench', 'llama.cpp', 'lm-studio', 'vllm']);
  });
});

describe('probing', () => {
  test('Ollama wire: loaded models with size, VRAM and CPU spill; tags; version', async () => {
    const s = await replay(ollamaWireRoutes());
    const st = await probeEndpoint(ep(s.url, 'ollama'));
    expect(st).toMatchObject({ connected: true, reason: null, version: '0.12.3', available: ['llama3.2:1b', 'qwen2.5:14b'] });
    expect(st.loaded).toEqual([
      expect.objectContaining({ name: 'llama3.2:1b', sizeBytes: 2519146496, vramBytes: 2519146496, cpuSpill: false, quantization: 'Q8_0', parameterSize: '1.2B', contextLength: 4096 }),
      expect.objectContaining({ name: 'qwen2.5:14b', sizeBytes: 11823742976, vramBytes: 7046430720, cpuSpill: true }),
    ]);
  });

  test('llama.cpp server wire: /v1/models and /metrics counters', async () => {
    const s = await replay(llamaServerWireRoutes());
    const st = await probeEndpoint(ep(s.url, 'openai'));
    expect(st.connected).toBe(true);
    expect(st.loaded.map((m) => m.name)).toEqual(['tinyllama-1.1b-chat.Q4_K_M.gguf']);
    expect(st.counters).toEqual({ promptTokensTotal: 1842, predictedTokensTotal: 9613, promptTokensPerSecond: 386.16, predictedTokensPerSecond: 62.06, requestsProcessing: 1, requestsDeferred: 0, kvCacheUsageRatio: null });
  });

  test('not running: connection refused, never a throw', async () => {
    const port = await freePort();
    const st = await probeEndpoint(ep(`http://127.0.0.1:${port}`, 'ollama'));
    expect(st).toMatchObject({ connected: false, reason: 'connection refused', loaded: [] });
    const st2 = await probeEndpoint(ep(`http://127.0.0.1:${port}`, 'openai'));
    expect(st2).toMatchObject({ connected: false, reason: 'connection refused' });
  });

  test('a server that does not answer in time: timeout', async () => {
    const s = await replay({ 'GET /api/ps': { pieces: [{ delayMs: 2000, data: '{}' }] } });
    const st = await probeEndpoint(ep(s.url, 'ollama'), { timeoutMs: 200 });
    expect(st).toMatchObject({ connected: false, reason: 'timeout after 200 ms' });
  });

  test('HTTP errors and wrong APIs carry the status or what was wrong', async () => {
    const s = await replay({ 'GET /api/ps': { status: 500, body: '{"error":"boom"}' }, 'GET /v1/models': { body: '{"unexpected":true}' } });
    expect((await probeEndpoint(ep(s.url, 'ollama'))).reason).toMatch(/^HTTP 500/);
    expect((await probeEndpoint(ep(s.url, 'openai'))).reason).toMatch(/no "data" list/);
    const wrong = await replay({});
    expect((await probeEndpoint(ep(wrong.url, 'ollama'))).reason).toMatch(/^HTTP 404/);
  });

  test('hostile /api/ps entries are skipped, not fatal', async () => {
    const s = await replay({ 'GET /api/ps': { body: JSON.stringify({ models: [null, 5, { name: '' }, { name: 'ok', size: -1, size_vram: 'x' }] }) } });
    const st = await probeEndpoint(ep(s.url, 'ollama'), { listAvailable: false });
    expect(st.loaded).toEqual([expect.objectContaining({ name: 'ok', sizeBytes: null, vramBytes: null, cpuSpill: false })]);
  });
});

describe('generation timings', () => {
  test('Ollama: the engine’s own nanosecond counters, labelled as such', async () => {
    const s = await replay(ollamaWireRoutes({ gapMs: 5 }));
    const r = await generate(ep(s.url, 'ollama'), { model: 'llama3.2:1b', prompt: 'Why is the sky blue?', maxTokens: 16 });
    expect(r.text).toBe('The sky is blue because of Rayleigh scattering.');
    expect(r.prefill).toMatchObject({ tokens: 31, ms: 96.052, source: 'engine:ollama' });
    expect(r.prefill.tokPerS).toBeCloseTo(31 / 0.096052, 6);
    expect(r.decode).toMatchObject({ tokens: 9, ms: 127.21, source: 'engine:ollama' });
    expect(r.decode.tokPerS).toBeCloseTo(9 / 0.12721, 6);
    expect(r.loadMs).toBeCloseTo(18.833917, 6);
    expect(r.finishReason).toBe('stop');
    expect(JSON.parse(s.requests.find((q) => q.path === '/api/generate')!.body)).toMatchObject({ model: 'llama3.2:1b', stream: true, options: { num_predict: 16 } });
  });

  test('llama.cpp: the millisecond timings of the last chunk', async () => {
    const s = await replay(llamaServerWireRoutes());
    const r = await generate(ep(s.url, 'openai'), { model: 'tiny', prompt: 'hi', maxTokens: 3 });
    expect(r.text).toBe('Hello there!');
    expect(r.prefill).toMatchObject({ tokens: 24, ms: 61.874, source: 'engine:llama.cpp' });
    expect(r.decode.tokPerS).toBeCloseTo(3 / 0.048352, 9);
    expect(r.promptTokens).toBe(24);
    expect(r.finishReason).toBe('length');
  });

  test('without engine timings: decode from streamed tokens, never tokens over total time', async () => {
    const sse = fixture('llama-server-chat.sse').replace(/,"timings":\{[^}]*\}/, '');
    const s = await replay({ 'POST /v1/chat/completions': { contentType: 'text/event-stream', pieces: streamPieces(sse, 'sse', 300, 30) } });
    const r = await generate(ep(s.url, 'openai'), { model: 'tiny', prompt: 'hi', maxTokens: 3 });
    expect(r.prefill.source).toBe('unavailable');
    expect(r.decode.source).toBe('client:stream');
    expect(r.decode.tokens).toBe(2);
    // The 300 ms before the first token is not decode time.
    expect(r.decode.tokPerS!).toBeGreaterThan(r.completionTokens! / (r.totalMs / 1000));
    expect(r.ttftMs).toBeGreaterThanOrEqual(r.decode.ms!);
  });

  test('a stream cut before its summary is an error with a reason; a refused one too', async () => {
    const cut = fixture('ollama-generate.ndjson').split('\n').slice(0, 3).join('\n');
    const s = await replay({ 'POST /api/generate': { contentType: 'application/x-ndjson', body: cut } });
    await expect(generate(ep(s.url, 'ollama'), { model: 'm', prompt: 'p', maxTokens: 4 })).rejects.toThrow(/ended without its final summary/);
    const port = await freePort();
    const err = await generate(ep(`http://127.0.0.1:${port}`, 'ollama'), { model: 'm', prompt: 'p', maxTokens: 4 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GenerationError);
    expect((err as GenerationError).reason).toBe('connection refused');
  });

  test('cancel stops a generation in flight', async () => {
    const s = await replay(ollamaWireRoutes({ firstDelayMs: 50, gapMs: 200 }));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    const err = await generate(ep(s.url, 'ollama'), { model: 'm', prompt: 'p', maxTokens: 4, signal: ac.signal }).catch((e: unknown) => e);
    expect((err as GenerationError).reason).toBe('cancelled');
  });
});

describe('engine counters', () => {
  test('vLLM /metrics (labelled samples) map onto the same counters', async () => {
    const { parseLlamaCppMetrics } = await import('./wire.js');
    expect(parseLlamaCppMetrics(fixture('vllm-metrics.txt'))).toEqual({ promptTokensTotal: 5120, predictedTokensTotal: 40961, promptTokensPerSecond: null, predictedTokensPerSecond: null, requestsProcessing: 2, requestsDeferred: 0, kvCacheUsageRatio: 0.0123 });
    expect(parseLlamaCppMetrics('# nothing\ngo_goroutines 12\n')).toBeNull();
    expect(parseLlamaCppMetrics('llamacpp:requests_processing NaN\nllamacpp:requests_processing 1\n')).toMatchObject({ requestsProcessing: 1 });
  });
});

describe('kind detection', () => {
  test('asks /api/version: Ollama, wb llm serve, or OpenAI-compatible; null when not reachable', async () => {
    const { detectKind } = await import('./probe.js');
    const o = await replay(ollamaWireRoutes());
    const l = await replay(llamaServerWireRoutes());
    const w = await replay({ 'GET /api/version': { body: '{"version":"0.1.0","server":"workbench"}' } });
    expect(await detectKind(o.url)).toBe('ollama');
    expect(await detectKind(l.url)).toBe('openai');
    expect(await detectKind(w.url)).toBe('workbench');
    expect(await detectKind(`http://127.0.0.1:${await freePort()}`)).toBeNull();
    expect(guessKind('http://127.0.0.1:11435')).toBe('workbench');
  });
});
