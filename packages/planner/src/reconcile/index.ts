/**
 * Reconcile a plan with what an engine reports it holds: llama.cpp's load log, Ollama's
 * /api/ps, or nvidia-smi. Each reader turns its source into measured components; compare()
 * lines them up with the prediction and gives the error of each.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { OperationalError, UserError, fromSystemError } from '@workbench/core';
import type { Plan } from '../math/index.js';

export type Component = 'weights' | 'kv' | 'state' | 'compute' | 'output' | 'total' | 'gpu';

export interface Measurement {
  source: string;
  components: Partial<Record<Component, number>>;
  /** Extra facts the source gave (repacked weights, the context it ran with, per-device lines). */
  details: Record<string, unknown>;
}

export interface ReconcileRow {
  component: Component;
  predicted: number;
  measured: number;
  /** (predicted − measured) / measured, in per cent. */
  errorPct: number;
}

const MIB = 1024 * 1024;

/**
 * llama.cpp's allocation lines (llama-model.cpp / llama-context.cpp / llama-kv-cache.cpp):
 *   load_tensors: CPU_Mapped model buffer size = 1.65 MiB   (also CUDA0, Metal, CPU_REPACK …)
 *   llama_kv_cache: CPU KV buffer size = 0.50 MiB            (one line per cache: full and SWA)
 *   llama_memory_recurrent: CPU RS buffer size = …           (SSM state)
 *   llama_context: CPU  output buffer size = 0.49 MiB
 *   sched_reserve / llama_init_from_model: CPU compute buffer size = 20.76 MiB
 * Sizes are printed in MiB with two decimals: the measurement is good to ±0.005 MiB.
 */
export function parseLlamaCppLog(text: string): Measurement {
  const components: Measurement['components'] = {};
  const lines: string[] = [];
  let repack = 0;
  const re = /(\S+)\s+(model|KV|RS|output|compute)\s+buffer size\s*=\s*([\d.]+)\s*MiB/g;
  for (const m of text.matchAll(re)) {
    const dev = m[1]!;
    const what = m[2]!;
    const bytes = Number(m[3]) * MIB;
    lines.push(m[0].replace(/\s+/g, ' '));
    const key: Component = what === 'model' ? 'weights' : what === 'KV' ? 'kv' : what === 'RS' ? 'state' : (what as Component);
    // CPU_REPACK: llama.cpp copies Q4_0/IQ4_NL weights into an interleaved layout for the
    // CPU kernels, beside the mapped file. Kept apart: it is not part of the model's weights.
    if (dev.endsWith('_REPACK')) {
      repack += bytes;
      continue;
    }
    components[key] = (components[key] ?? 0) + bytes;
  }
  if (!lines.length) throw new UserError('INVALID_INPUT', 'no llama.cpp buffer-size lines found in the log', { hint: 'pass the stderr of llama-server/llama-cli from model load (it prints "… buffer size = … MiB")' });
  components.total = Object.entries(components).reduce((a, [k, v]) => (k === 'total' ? a : a + (v ?? 0)), 0);
  return { source: 'llama.cpp log', components, details: { lines, repackedBytes: repack } };
}

/** nvidia-smi CSV (`--query-gpu=memory.used --format=csv`, with or without header/units): one row per GPU. */
export function parseNvidiaSmiCsv(text: string): Measurement {
  const rows = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (!rows.length) throw new UserError('INVALID_INPUT', 'nvidia-smi output is empty');
  let col = 0;
  let start = 0;
  const header = rows[0]!.split(',').map((s) => s.trim().toLowerCase());
  if (header.some((h) => /memory\.used|used_memory|used_gpu_memory/.test(h))) {
    col = header.findIndex((h) => /memory\.used|used_memory|used_gpu_memory/.test(h));
    start = 1;
  } else if (header.length > 1) throw new UserError('INVALID_INPUT', 'nvidia-smi CSV without a header must have the memory column only', { hint: 'use --query-gpu=memory.used --format=csv' });
  const perGpu: number[] = [];
  for (const r of rows.slice(start)) {
    const cell = r.split(',')[col]?.trim() ?? '';
    const m = /^([\d.]+)\s*(MiB|GiB|KiB|B)?$/i.exec(cell);
    if (!m) throw new UserError('INVALID_INPUT', `cannot read a memory value from nvidia-smi line '${r.slice(0, 80)}'`, { hint: 'use --query-gpu=memory.used --format=csv' });
    const unit = (m[2] ?? 'MiB').toLowerCase();
    perGpu.push(Number(m[1]) * (unit === 'gib' ? 1024 * MIB : unit === 'kib' ? 1024 : unit === 'b' ? 1 : MIB));
  }
  return { source: 'nvidia-smi', components: { gpu: perGpu.reduce((a, b) => a + b, 0) }, details: { perGpuBytes: perGpu } };
}

