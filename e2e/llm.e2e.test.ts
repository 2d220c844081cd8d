import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { writeTinyModel } from '../packages/gguf/src/index';
import { generateOnEndpoint } from '../packages/llm/src/index';
import { apiCall, cleanup, cliBin, expectAccessible, llmServe, launchBrowser, openApp, saveScreenshot, serve, tempHome, until, type Served } from './helpers';

/** `wb …` as a child process without blocking this one (the test watches the monitor meanwhile). */
function wbAsync(home: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cliBin, ...args], { env: { ...process.env, WB_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A pass-through proxy that keeps the engine's raw response bodies: the engine's own words. */
async function recordingProxy(target: string): Promise<{ url: string; bodies: string[]; server: Server }> {
  const bodies: string[] = [];
  const t = new URL(target);
  const server = createServer((req, res) => {
    const up = request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      let body = '';
      r.on('data', (c: Buffer) => {
        body += c.toString();
        res.write(c);
      });
      r.on('end', () => {
        bodies.push(body);
        res.end();
      });
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, server };
}

type Status = { endpoints: Array<{ name: string; kind: string; connected: boolean; reason: string | null; loaded: Array<{ name: string; sizeBytes: number | null }>; live: { generating: boolean | null }; process: { rssBytes: number | null } | null }> };

// The monitor, the benchmark and the web page against the real built-in engine (`wb llm
// serve` with a tiny random-weight GGUF; gibberish output is expected).
describe('LLM monitor and benchmarks with wb llm serve', () => {
  const home = tempHome();
  let server: Served;
  let llm: { url: string; proc: ChildProcess };
  let browser: Browser;
  let page: Page;
  let benchRunId = '';
  const engine = (s: Status) => s.endpoints.find((e) => e.name === 'engine')!;

  beforeAll(async () => {
    const file = path.join(path.dirname(home), 'tiny.gguf');
    await writeTinyModel(file, { nLayer: 2, nEmbd: 64, nHead: 4, nFf: 128, nVocab: 300, contextLength: 2048, weightType: 'f16', seed: 5, name: 'tiny' });
    [server, llm] = await Promise.all([serve(home, 0, { WB_LLM_SAMPLE_MS: '250' }), llmServe(file, { threads: 2 })]);
    // No --kind: the engine says what it is in /api/version.
    const added = await wbAsync(home, ['llm', 'endpoint', 'add', 'engine', llm.url, '--json']);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ kind: 'workbench', connected: true });
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    llm?.proc.kill('SIGTERM');
    cleanup(home);
  });

  test('the monitor sees the model load, generate and unload; the benchmark stores honest figures', async () => {
    const first = await apiCall<Status>(server, 'GET', '/llm/status');
    expect(engine(first)).toMatchObject({ kind: 'workbench', connected: true });
    expect(first.endpoints.find((e) => e.name === 'vllm')).toMatchObject({ connected: false, reason: expect.stringMatching(/connection refused|timeout/) });

    // Load (Ollama semantics: an empty prompt loads the model).
    await fetch(`${llm.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'tiny', prompt: '', keep_alive: '10m' }) });
    const loaded = await until(async () => {
      const s = await apiCall<Status>(server, 'GET', '/llm/status');
      return engine(s).loaded.some((m) => m.name === 'tiny') && s;
    }, 'the model to show as loaded');
    expect(engine(loaded).loaded[0]!.sizeBytes).toBeGreaterThan(0);
    expect(engine(loaded).process?.rssBytes).toBeGreaterThan(0);

    // Generate: a benchmark through the CLI while the stream watches.
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/stream?token=${encodeURIComponent(server.token)}`);
    const seen: Status[] = [];
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { type: string; status: Status };
      if (m.type === 'llm') seen.push(m.status);
    });
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ op: 'subscribe-llm' }));
    const bench = await wbAsync(home, ['llm', 'bench', 'tiny', '--endpoint', 'engine', '--runs', '2', '--max-tokens', '24', '--json']);
    expect(bench.code, bench.stderr).toBe(0);
    const r = JSON.parse(bench.stdout) as { run: { id: string; status: string }; samples: Array<{ ok: boolean; decodeSource: string; prefillSource: string; decodeTokPerS: number; completionTokens: number }>; peakMemory: { bytes: number; source: string } | null };
    benchRunId = r.run.id;
    expect(r.run.status).toBe('succeeded');
    expect(r.samples).toHaveLength(12);
    expect(r.samples.every((s) => s.ok && s.decodeSource === 'engine:ollama' && s.prefillSource === 'engine:ollama' && s.decodeTokPerS > 0)).toBe(true);
    expect(r.peakMemory?.source).toMatch(/^RSS of the server process \d+$/);
    await until(async () => seen.length > 2 && seen.some((s) => engine(s).live.generating === true), 'the stream to show the engine generating');
    ws.close();

    // Honest rates: the decode figure is the engine's own eval_count / eval_duration for the same request.
    const proxy = await recordingProxy(llm.url);
    try {
      const g = await generateOnEndpoint({ name: 'p', kind: 'workbench', url: proxy.url, origin: 'flag' }, { model: 'tiny', prompt: 'Once upon a time', maxTokens: 32 });
      const raw = proxy.bodies.find((b) => b.includes('"eval_duration"'))!;
      const final = JSON.parse(raw.trim().split('\n').at(-1)!) as { eval_count: number; eval_duration: number; prompt_eval_count: number; prompt_eval_duration: number };
      const engineDecode = final.eval_count / (final.eval_duration / 1e9);
      expect(Math.abs(g.decode.tokPerS! - engineDecode) / engineDecode).toBeLessThanOrEqual(0.05);
      const enginePrefill = final.prompt_eval_count / (final.prompt_eval_duration / 1e9);
      expect(Math.abs(g.prefill.tokPerS! - enginePrefill) / enginePrefill).toBeLessThanOrEqual(0.05);
      // And it is not completion tokens over the whole request's wall time.
      expect(g.ttftMs).toBeLessThanOrEqual(g.totalMs);
    } finally {
      proxy.server.closeAllConnections();
      proxy.server.close();
    }

    // Unload (keep_alive 0).
    await fetch(`${llm.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'tiny', keep_alive: 0 }) });
    await until(async () => engine(await apiCall<Status>(server, 'GET', '/llm/status')).loaded.length === 0, 'the model to show as unloaded');

    // The benchmark is a run, and the exports carry every request.
    const runs = await apiCall<{ runs: Array<{ id: string; kind: string }> }>(server, 'GET', '/runs?project=llm-bench');
    expect(runs.runs.map((x) => [x.id, x.kind])).toEqual([[benchRunId, 'benchmark']]);
    const csv = await wbAsync(home, ['llm', 'bench', 'export', benchRunId, '--format', 'csv']);
    expect(csv.stdout.trim().split('\n')).toHaveLength(13);
    const prom = await (await fetch(`${server.url}/api/v1/metrics`, { headers: { authorization: `Bearer ${server.token}` } })).text();
    expect(prom).toMatch(/wb_llm_endpoint_up\{endpoint="engine",kind="workbench",url="[^"]+"\} 1/);
    expect(prom).toMatch(/wb_llm_process_rss_bytes\{endpoint="engine".*\} \d+/);
  }, 180_000);

  test('the LLM page: endpoints and why some are not running, history charts, benchmark history; accessible; screenshot', async () => {
    await fetch(`${llm.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'tiny', prompt: '', keep_alive: '10m' }) });
    ({ page } = await openApp(browser, server, { path: '/llm' }));
    const row = page.locator('[data-testid="llm-endpoint"]', { hasText: 'engine' });
    await row.waitFor();
    await until(async () => (await row.getAttribute('data-connected')) === 'true', 'the engine row to read connected');
    expect(await page.locator('[data-testid="llm-endpoint"][data-connected="false"]').first().textContent()).toMatch(/not running \((connection refused|timeout after \d+ ms)\)/);
    await page.getByRole('button', { name: 'engine' }).click();
    await page.locator('[data-testid="llm-model"]', { hasText: 'tiny' }).waitFor();
    await page.getByTestId('llm-no-gpu').waitFor();
    expect(await page.getByTestId('llm-no-gpu').textContent()).toMatch(/nvidia-smi: command not found/);
    const benchRow = page.locator('[data-testid="llm-benchmark"]', { hasText: 'tiny' });
    await benchRow.waitFor();
    expect(await benchRow.locator('a').getAttribute('href')).toBe(`/runs/${benchRunId}`);
    await until(async () => (await page.locator('[data-testid="llm-chart-memory"] [data-testid="chart"]').count()) > 0, 'the memory chart');
    await page.waitForTimeout(300);
    await expectAccessible(page, 'LLM page');
    await saveScreenshot(page, 'llm');
    await page.getByTestId('llm-benchmarks').scrollIntoViewIfNeeded();
    await saveScreenshot(page, 'llm-history');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(800); // the theme's colour transition settles (axe reads the colours drawn)
    await expectAccessible(page, 'LLM page (dark)');
    await saveScreenshot(page, 'llm-dark');
  }, 120_000);
});
