import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { Runs, readLogs, tempDir, tempWorkspace } from '@workbench/core';
import { afterEach, expect, test } from 'vitest';
import { ollamaWireRoutes, startReplayServer, type ReplayServer } from '../testing/wire-replay.js';
import type { EndpointConfig } from '../runtimes/types.js';
import { loadPromptFile, standardPrompts } from './prompts.js';
import { runBench } from './runner.js';
import { summarize } from './stats.js';
import { BenchRecorder, benchToCsv, readBench } from './store.js';

const disposers: Array<() => Promise<void>> = [];
const servers: ReplayServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
  while (disposers.length) await disposers.pop()!();
});

test('summaries: nearest-rank percentiles, nulls left out', () => {
  expect(summarize([])).toMatchObject({ n: 0, mean: null, p50: null });
  const s = summarize([5, null, 1, 4, 2, 3, NaN]);
  expect(s).toEqual({ n: 5, mean: 3, p50: 3, p95: 5, min: 1, max: 5 });
  expect(summarize(Array.from({ length: 100 }, (_, i) => i + 1))).toMatchObject({ p50: 50, p95: 95 });
});

test('prompt files: jsonl and txt; bad ones say which line and why', async () => {
  const { dir, dispose } = await tempDir();
  disposers.push(dispose);
  const f = (n: string, s: string) => writeFile(path.join(dir, n), s).then(() => path.join(dir, n));
  const jsonl = await f('p.jsonl', '{"prompt":"hello","id":"a","max_tokens":5}\n\n"plain string"\n');
  expect(await loadPromptFile(jsonl)).toEqual([
    { id: 'a', prompt: 'hello', maxTokens: 5, class: 'custom' },
    { id: 'p2', prompt: 'plain string', maxTokens: 128, class: 'custom' },
  ]);
  expect((await loadPromptFile(await f('p.txt', 'one\ntwo\n'), 7)).map((p) => [p.prompt, p.maxTokens])).toEqual([['one', 7], ['two', 7]]);
  await expect(loadPromptFile(await f('b.jsonl', '{"prompt":"x"}\n{oops\n'))).rejects.toThrow(/b.jsonl line 2: not JSON/);
  await expect(loadPromptFile(await f('c.jsonl', '{"prompt":"x","max_tokens":-1}'))).rejects.toThrow(/line 1: "max_tokens"/);
  await expect(loadPromptFile(await f('d.jsonl', '{"prompt":"x","id":"a"}\n{"prompt":"y","id":"a"}'))).rejects.toThrow(/id 'a' is used twice/);
  await expect(loadPromptFile(await f('e.jsonl', '{"prompt":"x","id":"../../etc"}'))).rejects.toThrow(/"id" must be/);
  await expect(loadPromptFile(await f('empty.txt', '\n\n'))).rejects.toThrow(/has no prompts/);
  await expect(loadPromptFile(await f('x.csv', 'a,b'))).rejects.toThrow(/unsupported prompt file type/);
  await expect(loadPromptFile(path.join(dir, 'missing.txt'))).rejects.toThrow(/does not exist/);
  await expect(loadPromptFile(dir)).rejects.toThrow(/is not a file/);
  expect(new Set(standardPrompts.map((p) => p.class))).toEqual(new Set(['short', 'medium', 'long']));
});

async function ollamaReplay(gapMs = 0): Promise<EndpointConfig> {
  const s = await startReplayServer(ollamaWireRoutes({ gapMs }));
  servers.push(s);
  return { name: 'replay', kind: 'ollama', url: s.url, origin: 'flag' };
}

