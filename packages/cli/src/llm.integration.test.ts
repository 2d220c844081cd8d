import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { tempDir } from '@workbench/core';
import { ollamaWireRoutes, startReplayServer, type ReplayServer } from '../../llm/src/testing/wire-replay.js';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { spawnWb, waitFor, wb, wbBin, wbJson, workspaceOf } from './testing/wb.js';

// The real bundled `wb` against small HTTP servers that replay an Ollama-compatible wire
// format (see packages/llm/fixtures/README.md). The end-to-end test against the built-in
// engine lives in e2e/llm.e2e.test.ts.
let home: string;
let dispose: () => Promise<void>;
const servers: ReplayServer[] = [];
beforeEach(async () => ({ dir: home, dispose } = await tempDir('wb-llm-cli-')));
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
  await dispose();
});

async function replay(opts: { gapMs?: number } = {}): Promise<ReplayServer> {
  const s = await startReplayServer(ollamaWireRoutes(opts));
  servers.push(s);
  return s;
}

async function refusedUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

test('wb llm status: connected and not-running endpoints with reasons, loaded models with size and VRAM, system', async () => {
  const s = await replay();
  const down = await refusedUrl();
  const st = await wbJson(home, ['llm', 'status', '--endpoint', s.url, '--kind', 'ollama', '--endpoint', down]);
  expect(st.endpoints.map((e: { connected: boolean; reason: string | null }) => [e.connected, e.reason])).toEqual([
    [true, null],
    [false, 'connection refused'],
  ]);
  expect(st.endpoints[0].loaded[1]).toMatchObject({ name: 'qwen2.5:14b', sizeBytes: 11823742976, vramBytes: 7046430720, cpuSpill: true });
  expect(st.system.sources.map((x: { source: string }) => x.source)).toEqual(['cpu', 'memory', 'nvidia-smi', 'rocm-smi', 'macmon', 'thermal']);
  const text = await wb(home, ['llm', 'status', '--endpoint', s.url, '--kind', 'ollama', '--endpoint', down]);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/not running: connection refused/);
  expect(text.stdout).toMatch(/qwen2\.5:14b\s+11 GiB\s+6\.6 GiB\s+60%\s+CPU spill/);
  expect((await wb(home, ['llm', 'status', '--endpoint', s.url, '--kind', 'tgi'])).stderr).toMatch(/--kind tgi: use ollama, openai or workbench/);
  const bad = await wb(home, ['llm', 'status', '--endpoint', 'ftp://x']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--endpoint ftp:\/\/x: .*not an http/);
});

test('wb llm endpoint add | list | rm', async () => {
  const s = await replay();
  // No --kind: the endpoint is asked which API it speaks.
  const added = await wbJson(home, ['llm', 'endpoint', 'add', 'mine', s.url.replace('http://', '')]);
  expect(added).toMatchObject({ name: 'mine', kind: 'ollama', url: s.url, connected: true });
  const list = await wbJson<Array<{ name: string; from: string; connected: boolean; reason: string | null }>>(home, ['llm', 'endpoint', 'list']);
  expect(list[0]).toMatchObject({ name: 'mine', from: 'workspace', connected: true });
  expect(list.find((e) => e.name === 'vllm')).toMatchObject({ from: 'default' });
  expect((await wb(home, ['llm', 'endpoint', 'add', 'mine', s.url])).code).toBe(4);
  const bad = await wb(home, ['llm', 'endpoint', 'add', '../etc', s.url]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/not a valid endpoint name/);
  // A configured endpoint is used by name.
  const st = await wbJson(home, ['llm', 'status', '--endpoint', 'mine']);
  expect(st.endpoints[0]).toMatchObject({ name: 'mine', connected: true });
  expect((await wbJson(home, ['llm', 'endpoint', 'rm', 'mine'])).name).toBe('mine');
  expect((await wb(home, ['llm', 'endpoint', 'rm', 'mine'])).code).toBe(3);
});