export async function nvidiaSmi(opts: { file?: string } = {}): Promise<Measurement> {
  if (opts.file) {
    const text = await readFile(opts.file, 'utf8').catch((e: unknown) => {
      throw fromSystemError(e, `reading ${opts.file}`);
    });
    return parseNvidiaSmiCsv(text);
  }
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('nvidia-smi', ['--query-gpu=memory.used', '--format=csv'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let s = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (s += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'ENOENT' ? new OperationalError('DEPENDENCY_MISSING', 'nvidia-smi is not installed here (no NVIDIA driver)', { hint: 'run on the GPU machine, or save its output (nvidia-smi --query-gpu=memory.used --format=csv > used.csv) and pass --nvidia-smi used.csv' }) : e),
    );
    p.on('close', (code) => (code === 0 ? resolve(s) : reject(new OperationalError('UNAVAILABLE', `nvidia-smi exited ${code}: ${err.trim().slice(0, 200)}`))));
  });
  return parseNvidiaSmiCsv(out);
}

interface PsModel {
  name?: unknown;
  model?: unknown;
  size?: unknown;
  size_vram?: unknown;
  context_length?: unknown;
}

/** One model of Ollama's GET /api/ps: `size` (all memory it holds) and `size_vram` (the GPU part). */
export function parseOllamaPs(body: unknown, model?: string): Measurement {
  const models = (body as { models?: unknown })?.models;
  if (!Array.isArray(models)) throw new UserError('INVALID_INPUT', 'Ollama /api/ps answer has no models list');
  const want = model?.replace(/^ollama:/, '');
  const norm = (n: string) => (n.includes(':') ? n : `${n}:latest`);
  const m = (models as PsModel[]).find((x) => !want || (typeof x.name === 'string' && norm(x.name) === norm(want)) || (typeof x.model === 'string' && norm(x.model) === norm(want)));
  if (!m) throw new UserError('NOT_FOUND', want ? `Ollama is not running ${want} (running: ${(models as PsModel[]).map((x) => String(x.name)).join(', ') || 'none'})` : 'Ollama is running no model', { hint: `load it first: ollama run ${want ?? 'MODEL'} ''` });
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
  const size = num(m.size);
  if (size === undefined) throw new UserError('INVALID_INPUT', 'Ollama /api/ps entry has no size');
  const vram = num(m.size_vram) ?? 0;
  return { source: 'ollama /api/ps', components: { total: size, gpu: vram }, details: { name: m.name, contextLength: num(m.context_length) ?? null } };
}

export async function ollamaPs(url: string, model?: string): Promise<Measurement> {
  const base = url.replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/api/ps`, { signal: AbortSignal.timeout(5000) });
  } catch (e) {
    throw new OperationalError('UNAVAILABLE', `cannot reach Ollama at ${base}: ${(e as Error).message}`, { hint: 'start it (ollama serve) or pass --ollama URL' });
  }
  if (!res.ok) throw new OperationalError('UNAVAILABLE', `Ollama at ${base} answered ${res.status} to /api/ps`);
  const text = await res.text();
  if (text.length > 4 * MIB) throw new UserError('INVALID_INPUT', 'Ollama /api/ps answer is larger than 4 MiB');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new UserError('INVALID_INPUT', `Ollama at ${base} did not answer JSON to /api/ps`);
  }
  return parseOllamaPs(body, model);
}

/** Predicted vs measured, per component the measurement has. `gpu` compares with what the plan puts on the GPU. */
export function compare(plan: Plan, m: Measurement): ReconcileRow[] {
  const t = plan.totals;
  const predicted: Record<Component, number> = {
    weights: t.weights,
    kv: t.kv,
    state: t.state,
    compute: t.compute,
    output: t.output,
    total: t.total,
    gpu: plan.fit ? t.total - plan.fit.cpuBytes : t.total,
  };
  const rows: ReconcileRow[] = [];
  for (const c of ['weights', 'kv', 'state', 'compute', 'output', 'total', 'gpu'] as Component[]) {
    const measured = m.components[c];
    if (measured === undefined) continue;
    // Without a GPU in the plan there is no predicted GPU share to compare.
    if (c === 'gpu' && !plan.fit) continue;
    const p = predicted[c];
    rows.push({ component: c, predicted: p, measured, errorPct: measured === 0 ? (p === 0 ? 0 : Infinity) : ((p - measured) / measured) * 100 });
  }
  return rows;
}
