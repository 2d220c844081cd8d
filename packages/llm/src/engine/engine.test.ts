import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeTestModel } from '../serve/testing.js';
import { GenerationAbortedError, LlmEngine } from './engine.js';
import { KeepAliveError, parseKeepAlive } from './keep-alive.js';
import { FairQueue, QueueAbortedError, QueueFullError } from './queue.js';

describe('keep_alive', () => {
  test("reads Ollama's forms", () => {
    expect(parseKeepAlive(undefined)).toBe(5 * 60_000);
    expect(parseKeepAlive(0)).toBe(0);
    expect(parseKeepAlive(30)).toBe(30_000);
    expect(parseKeepAlive('10m')).toBe(600_000);
    expect(parseKeepAlive('1h30m')).toBe(5_400_000);
    expect(parseKeepAlive('250ms')).toBe(250);
    expect(parseKeepAlive('45')).toBe(45_000);
    expect(parseKeepAlive(-1)).toBe(Infinity);
    expect(parseKeepAlive('-1m')).toBe(Infinity);
  });
  test('refuses what it cannot read', () => {
    for (const bad of ['5 parsecs', 'm', '1x', NaN, Infinity, {}, true]) expect(() => parseKeepAlive(bad)).toThrow(KeepAliveError);
  });
});

describe('FairQueue', () => {
  test('first come, first served; bounded; a cancelled waiter leaves the line', async () => {
    const q = new FairQueue('m', 1, 2);
    const order: string[] = [];
    const first = await q.acquire();
    const ac = new AbortController();
    const b = q.acquire().then((rel) => (order.push('b'), rel));
    const cancelled = q.acquire(ac.signal);
    await expect(q.acquire()).rejects.toBeInstanceOf(QueueFullError);
    ac.abort();
    await expect(cancelled).rejects.toBeInstanceOf(QueueAbortedError);
    const c = q.acquire().then((rel) => (order.push('c'), rel));
    expect(q.queued).toBe(2);
    first();
    (await b)();
    (await c)();
    expect(order).toEqual(['b', 'c']);
    expect(q.active).toBe(0);
  });
});

describe('LlmEngine', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wb-engine-'));
    file = await writeTestModel(dir, 'tiny');
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  test('a busy model refuses requests beyond its queue with UNAVAILABLE (503)', async () => {
    const engine = new LlmEngine({ threads: 1, parallel: 1, maxQueue: 1 });
    try {
      await engine.addModel(file, { name: 'tiny' });
      await engine.load('tiny');
      const ac = new AbortController();
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      const long = engine.generate({ model: 'tiny', input: { kind: 'raw', prompt: 'a' }, maxTokens: 400, temperature: 0, signal: ac.signal, onText: () => started() });
      await running;
      const waiting = engine.generate({ model: 'tiny', input: { kind: 'raw', prompt: 'b' }, maxTokens: 2, temperature: 0 });
      await expect(engine.generate({ model: 'tiny', input: { kind: 'raw', prompt: 'c' }, maxTokens: 2 })).rejects.toMatchObject({ code: 'UNAVAILABLE', httpStatus: 503 });
      ac.abort();
      await expect(long).rejects.toBeInstanceOf(GenerationAbortedError);
      const r = await waiting;
      expect(r.completionTokens).toBeGreaterThan(0);
      expect(r.timings.queueNs).toBeGreaterThan(0);
    } finally {
      await engine.close();
    }
  }, 60_000);

  test('keep-alive unloads an idle model; num_predict is exact; two models live side by side', async () => {
    const engine = new LlmEngine({ threads: 1 });
    try {
      await engine.addModel(file, { name: 'a' });
      await engine.addModel(await writeTestModel(dir, 'other', { seed: 9 }), { name: 'b' });
      const r = await engine.generate({ model: 'a', input: { kind: 'raw', prompt: 'x' }, maxTokens: 5, temperature: 0, keepAliveMs: 60_000 });
      expect(r.completionTokens).toBeLessThanOrEqual(5);
      if (r.completionTokens === 5) expect(r.doneReason).toBe('length');
      await engine.generate({ model: 'b', input: { kind: 'chat', messages: [{ role: 'user', content: 'hi' }] }, maxTokens: 2 });
      expect(engine.running().map((m) => m.name).sort()).toEqual(['a', 'b']);
      await engine.load('a', 200); // keep 'a' only 200 ms more
      const deadline = Date.now() + 10_000;
      while (engine.running().some((m) => m.name === 'a') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
      expect(engine.running().map((m) => m.name)).toEqual(['b']);
    } finally {
      await engine.close();
    }
  }, 60_000);

  test('grammars: concurrent requests each keep their own schema; a bad schema is refused and frees the model', async () => {
    const engine = new LlmEngine({ threads: 1, parallel: 2 });
    try {
      await engine.addModel(file, { name: 'tiny' });
      const input = { kind: 'chat' as const, messages: [{ role: 'user' as const, content: 'hi' }] };
      const a = { type: 'object', properties: { side: { enum: ['left', 'right'] } } };
      const b = { type: 'object', properties: { ok: { type: 'boolean' }, n: { enum: [1, 2] } } };
      const [ra, rb, rFree] = await Promise.all([
        engine.generate({ model: 'tiny', input, constraint: { kind: 'json-schema', schema: a }, temperature: 0, maxTokens: 200 }),
        engine.generate({ model: 'tiny', input, constraint: { kind: 'json-schema', schema: b }, temperature: 0, maxTokens: 200 }),
        engine.generate({ model: 'tiny', input, temperature: 0, maxTokens: 200 }),
      ]);
      expect(ra.doneReason).toBe('stop');
      expect(Object.keys(JSON.parse(ra.text))).toEqual(['side']);
      expect(['left', 'right']).toContain(JSON.parse(ra.text).side);
      const vb = JSON.parse(rb.text);
      expect(Object.keys(vb).sort()).toEqual(['n', 'ok']);
      expect(typeof vb.ok).toBe('boolean');
      expect(rb.text).toBe(rb.text.trimEnd());
      // the same prompt without a grammar is the model's own gibberish, not JSON
      expect(() => JSON.parse(rFree.text)).toThrow();
      let deep: object = { type: 'boolean' };
      for (let i = 0; i < 600; i++) deep = { type: 'object', properties: { a: deep } };
      await expect(engine.generate({ model: 'tiny', input, constraint: { kind: 'json-schema', schema: deep }, maxTokens: 2 })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('cannot be turned into a grammar') });
      expect(engine.running()[0]).toMatchObject({ active: 0, queued: 0 });
      const again = await engine.generate({ model: 'tiny', input, constraint: { kind: 'json' }, temperature: 0, maxTokens: 200 });
      expect(typeof JSON.parse(again.text)).toBe('object');
    } finally {
      await engine.close();
    }
  }, 60_000);

  test('bad files and names get clear errors', async () => {
    const engine = new LlmEngine({ threads: 1 });
    try {
      await expect(engine.addModel(path.join(dir, 'missing.gguf'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const junk = path.join(dir, 'junk.gguf');
      await writeFile(junk, 'not a model at all');
      await engine.addModel(junk, { name: 'junk' });
      await expect(engine.generate({ model: 'junk', input: { kind: 'raw', prompt: 'x' } })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining("cannot load model 'junk'") });
      expect(() => engine.resolve('nope')).toThrow(/model 'nope' not found/);
      await engine.addModel(file, { name: 'tiny' });
      await expect(engine.addModel(file, { name: 'tiny' })).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    } finally {
      await engine.close();
    }
  }, 60_000);
});
