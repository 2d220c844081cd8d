/**
 * One entry point for every model source `wb plan` accepts: a config.json, a model folder,
 * a .safetensors file (with its config.json beside it), a .gguf file, `ollama:NAME[:TAG]`,
 * or a Hugging Face id in the local cache. Only headers and metadata are read.
 */
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError, fromSystemError } from '@workbench/core';
import { ggufSpec, type ModelSpec, type WeightTensor } from '../math/index.js';
import { hfTensors, loadHfFolder, looksLikeHfId, readJsonFile, resolveHfCache, specFromConfig } from './hf.js';
import { resolveOllamaModel } from './ollama.js';
import { readSafetensorsHeader } from './safetensors.js';

export type SourceKind = 'hf-config' | 'hf-folder' | 'hf-cache' | 'safetensors' | 'gguf' | 'ollama';

export interface ModelSource {
  kind: SourceKind;
  /** The file or folder read. */
  path: string;
  spec: ModelSpec;
  /** Exact weights from the file(s), when the source has them. */
  tensors?: WeightTensor[];
  /** Weights are packed (GPTQ int32, mxfp4 u8 blocks): element counts are not parameters. */
  packedWeights: boolean;
  shards?: number;
  readMs: number;
}

export async function readGgufSource(file: string, kind: 'gguf' | 'ollama' = 'gguf', name?: string): Promise<Omit<ModelSource, 'readMs'>> {
  const { readGguf, GgufError } = await import('@workbench/gguf');
  let h;
  try {
    h = await readGguf(file);
  } catch (e) {
    if (e instanceof GgufError) {
      if (e.code === 'GGUF_IO') throw fromSystemError(e.cause ?? e, `reading ${file}`);
      throw new UserError('INVALID_INPUT', `${file} is not a readable GGUF file: ${e.message}`, { hint: 'the file may be truncated or corrupted; re-download it' });
    }
    throw e;
  }
  try {
    const { spec, tensors } = ggufSpec(h, name);
    return { kind, path: file, spec, tensors, packedWeights: false };
  } catch (e) {
    throw new UserError('INVALID_INPUT', `${file}: ${(e as Error).message}`, { hint: 'the GGUF lacks metadata the planner needs' });
  }
}

async function isGguf(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, 0);
    return b.toString('latin1') === 'GGUF';
  } finally {
    await fh.close();
  }
}

const PACKED = new Set(['i32', 'u8', 'i8', 'u32']);

export async function loadSource(arg: string, env: NodeJS.ProcessEnv = process.env): Promise<ModelSource> {
  const t0 = performance.now();
  const done = (s: Omit<ModelSource, 'readMs'>): ModelSource => ({ ...s, readMs: performance.now() - t0 });
  if (arg.startsWith('ollama:')) {
    const name = arg.slice('ollama:'.length);
    const { blob } = await resolveOllamaModel(name, env);
    return done(await readGgufSource(blob, 'ollama', name));
  }
  let st;
  try {
    st = await stat(arg);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && looksLikeHfId(arg)) {
      const dir = await resolveHfCache(arg, env);
      const m = await loadHfFolder(dir, arg);
      return done({ kind: 'hf-cache', path: dir, spec: m.spec, ...(m.tensors ? { tensors: m.tensors } : {}), packedWeights: packed(m.tensors), shards: m.shards });
    }
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UserError('NOT_FOUND', `no file, folder or cached model '${arg}'`, { hint: 'pass a config.json, a model folder, a .gguf file, ollama:NAME, or a Hugging Face id (org/name) that is in your local cache' });
    throw fromSystemError(e, `reading ${arg}`);
  }
  if (st.isDirectory()) {
    const m = await loadHfFolder(arg);
    return done({ kind: 'hf-folder', path: arg, spec: m.spec, ...(m.tensors ? { tensors: m.tensors } : {}), packedWeights: packed(m.tensors), shards: m.shards });
  }
  if (arg.endsWith('.gguf') || (await isGguf(arg))) return done(await readGgufSource(arg));
  if (arg.endsWith('.safetensors')) {
    const dir = path.dirname(arg);
    const configFile = path.join(dir, 'config.json');
    const spec = specFromConfig(await readJsonFile(configFile, 'config.json beside the safetensors file').catch((e: unknown) => {
      if ((e as { code?: string }).code === 'NOT_FOUND') throw new UserError('NOT_FOUND', `a .safetensors file alone does not say the architecture: no config.json beside ${arg}`, { hint: 'put the model\'s config.json in the same folder, or pass the folder' });
      throw e;
    }), path.basename(dir), configFile);
    const h = await readSafetensorsHeader(arg);
    const tensors = hfTensors(spec, h.tensors);
    return done({ kind: 'safetensors', path: arg, spec, tensors, packedWeights: packed(tensors), shards: 1 });
  }
  const json = await readJsonFile(arg, 'config');
  // `…/Llama-3.1-8B/config.json` is named by its folder; `llama-3.1-8b.json` by itself.
  const name = path.basename(arg) === 'config.json' ? path.basename(path.dirname(path.resolve(arg))) : path.basename(arg, '.json');
  return done({ kind: 'hf-config', path: arg, spec: specFromConfig(json, name, arg), packedWeights: false });
}

function packed(tensors: WeightTensor[] | undefined): boolean {
  return Boolean(tensors?.some((t) => PACKED.has(t.type ?? '') && t.layer !== null));
}
