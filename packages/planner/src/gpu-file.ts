/**
 * User GPU entries: a YAML or JSON file (`--gpu-file`, else $WB_HOME/gpus.yaml when it
 * exists) holding a list of GPUs — or `{ gpus: [...] }` — in the catalogue's shape. memoryGB
 * is accepted for memoryMiB. An entry with a catalogue id replaces that entry.
 *
 *   - id: my-a100-pcie
 *     name: A100 PCIe 80GB (lab)
 *     memoryGB: 80
 *     bandwidthGBs: 1935
 *     tflops: { fp16: 312, bf16: 312 }
 */
import { stat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError, fromSystemError } from '@workbench/core';
import { parse } from 'yaml';
import { GPU_CATALOGUE, gpuProblems, mergeGpus, type Gpu } from './math/index.js';

export async function loadGpuFile(file: string): Promise<Gpu[]> {
  let text: string;
  try {
    const st = await stat(file);
    if (st.size > 1024 * 1024) throw new UserError('INVALID_INPUT', `GPU file ${file} is larger than 1 MiB`);
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw fromSystemError(e, `reading the GPU file ${file}`);
  }
  let raw: unknown;
  try {
    raw = parse(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new UserError('INVALID_INPUT', `GPU file ${file} is not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const list = Array.isArray(raw) ? raw : raw && typeof raw === 'object' && Array.isArray((raw as { gpus?: unknown }).gpus) ? (raw as { gpus: unknown[] }).gpus : null;
  if (!list) throw new UserError('INVALID_INPUT', `GPU file ${file} must hold a list of GPUs (or { gpus: [...] })`, { hint: 'see the Plan section of the README for the format' });
  return list.map((entry, i) => {
    const e = { ...(entry as Record<string, unknown>) };
    if (e.memoryMiB === undefined && typeof e.memoryGB === 'number') e.memoryMiB = Math.round((e.memoryGB * 1e9) / 1048576);
    const problems = gpuProblems(e);
    if (problems.length) throw new UserError('INVALID_INPUT', `GPU file ${file}, entry ${i + 1}${typeof e.id === 'string' ? ` (${e.id})` : ''}: ${problems.join('; ')}`);
    return {
      id: e.id as string,
      name: typeof e.name === 'string' ? e.name : (e.id as string),
      vendor: (['nvidia', 'amd', 'apple', 'intel'].includes(e.vendor as string) ? e.vendor : 'other') as Gpu['vendor'],
      memoryMiB: e.memoryMiB as number,
      usableFraction: typeof e.usableFraction === 'number' ? e.usableFraction : 1,
      bandwidthGBs: e.bandwidthGBs as number,
      tflops: e.tflops as Gpu['tflops'],
      source: typeof e.source === 'string' ? e.source : `user file ${file}`,
    };
  });
}

/** The catalogue with the user's file merged in: an explicit file, else $WB_HOME/gpus.yaml when present. */
export async function gpuCatalogue(opts: { gpuFile?: string; home?: string } = {}): Promise<Gpu[]> {
  let file = opts.gpuFile;
  if (!file && opts.home) {
    for (const name of ['gpus.yaml', 'gpus.yml', 'gpus.json']) {
      const f = path.join(opts.home, name);
      if (await stat(f).then(() => true, () => false)) {
        file = f;
        break;
      }
    }
  }
  return file ? mergeGpus(GPU_CATALOGUE, await loadGpuFile(file)) : [...GPU_CATALOGUE];
}
