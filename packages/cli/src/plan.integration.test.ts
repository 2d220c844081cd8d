import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { tempDir } from '@workbench/core';
import { repoRoot, wb, wbJson } from './testing/wb.js';

// `wb plan` as users run it: the bundled CLI on real fixture configs and files.
const fixtures = path.join(repoRoot, 'packages', 'planner', 'src', 'fixtures');
const config = (name: string) => path.join(fixtures, 'configs', `${name}.json`);

let home: string;
let dispose: () => Promise<void>;
beforeEach(async () => ({ dir: home, dispose } = await tempDir('wb-plan-')));
afterEach(async () => dispose());

describe('wb plan', () => {
  test('a table: totals, grouped layers, fit, largest context and speed', async () => {
    const r = await wb(home, ['plan', config('gemma-2-9b'), '--gpu', 'h100', '--context', '32k', '--quant', 'q4_k_m', '--kv-dtype', 'q8_0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/9\.24 B parameters/);
    expect(r.stdout).toMatch(/0-40 every 2\s+gqa\+swa \(4096\)/);
    expect(r.stdout).toMatch(/fits on NVIDIA H100 SXM 80GB/);
    expect(r.stdout).toMatch(/largest context that fits at batch 1: 8,192 tokens \(the model’s maximum\)/);
    expect(r.stdout).toMatch(/decode [\d,.]+ tok\/s per sequence/);
  });

  test('--json carries the per-layer breakdown and the settings', async () => {
    const p = await wbJson<{ source: { kind: string }; settings: { context: number; batch: number; quant: string; engine: string }; layers: Array<{ kind: string; kvBytes: number }>; totals: { kv: number }; fit: { fits: boolean; gpuLayers: number } }>(home, [
      'plan', config('mixtral-8x7b-v0.1'), '--gpu', '4090', '--context', '4k', '--batch', '2', '--quant', 'q4_k_m',
    ]);
    expect(p.source.kind).toBe('hf-config');
    expect(p.settings).toMatchObject({ context: 4096, batch: 2, quant: 'q4_k_m', engine: 'llama.cpp' });
    expect(p.layers).toHaveLength(32);
    expect(p.totals.kv).toBe(2 * 4096 * 32 * 8 * 128 * 2 * 2);
    expect(p.fit.fits).toBe(false);
    expect(p.fit.gpuLayers).toBeGreaterThan(0);
  });

  test('bad input: exit code, message and a hint', async () => {
    const missing = await wb(home, ['plan', path.join(home, 'nope.json')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/no file, folder or cached model/);
    expect(missing.stderr).toMatch(/hint:/);
    const ctx = await wb(home, ['plan', config('llama-3.1-8b'), '--context', '-5']);
    expect(ctx.code).toBe(2);
    expect(ctx.stderr).toMatch(/context must be a positive whole number/);
    const gpu = await wb(home, ['plan', config('llama-3.1-8b'), '--gpu', 'voodoo5']);
    expect(gpu.code).toBe(3);
    expect(gpu.stderr).toMatch(/wb plan gpus lists the catalogue/);
    const quant = await wb(home, ['plan', config('llama-3.1-8b'), '--quant', 'q9_k']);
    expect(quant.code).toBe(2);
    expect(quant.stderr).toMatch(/Hugging Face formats|GGUF presets/);
  });

  test('gpus: the catalogue plus a user file (YAML), which is checked', async () => {
    const file = path.join(home, 'gpus.yaml');
    await writeFile(file, '- id: lab-card\n  name: Lab card 40GB\n  memoryGB: 40\n  bandwidthGBs: 1000\n  tflops: { fp16: 200 }\n');
    const list = await wbJson<Array<{ id: string; memoryMiB: number }>>(home, ['plan', 'gpus', '--gpu-file', file]);
    expect(list.map((g) => g.id)).toEqual(expect.arrayContaining(['h100-sxm', 'h200', 'a100-80', 'l40s', 'rtx-4090', 'rtx-3090', 'm2-ultra', 'lab-card']));
    const p = await wbJson<{ fit: { gpu: string } }>(home, ['plan', config('llama-3.1-8b'), '--gpu', 'lab-card', '--gpu-file', file, '--context', '4k']);
    expect(p.fit.gpu).toBe('Lab card 40GB');
    await writeFile(file, '- id: Bad Card\n  memoryGB: -1\n');
    const bad = await wb(home, ['plan', 'gpus', '--gpu-file', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/entry 1.*memoryMiB must be a positive number/);
  });

  test('reconcile with a llama.cpp load log and with nvidia-smi output (no GPU here: recorded CSV)', async () => {
    const r = await wbJson<{ rows: Array<{ component: string; errorPct: number }> }>(home, ['plan', 'reconcile', config('llama-3.1-8b'), '--llama-log', path.join(fixtures, 'llama-cpp-load.log'), '--context', '4k', '--quant', 'q8_0']);
    expect(r.rows.map((x) => x.component)).toEqual(['weights', 'kv', 'compute', 'output', 'total']);
    const n = await wb(home, ['plan', 'reconcile', config('llama-3.1-8b'), '--nvidia-smi', path.join(fixtures, 'nvidia-smi-memory-used.csv'), '--gpu', 'h100', '--context', '8k', '--quant', 'q4_k_m']);
    expect(n.code).toBe(0);
    expect(n.stdout).toMatch(/gpu\s+[\d.]+ GiB\s+10 GiB\s+[-+][\d.]+ %/);
    const none = await wb(home, ['plan', 'reconcile', config('llama-3.1-8b')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give exactly one measurement/);
  });
});

describe('wb plan reconcile against a running Ollama', () => {
  test('ollama:NAME resolves the local blob, takes the context Ollama loaded it with, and compares size', async () => {
    const { createServer } = await import('node:http');
    const { copyFile, mkdir } = await import('node:fs/promises');
    const { writeTinyModel } = await import('@workbench/gguf');
    const models = path.join(home, 'ollama');
    const hex = 'c'.repeat(64);
    await mkdir(path.join(models, 'blobs'), { recursive: true });
    await mkdir(path.join(models, 'manifests', 'registry.ollama.ai', 'library', 'tiny'), { recursive: true });
    const gguf = path.join(home, 'tiny.gguf');
    await writeTinyModel(gguf, { nLayer: 2, nEmbd: 64, nHead: 4, nHeadKv: 2, nFf: 128, nVocab: 300, weightType: 'q8_0' });
    await copyFile(gguf, path.join(models, 'blobs', `sha256-${hex}`));
    await writeFile(path.join(models, 'manifests', 'registry.ollama.ai', 'library', 'tiny', 'q8'), JSON.stringify({ layers: [{ mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${hex}` }] }));
    const body = await (await import('node:fs/promises')).readFile(path.join(fixtures, 'ollama-ps.json'), 'utf8');
    const server = createServer((req, res) => (req.url === '/api/ps' ? res.writeHead(200, { 'content-type': 'application/json' }).end(body) : res.writeHead(404).end()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const r = await wbJson<{ settings: { context: number }; rows: Array<{ component: string; measured: number }> }>(home, ['plan', 'reconcile', 'ollama:tiny:q8', '--ollama', url], { env: { OLLAMA_MODELS: models } });
      expect(r.settings.context).toBe(2048);
      expect(r.rows).toEqual([expect.objectContaining({ component: 'total', measured: 12582912 })]);
      const absent = await wb(home, ['plan', 'reconcile', 'ollama:tiny:q8', '--ollama', 'http://127.0.0.1:9'], { env: { OLLAMA_MODELS: models } });
      expect(absent.code).toBe(9);
      expect(absent.stderr).toMatch(/cannot reach Ollama/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