test('wb llm bench: stored as a benchmark run, exported as CSV and JSON', async () => {
  const s = await replay();
  const prompts = path.join(home, 'p.jsonl');
  await writeFile(prompts, '{"prompt":"Why is the sky blue?","id":"sky"}\n{"prompt":"=cmd|calc","id":"formula"}\n');
  const r = await wbJson(home, ['llm', 'bench', 'llama3.2:1b', '--endpoint', s.url, '--kind', 'ollama', '--prompts', prompts, '--runs', '2', '--concurrency', '1,2', '--max-tokens', '8']);
  expect(r.run.status).toBe('succeeded');
  expect(r.samples).toHaveLength(8);
  expect(r.levels.map((l: { concurrency: number }) => l.concurrency)).toEqual([1, 2]);
  expect(r.peakMemory).toEqual({ bytes: 2519146496, source: 'ollama /api/ps size' });
  // Warm-up plus 8 timed requests reached the runtime.
  expect(s.requests.filter((q) => q.path === '/api/generate')).toHaveLength(9);
  const runs = await wbJson(home, ['run', 'list', '--project', 'llm-bench']);
  expect(JSON.stringify(runs)).toContain(r.run.id);
  const csv = await wb(home, ['llm', 'bench', 'export', r.run.id, '--format', 'csv']);
  expect(csv.code).toBe(0);
  const lines = csv.stdout.trim().split('\n');
  expect(lines).toHaveLength(9);
  expect(lines[1]).toMatch(/^0,1,0,sky,custom,true,/);
  const json = JSON.parse((await wb(home, ['llm', 'bench', 'export', r.run.id])).stdout);
  expect(json.params).toMatchObject({ model: 'llama3.2:1b', endpoint: s.url, prompt_set: prompts });
  expect(json.aggregates['c2/decode_tok_s/p50']).toBeCloseTo(9 / 0.12721, 6);
  const text = await wb(home, ['llm', 'bench', 'llama3.2:1b', '--endpoint', s.url, '--kind', 'ollama', '--max-tokens', '4', '--no-warmup']);
  expect(text.stdout).toMatch(/rates from: prefill: engine:ollama, decode: engine:ollama/);
  expect(text.stdout).toMatch(/export: wb llm bench export \S+ --format csv/);
  expect((await wb(home, ['llm', 'bench', 'export', 'nope'])).code).toBe(3);
  expect((await wb(home, ['llm', 'bench', 'llama3.2:1b', '--endpoint', s.url, '--concurrency', '0'])).stderr).toMatch(/--concurrency 0/);
  expect((await wb(home, ['llm', 'bench', 'llama3.2:1b', '--endpoint', s.url, '--prompts', path.join(home, 'missing.txt')])).stderr).toMatch(/does not exist/);
  const down = await wb(home, ['llm', 'bench', 'x', '--endpoint', await refusedUrl()]);
  expect(down.code).toBe(9);
  expect(down.stderr).toMatch(/is not running \(connection refused\)/);
}, 60_000);

test('Ctrl-C stops a benchmark cleanly: partial results kept, the run cancelled', async () => {
  const s = await replay({ gapMs: 30 });
  const child = spawnWb(home, ['llm', 'bench', 'llama3.2:1b', '--endpoint', s.url, '--kind', 'ollama', '--runs', '100', '--json']);
  await waitFor(async () => s.requests.filter((q) => q.path === '/api/generate').length >= 3, 20_000, 'a few requests');
  child.kill('SIGINT');
  const r = await child.result;
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.run.status).toBe('cancelled');
  expect(out.samples.length).toBeGreaterThan(0);
  expect(out.samples.length).toBeLessThan(600);
  const exported = JSON.parse((await wb(home, ['llm', 'bench', 'export', out.run.id])).stdout);
  expect(exported.run.status).toBe('cancelled');
  expect(exported.samples).toHaveLength(out.samples.length);
}, 60_000);

test('wb llm top: a clear message without a terminal; a live frame and q under a pseudo-terminal', async () => {
  const piped = await wb(home, ['llm', 'top']);
  expect(piped.code).toBe(2);
  expect(piped.stderr).toMatch(/needs a terminal/);
  const s = await replay();
  // util-linux `script` gives the command a real pseudo-terminal; keys arrive on its stdin.
  const cmd = `${process.execPath} ${wbBin} llm top --endpoint ${s.url} --kind ollama --interval 0.3`;
  const child = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], { env: { ...process.env, WB_HOME: workspaceOf(home), COLUMNS: '110', LINES: '30', TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(async () => /llama3\.2:1b/.test(out) && /qwen2\.5:14b/.test(out), 20_000, 'a frame with the loaded models');
  expect(out).toContain('\x1b[?1049h'); // alternate screen
  expect(out).toMatch(/connected \(\d+ ms\)\s+2 loaded\s+v0\.12\.3/);
  child.stdin.write('s');
  await waitFor(async () => /s: sort \(size\)/.test(out), 10_000, 'the sort to change');
  child.stdin.write('q');
  const code = await new Promise<number | null>((r) => child.on('close', r));
  expect(code).toBe(0);
  expect(out).toContain('\x1b[?1049l'); // the terminal is given back
}, 60_000);

test('wb llm top reads the running server’s monitor (one sampler), and --direct samples here', async () => {
  const s = await replay();
  expect((await wb(home, ['llm', 'endpoint', 'add', 'mine', s.url, '--kind', 'ollama'])).code).toBe(0);
  const server = spawnWb(home, ['serve', '--port', '0', '--json']);
  let first = '';
  server.stdout!.on('data', (d: Buffer) => (first += d.toString()));
  await waitFor(async () => first.includes('\n'), 20_000, 'wb serve to print its address');
  const { url } = JSON.parse(first.slice(0, first.indexOf('\n'))) as { url: string };
  try {
    const runTop = async (extra: string[], expectText: RegExp) => {
      const cmd = `${process.execPath} ${wbBin} llm top --interval 0.3 ${extra.join(' ')}`;
      const child = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], { env: { ...process.env, WB_HOME: workspaceOf(home), COLUMNS: '120', LINES: '30', TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor(async () => expectText.test(out) && /> mine .*connected/.test(out), 20_000, `top to show ${expectText}`);
      child.stdin.write('q');
      expect(await new Promise<number | null>((r) => child.on('close', r))).toBe(0);
    };
    await runTop([], new RegExp(`via the server at ${url.replace(/[.]/g, '\\.')}`));
    await runTop(['--direct'], /via this process \(sampling directly\)/);
  } finally {
    server.kill('SIGTERM');
    await server.result;
  }
}, 90_000);
