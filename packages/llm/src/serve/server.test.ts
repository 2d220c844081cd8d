import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseLlamaCppMetrics } from '../runtimes/wire.js';
import { startTinyServer, type TinyServer } from './testing.js';

let srv: TinyServer;
beforeAll(async () => {
  srv = await startTinyServer();
}, 60_000);
afterAll(async () => srv?.close());

describe('Ollama API through the official client', () => {
  test('generate streams NDJSON chunks and ends with nanosecond counters', async () => {
    const ollama = new Ollama({ host: srv.url });
    const t0 = process.hrtime.bigint();
    const stream = await ollama.generate({ model: srv.model, prompt: 'hello', stream: true, options: { num_predict: 12, temperature: 0 } });
    const parts: string[] = [];
    let last: any;
    for await (const c of stream) {
      if (!c.done) parts.push(c.response);
      last = c;
    }
    const wall = Number(process.hrtime.bigint() - t0);
    expect(last.done).toBe(true);
    expect(['stop', 'length']).toContain(last.done_reason);
    expect(last.eval_count).toBeGreaterThan(0);
    expect(last.eval_count).toBeLessThanOrEqual(12);
    expect(last.prompt_eval_count).toBeGreaterThan(0);
    // nanoseconds: positive integers, no longer than the request took, and not milliseconds
    for (const k of ['total_duration', 'prompt_eval_duration', 'eval_duration'] as const) {
      expect(Number.isInteger(last[k])).toBe(true);
      expect(last[k]).toBeGreaterThan(0);
      expect(last[k]).toBeLessThanOrEqual(wall);
    }
    expect(last.total_duration).toBeGreaterThanOrEqual(last.prompt_eval_duration + last.eval_duration);
    expect(parts.join('').length).toBeGreaterThan(0);
  });

  test('chat without streaming returns one message with counters', async () => {
    const ollama = new Ollama({ host: srv.url });
    const r = await ollama.chat({ model: srv.model, messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }], stream: false, options: { num_predict: 8, temperature: 0 } });
    expect(r.message.role).toBe('assistant');
    expect(r.done).toBe(true);
    expect(r.eval_count).toBeGreaterThan(0);
    expect(typeof r.message.content).toBe('string');
  });

  test('tags, show, ps, version, embed', async () => {
    const ollama = new Ollama({ host: srv.url });
    const tags = await ollama.list();
    expect(tags.models.map((m) => m.name)).toEqual([srv.model]);
    expect(tags.models[0]!.details.format).toBe('gguf');
    expect(tags.models[0]!.size).toBeGreaterThan(0);
    const show = await ollama.show({ model: srv.model });
    expect((show.model_info as any)['llama.context_length']).toBe(512);
    expect(show.template).toContain('im_start');
    const ps = await ollama.ps();
    const running = ps.models.find((m) => m.name === srv.model)!;
    expect(running.context_length).toBe(512);
    expect(new Date(running.expires_at).getTime()).toBeGreaterThan(Date.now());
    expect(running.size_vram).toBe(0);
    expect((await ollama.version()).version).toBe('0.0.0-test');
    const emb = await ollama.embed({ model: srv.model, input: ['one', 'two'] });
    expect(emb.embeddings).toHaveLength(2);
    expect(emb.embeddings[0]!.length).toBe(64);
  });

  test('keep_alive 0 unloads, an empty prompt loads', async () => {
    const ollama = new Ollama({ host: srv.url });
    const un = await ollama.generate({ model: srv.model, prompt: '', keep_alive: 0 });
    expect(un.done_reason).toBe('unload');
    expect((await ollama.ps()).models).toHaveLength(0);
    const ld = await ollama.generate({ model: srv.model, prompt: '', keep_alive: '10m' });
    expect(ld.done_reason).toBe('load');
    const ps = await ollama.ps();
    expect(ps.models).toHaveLength(1);
    const left = new Date(ps.models[0]!.expires_at).getTime() - Date.now();
    expect(left).toBeGreaterThan(9 * 60_000);
    expect(left).toBeLessThanOrEqual(10 * 60_000);
  });

  test('unknown model is a 404 with Ollama error body; images are refused clearly', async () => {
    const ollama = new Ollama({ host: srv.url });
    await expect(ollama.generate({ model: 'nope', prompt: 'x', stream: false })).rejects.toMatchObject({ status_code: 404, error: expect.stringContaining("model 'nope' not found") });
    await expect(ollama.chat({ model: srv.model, messages: [{ role: 'user', content: 'x', images: ['aGVsbG8='] }] })).rejects.toMatchObject({ status_code: 400, error: expect.stringContaining('no vision support') });
    await expect(ollama.chat({ model: srv.model, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { description: 'no name' } } as any] })).rejects.toMatchObject({ status_code: 400, error: expect.stringContaining('function.name') });
  });

  test('image input is refused with a 400 that says why, in both APIs, streaming or not', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
    const post = (path: string, body: object) => fetch(`${srv.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const evaluated = srv.engine.counters.promptTokens;
    for (const stream of [true, false]) {
      const gen = await post('/api/generate', { model: srv.model, prompt: 'what is this', images: [png], stream });
      expect(gen.status).toBe(400);
      expect(((await gen.json()) as { error: string }).error).toMatch(/cannot read images: the built-in engine has no vision support .*multimodal.*\(.*llama\.cpp server \(--mmproj\)\)/);
      const chat = await post('/api/chat', { model: srv.model, messages: [{ role: 'user', content: 'what is this', images: [png] }], stream });
      expect(chat.status).toBe(400);
      expect(((await chat.json()) as { error: string }).error).toMatch(/no vision support/);
      const v1 = await post('/v1/chat/completions', {
        model: srv.model,
        stream,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] }],
      });
      expect(v1.status).toBe(400);
      const err = ((await v1.json()) as { error: { message: string; type: string; code: string } }).error;
      expect(err).toMatchObject({ type: 'invalid_request_error', code: 'invalid_input' });
      expect(err.message).toMatch(/cannot read images: the built-in engine has no vision support/);
    }
    // Refused before the engine evaluated anything.
    expect(srv.engine.counters.promptTokens).toBe(evaluated);
  });

  test('a prompt longer than the context is refused, not silently truncated', async () => {
    const res = await fetch(`${srv.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: srv.model, prompt: 'word '.repeat(2000), raw: true, stream: false }) });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/the prompt is \d+ tokens but model 'tiny' is loaded with a context of 512/);
  });

  test('bad input gets clear errors', async () => {
    const post = (path: string, body: string) => fetch(`${srv.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post('/api/generate', '{not json')).status).toBe(400);
    const r = await post('/api/generate', JSON.stringify({ model: srv.model, prompt: 'x', options: { num_predict: 'ten' } }));
    expect(r.status).toBe(400);
    expect((await r.json()).error).toContain('options.num_predict');
    const k = await post('/api/generate', JSON.stringify({ model: srv.model, prompt: 'x', keep_alive: '5 parsecs' }));
    expect(k.status).toBe(400);
    expect((await post('/api/pull', JSON.stringify({ model: 'x' }))).status).toBe(501);
  });
});

describe('OpenAI-compatible API through the official client', () => {
  const client = () => new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'x', maxRetries: 0 });

  test('chat completion streams SSE deltas, usage and [DONE]', async () => {
    const stream = await client().chat.completions.create({ model: srv.model, messages: [{ role: 'user', content: 'hello' }], stream: true, max_tokens: 10, temperature: 0, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: any;
    let chunks = 0;
    for await (const c of stream) {
      chunks++;
      if (c.choices[0]) {
        text += c.choices[0].delta.content ?? '';
        finish = c.choices[0].finish_reason ?? finish;
      }
      if (c.usage) usage = c.usage;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(['stop', 'length']).toContain(finish);
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect(text.length).toBeGreaterThan(0);
  });

  test('raw SSE framing ends with data: [DONE]', async () => {
    const res = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: srv.model, messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 4 }) });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const body = await res.text();
    const events = body.split('\n\n').filter(Boolean);
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
  });

  test('completions, models, embeddings (base64 by default in the client)', async () => {
    const c = await client().completions.create({ model: srv.model, prompt: 'once upon a time', max_tokens: 5, temperature: 0 });
    expect(c.object).toBe('text_completion');
    expect(c.usage!.completion_tokens).toBeGreaterThan(0);
    expect(c.usage!.completion_tokens).toBeLessThanOrEqual(5);
    const models = await client().models.list();
    expect(models.data.map((m) => m.id)).toEqual([srv.model]);
    const e = await client().embeddings.create({ model: srv.model, input: ['a', 'b', 'c'] });
    expect(e.data).toHaveLength(3);
    expect(e.data[0]!.embedding).toHaveLength(64);
    expect(Math.hypot(...e.data[0]!.embedding)).toBeCloseTo(1, 3);
  });

  test('errors use the OpenAI shape', async () => {
    await expect(client().chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404 });
    await expect(client().chat.completions.create({ model: srv.model, messages: [] })).rejects.toMatchObject({ status: 400 });
  });
});

describe('serving', () => {
  test('a client that goes away cancels its generation and frees the model', async () => {
    const ac = new AbortController();
    const res = await fetch(`${srv.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: srv.model, prompt: 'x', raw: true, options: { num_predict: 100000 } }), signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    // the slot comes back: another request completes although the first asked for ~500 tokens
    const r2 = await fetch(`${srv.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: srv.model, prompt: 'y', stream: false, options: { num_predict: 2 } }) });
    expect(r2.status).toBe(200);
    const ps = await (await fetch(`${srv.url}/api/ps`)).json();
    expect(ps.models[0].context_length).toBe(512);
  });

  test('CORS: localhost pages may call, other origins get no grant; foreign Host is refused', async () => {
    const pre = await fetch(`${srv.url}/api/chat`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const get = await fetch(`${srv.url}/api/tags`, { headers: { origin: 'http://127.0.0.1:4000' } });
    expect(get.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:4000');
    const evil = await fetch(`${srv.url}/api/tags`, { headers: { origin: 'http://evil.example' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(srv.url);
      request({ host: u.hostname, port: u.port, path: '/api/tags', headers: { host: 'evil.example' } }, (r) => {
        r.resume();
        resolve(r.statusCode!);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(403);
  });
});

describe('engine counters at /metrics', () => {
  test('llama.cpp-named counters grow by exactly what a generation reports', async () => {
    const read = async () => parseLlamaCppMetrics(await (await fetch(`${srv.url}/metrics`)).text())!;
    const before = await read();
    const ollama = new Ollama({ host: srv.url });
    const r = await ollama.generate({ model: srv.model, prompt: 'count me', stream: false, options: { num_predict: 6, temperature: 0 } });
    const after = await read();
    expect(after.predictedTokensTotal! - before.predictedTokensTotal!).toBe(r.eval_count);
    expect(after.promptTokensTotal! - before.promptTokensTotal!).toBe(r.prompt_eval_count);
    expect(after.requestsProcessing).toBe(0);
    expect(after.predictedTokensPerSecond).toBeGreaterThan(0);
  });
});

describe('a busy model', () => {
  test('requests beyond the queue get 503 in both APIs while the running one continues', async () => {
    const busy = await startTinyServer({ maxQueue: 0 });
    try {
      const ac = new AbortController();
      const res = await fetch(`${busy.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: busy.model, prompt: 'x', raw: true, options: { num_predict: 100000 } }), signal: ac.signal });
      const reader = res.body!.getReader();
      await reader.read(); // generating now
      const ollama = new Ollama({ host: busy.url });
      await expect(ollama.generate({ model: busy.model, prompt: 'y', stream: false })).rejects.toMatchObject({ status_code: 503, error: expect.stringContaining('is busy') });
      const openai = new OpenAI({ baseURL: `${busy.url}/v1`, apiKey: 'x', maxRetries: 0 });
      await expect(openai.chat.completions.create({ model: busy.model, messages: [{ role: 'user', content: 'y' }] })).rejects.toMatchObject({ status: 503 });
      expect((await reader.read()).done).toBe(false); // the first request still streams
      ac.abort();
    } finally {
      await busy.close();
    }
  }, 60_000);
});
