import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compare, nvidiaSmi, ollamaPs, parseLlamaCppLog, parseNvidiaSmiCsv, parseOllamaPs } from './index.js';
import { parseHfConfig, plan, prepareWeights, ENGINE_PROFILES, findGpu } from '../math/index.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const MiB = 1024 * 1024;

describe('llama.cpp load logs', () => {
  test('buffer lines become components; CPU_REPACK copies are kept apart', () => {
    const m = parseLlamaCppLog(readFileSync(path.join(fixtures, 'llama-cpp-load.log'), 'utf8'));
    expect(m.components.weights).toBeCloseTo(13.61 * MiB, 0);
    expect(m.components.kv).toBeCloseTo(8 * MiB, 0);
    expect(m.components.compute).toBeCloseTo(83.01 * MiB, 0);
    expect(m.components.output).toBeCloseTo(0.03 * MiB, 0);
    expect(m.components.total).toBeCloseTo((13.61 + 8 + 83.01 + 0.03) * MiB, 0);
    expect(m.details.repackedBytes).toBeCloseTo(5.88 * MiB, 0);
  });
  test('a log without buffer lines says what to pass', () => {
    expect(() => parseLlamaCppLog('hello\n')).toThrow(/no llama.cpp buffer-size lines/);
  });
});

describe('nvidia-smi (no GPU on this machine: recorded CSV output)', () => {
  test('--query-gpu=memory.used --format=csv', async () => {
    const m = await nvidiaSmi({ file: path.join(fixtures, 'nvidia-smi-memory-used.csv') });
    expect(m.components.gpu).toBe(10342 * MiB);
  });
  test('several GPUs and columns: the memory.used column of each row is summed', () => {
    const m = parseNvidiaSmiCsv(readFileSync(path.join(fixtures, 'nvidia-smi-two-gpus.csv'), 'utf8'));
    expect(m.details.perGpuBytes).toEqual([40211 * MiB, 39876 * MiB]);
  });
  test('noheader,nounits works; garbage is refused', () => {
    expect(parseNvidiaSmiCsv('512\n').components.gpu).toBe(512 * MiB);
    expect(() => parseNvidiaSmiCsv('memory.used [MiB]\nN/A\n')).toThrow(/cannot read a memory value/);
  });
  test('live: a machine without nvidia-smi gets DEPENDENCY_MISSING with a hint', async () => {
    const old = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(nvidiaSmi()).rejects.toMatchObject({ code: 'DEPENDENCY_MISSING', hint: expect.stringMatching(/--nvidia-smi used.csv/) });
    } finally {
      process.env.PATH = old;
    }
  });
});

describe('Ollama /api/ps over real HTTP (a server answering the recorded wire format)', () => {
  let server: Server;
  let url: string;
  const body = readFileSync(path.join(fixtures, 'ollama-ps.json'), 'utf8');
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/api/ps') res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      else res.writeHead(404).end('not found');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test('size and size_vram of the named model, and the context it was loaded with', async () => {
    const m = await ollamaPs(url, 'llama3.2:1b');
    expect(m.components).toEqual({ total: 2003828736, gpu: 2003828736 });
    expect(m.details.contextLength).toBe(4096);
    await expect(ollamaPs(url, 'absent')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/running: llama3.2:1b, tiny:q8/) });
    // a bare name means :latest, as in Ollama
    expect(() => parseOllamaPs(JSON.parse(body), 'llama3.2')).toThrow(/not running llama3.2/);
    expect(parseOllamaPs(JSON.parse(body), 'tiny:q8').details.contextLength).toBe(2048);
  });

  test('compare gives the error per component against a plan', async () => {
    const cfg = JSON.parse(readFileSync(path.join(fixtures, 'configs', 'llama-3.1-8b.json'), 'utf8'));
    const p = plan(prepareWeights(parseHfConfig(cfg), undefined, ENGINE_PROFILES['llama.cpp'], 'q4_k_m'), { context: 4096, gpu: findGpu('4090')! });
    const m = await ollamaPs(url, 'llama3.2:1b');
    const rows = compare(p, m);
    expect(rows.map((r) => r.component)).toEqual(['total', 'gpu']);
    const total = rows[0]!;
    expect(total.errorPct).toBeCloseTo(((p.totals.total - 2003828736) / 2003828736) * 100, 6);
  });

  test('an unreachable Ollama is UNAVAILABLE with a hint', async () => {
    await expect(ollamaPs('http://127.0.0.1:9', 'x')).rejects.toMatchObject({ code: 'UNAVAILABLE', hint: expect.stringMatching(/ollama serve/) });
  });
});
