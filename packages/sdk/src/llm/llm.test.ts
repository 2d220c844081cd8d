import { createServer } from 'node:http';
import { startTinyServer, type TinyServer } from '@workbench/llm/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LlmAbortedError, LlmContextOverflowError, LlmNotRunningError, LlmTimeoutError, ModelNotFoundError, detectEndpoint, listModels, load } from './index.js';

let srv: TinyServer;
beforeAll(async () => {
  srv = await startTinyServer();
}, 60_000);
afterAll(async () => srv?.close());

describe('against wb llm serve (native API)', () => {
  test('detects Workbench and lists its models', async () => {
    expect((await detectEndpoint({ endpoint: srv.url })).kind).toBe('workbench');
    const models = await listModels({ endpoint: srv.url });
    expect(models.map((m) => m.name)).toEqual([srv.model]);
    expect(models[0]!.family).toBe('llama');
  });

  test('generate returns text and engine-counter timings', async () => {
    const m = await load(srv.model, { endpoint: srv.url });
    expect(m.kind).toBe('workbench');
    expect(m.contextLength).toBe(512);
    const r = await m.generate('hello', { maxTokens: 8, temperature: 0 });
    expect(r.completionTokens).toBeGreaterThan(0);
    expect(r.timings.decodeTokensPerSec?.source).toBe('ollama-counters');
    expect(r.timings.prefillTokensPerSec?.source).toBe('ollama-counters');
    expect(r.timings.decodeTokensPerSec!.value).toBeGreaterThan(0);
    expect(r.timings.timeToFirstTokenMs?.source).toBe('client-stream');
    expect(r.timings.totalMs.value).toBeGreaterThanOrEqual(r.timings.timeToFirstTokenMs!.value);
  });

  test('stream yields text pieces, chat keeps roles', async () => {
    const m = await load(srv.model, { endpoint: srv.url });
    const pieces: string[] = [];
    const s = m.stream('tell me', { maxTokens: 6, temperature: 0 });
    for await (const t of s) pieces.push(t);
    const r = await s.result;
    expect(pieces.join('')).toBe(r.text);
    const c = await m.chat([{ role: 'user', content: 'hi' }], { maxTokens: 4, temperature: 0 });
    expect(c.completionTokens).toBeGreaterThan(0);
  });

  test('abort mid-stream raises LlmAbortedError', async () => {
    const m = await load(srv.model, { endpoint: srv.url });
    const ac = new AbortController();
    const s = m.stream('go on', { signal: ac.signal, maxTokens: 400, temperature: 0 });
    await expect(
      (async () => {
        for await (const _ of s) ac.abort();
      })(),
    ).rejects.toBeInstanceOf(LlmAbortedError);
  });

  test('context guard: warns by default, fails on request, num_ctx reaches the engine', async () => {
    const warnings: string[] = [];
    const m = await load(srv.model, { endpoint: srv.url, onWarning: (w) => warnings.push(w) });
    const long = 'lorem ipsum '.repeat(200);
    await expect(m.generate(long, { maxTokens: 1 })).rejects.toBeInstanceOf(LlmContextOverflowError); // the server refuses too
    expect(warnings[0]).toMatch(/more than the 512-token context/);
    const strict = await load(srv.model, { endpoint: srv.url, contextGuard: 'error' });
    await expect(strict.generate(long)).rejects.toMatchObject({ name: 'LlmContextOverflowError', estimated: true });
    const small = await load(srv.model, { endpoint: srv.url, contextLength: 256 });
    await small.generate('hi', { maxTokens: 2 });
    const ps = await listModels({ endpoint: srv.url });
    expect(ps[0]!.contextLength).toBe(256);
    await (await load(srv.model, { endpoint: srv.url, contextLength: 512 })).generate('hi', { maxTokens: 1 });
  });

  test('typed errors: model not found, nothing running, timeout', async () => {
    await expect(load('nope', { endpoint: srv.url })).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(load('x', { endpoint: 'http://127.0.0.1:9' })).rejects.toBeInstanceOf(LlmNotRunningError);
    const slow = createServer(() => undefined).listen(0, '127.0.0.1');
    await new Promise((r) => slow.once('listening', r));
    const port = (slow.address() as { port: number }).port;
    await expect(listModels({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 200 })).rejects.toBeInstanceOf(LlmTimeoutError);
    slow.closeAllConnections();
    slow.close();
  });
});

describe('against the OpenAI-compatible API', () => {
  test('kind openai: streams, usage and llama.cpp-style timings', async () => {
    const m = await load(srv.model, { endpoint: `${srv.url}/v1` });
    expect(m.kind).toBe('openai');
    const r = await m.generate('hello', { maxTokens: 6, temperature: 0 });
    expect(r.completionTokens).toBeGreaterThan(0);
    expect(r.timings.decodeTokensPerSec?.source).toBe('llama.cpp-timings');
  });

  test('a server without engine counters gets client-stream figures, never tokens over wall time', async () => {
    // A minimal OpenAI-compatible server: three chunks 50 ms apart, no timings block.
    const server = createServer((req, res) => {
      if (req.url === '/v1/models') return res.end(JSON.stringify({ object: 'list', data: [{ id: 'm', object: 'model' }] }));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const tick = setInterval(() => {
        if (i < 3) res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: `t${i}` }, finish_reason: null }] })}\n\n`);
        else {
          res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
          res.end();
          clearInterval(tick);
        }
        i++;
      }, 50);
    }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    const m = await load('m', { endpoint: `http://127.0.0.1:${port}` });
    const r = await m.generate('x');
    server.close();
    expect(r.text).toBe('t0t1t2');
    expect(r.timings.decodeTokensPerSec?.source).toBe('client-stream');
    expect(r.timings.prefillTokensPerSec).toBeNull();
    // 2 tokens between the first and the last chunk, ~100 ms apart: ~20 tok/s, not 3 / total
    const span = r.timings.totalMs.value - r.timings.timeToFirstTokenMs!.value;
    expect(r.timings.decodeTokensPerSec!.value).not.toBeCloseTo((3 / r.timings.totalMs.value) * 1000, 5);
    expect(span).toBeGreaterThan(0);
  });
});