test('a benchmark stored as a run: per-request metrics, aggregates, peak memory, export as JSON and CSV', async () => {
  const { ws, dispose } = await tempWorkspace();
  disposers.push(dispose);
  const endpoint = await ollamaReplay();
  const prompts = standardPrompts.slice(0, 2);
  const total = 2 * 2 * prompts.length;
  const rec = await BenchRecorder.start(ws, { params: { model: 'llama3.2:1b', endpoint: endpoint.url, endpointKind: 'ollama', promptSet: 'standard', prompts: prompts.length, runs: 2, concurrency: [1, 2], maxTokens: null }, command: ['wb', 'llm', 'bench', 'llama3.2:1b'], total });
  let mem = 1000;
  const result = await runBench({ endpoint, model: 'llama3.2:1b', prompts, runs: 2, concurrency: [1, 2], onSample: (s, done) => rec.sample(s, done), memory: async () => ({ bytes: (mem += 10), source: 'ollama /api/ps size' }) });
  const run = await rec.finish(result);
  expect(run).toMatchObject({ kind: 'benchmark', status: 'succeeded' });
  expect(result.samples).toHaveLength(total);
  expect(result.samples.every((s) => s.ok && s.decodeSource === 'engine:ollama' && s.prefillSource === 'engine:ollama')).toBe(true);
  expect(result.levels.map((l) => [l.concurrency, l.samples])).toEqual([[1, 4], [2, 4]]);
  // Warm-up excluded: the replay saw one more generate request than there are samples.
  const exported = await readBench(ws, run.id);
  expect(exported.run.status).toBe('succeeded');
  expect(exported.params).toMatchObject({ model: 'llama3.2:1b', prompt_set: 'standard', concurrency: '1,2', peak_memory_source: 'ollama /api/ps size' });
  expect(exported.samples.map((s) => s.index)).toEqual([...Array(total).keys()]);
  expect(exported.aggregates['c1/decode_tok_s/p50']).toBeCloseTo(9 / 0.12721, 6);
  expect(exported.aggregates['c2/ttft_ms/p95']).toBeGreaterThan(0);
  expect(exported.aggregates.peak_memory_bytes).toBeGreaterThan(1000);
  const csv = benchToCsv(exported).trim().split('\n');
  expect(csv[0]).toBe('index,concurrency,repeat,promptId,promptClass,ok,error,ttftMs,totalMs,promptTokens,completionTokens,prefillTokPerS,prefillSource,decodeTokPerS,decodeSource,at');
  expect(csv).toHaveLength(total + 1);
  expect(csv[1]).toMatch(/^0,1,0,short-capital,short,true,,[\d.]+,[\d.]+,31,9,[\d.]+,engine:ollama,[\d.]+,engine:ollama,/);
  const listed = await new Runs(ws).list({ project: 'llm-bench' });
  expect(listed.runs.map((r) => r.id)).toEqual([run.id]);
});

test('cancel mid-way: partial results kept, the run marked cancelled', async () => {
  const { ws, dispose } = await tempWorkspace();
  disposers.push(dispose);
  const endpoint = await ollamaReplay(20);
  const prompts = standardPrompts.slice(0, 3);
  const rec = await BenchRecorder.start(ws, { params: { model: 'm', endpoint: endpoint.url, endpointKind: 'ollama', promptSet: 'standard', prompts: 3, runs: 5, concurrency: [1], maxTokens: 4 }, command: ['wb'], total: 15 });
  const ac = new AbortController();
  const result = await runBench({ endpoint, model: 'm', prompts, runs: 5, concurrency: [1], maxTokens: 4, signal: ac.signal, onSample: async (s, done) => {
    await rec.sample(s, done);
    if (done === 2) ac.abort();
  } });
  const run = await rec.finish(result);
  expect(result.cancelled).toBe(true);
  expect(run.status).toBe('cancelled');
  expect(run.statusReason).toMatch(/2 of 15 requests kept/);
  expect((await readBench(ws, run.id)).samples).toHaveLength(2);
});

test('an endpoint that is not running fails the warm-up with the reason; a run whose requests all fail is failed', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  const endpoint: EndpointConfig = { name: 'x', kind: 'ollama', url: `http://127.0.0.1:${port}`, origin: 'flag' };
  await expect(runBench({ endpoint, model: 'm', prompts: standardPrompts.slice(0, 1), runs: 1, concurrency: [1] })).rejects.toThrow(/warm-up failed: .*connection refused/);
  const { ws, dispose } = await tempWorkspace();
  disposers.push(dispose);
  const rec = await BenchRecorder.start(ws, { params: { model: 'm', endpoint: endpoint.url, endpointKind: 'ollama', promptSet: 'standard', prompts: 1, runs: 1, concurrency: [1], maxTokens: 4 }, command: ['wb'], total: 1 });
  const result = await runBench({ endpoint, model: 'm', prompts: standardPrompts.slice(0, 1), runs: 1, concurrency: [1], warmup: false, onSample: (s, d) => rec.sample(s, d) });
  const run = await rec.finish(result);
  expect(run.status).toBe('failed');
  expect(run.statusReason).toMatch(/every request failed \(connection refused\)/);
  const logs = await readLogs(ws.db, run.id, { stream: 'event' });
  expect(logs[0]!.level).toBe('ERROR');
  await expect(runBench({ endpoint, model: 'm', prompts: [], runs: 1, concurrency: [1] })).rejects.toThrow(/no prompts/);
  await expect(runBench({ endpoint, model: 'm', prompts: standardPrompts.slice(0, 1), runs: 1, concurrency: [0] })).rejects.toThrow(/concurrency levels/);
  await expect(readBench(ws, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
});
