/**
 * Hugging Face models on disk: a config.json, a model folder (config.json + *.safetensors or
 * the model.safetensors.index.json shard index), or a model id resolved in the local hub
 * cache (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub:
 * models--org--name/snapshots/<revision>, the revision refs/main names when present).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError, fromSystemError } from '@workbench/core';
import { ConfigError, layerOf, parseHfConfig, storageType, type ModelSpec, type WeightTensor } from '../math/index.js';
import { readSafetensorsHeader, type SafetensorsTensor } from './safetensors.js';

/** A config.json is small; refuse anything that is not. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
const MAX_SHARDS = 10_000;

export async function readJsonFile(file: string, what: string, max = MAX_CONFIG_BYTES): Promise<unknown> {
  let st;
  try {
    st = await stat(file);
  } catch (e) {
    throw fromSystemError(e, `reading ${what}`);
  }
  if (!st.isFile()) throw new UserError('INVALID_INPUT', `${file} is not a file`);
  if (st.size > max) throw new UserError('INVALID_INPUT', `${what} ${file} is ${st.size} bytes; more than the ${max}-byte limit for this kind of file`, { hint: 'is this really a config.json?' });
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError('INVALID_INPUT', `${what} ${file} is not valid JSON: ${(e as Error).message.slice(0, 100)}`, { hint: 'fix or re-download the file' });
  }
}

export function specFromConfig(json: unknown, name: string, file: string): ModelSpec {
  try {
    return parseHfConfig(json, name);
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError('INVALID_INPUT', `${file}: ${e.message}`, { hint: e.missing.length ? `add ${e.missing.join(', ')} to the config` : 'fix the config values', details: { missing: e.missing } });
    throw e;
  }
}

export interface HfModel {
  spec: ModelSpec;
  /** Exact per-tensor bytes from the safetensors headers, when the folder has weights. */
  tensors?: WeightTensor[];
  shards: number;
  configFile: string;
}

/** Map Hugging Face tensor names onto the planner's tensors: layer, routed-expert share, dtype, bytes. */
export function hfTensors(spec: ModelSpec, st: readonly SafetensorsTensor[]): WeightTensor[] {
  const hasHead = st.some((t) => /(^|\.)lm_head\./.test(t.name));
  return st.map((t) => {
    const layer = layerOf(t.name);
    const l = layer === null ? undefined : spec.layers[layer];
    let frac = 1;
    if (/embed_tokens|wte|word_embeddings|token_embd/.test(t.name)) frac = hasHead ? 0 : 1;
    else if (l && l.ffn.type === 'moe' && /\.experts\./.test(t.name) && !/shared_expert/.test(t.name)) frac = l.ffn.nActive / l.ffn.nExperts;
    const type = storageType(t.dtype)?.name ?? t.dtype.toLowerCase();
    return { name: t.name, layer, ne: [...t.shape].reverse(), elements: t.elements, activeFraction: frac, type, bytes: t.bytes };
  });
}

export async function loadHfFolder(dir: string, name = path.basename(dir)): Promise<HfModel> {
  const configFile = path.join(dir, 'config.json');
  const spec = specFromConfig(await readJsonFile(configFile, 'config.json'), name, configFile);
  const files = await listSafetensors(dir);
  if (files.length === 0) return { spec, shards: 0, configFile };
  const headers = await Promise.all(files.map((f) => readSafetensorsHeader(f)));
  const tensors = hfTensors(spec, headers.flatMap((h) => h.tensors));
  return { spec, tensors, shards: files.length, configFile };
}

/** The shard list: from model.safetensors.index.json when present, else every *.safetensors. */
async function listSafetensors(dir: string): Promise<string[]> {
  const index = path.join(dir, 'model.safetensors.index.json');
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    throw fromSystemError(e, `listing ${dir}`);
  }
  if (entries.includes('model.safetensors.index.json')) {
    const idx = (await readJsonFile(index, 'shard index', 64 * 1024 * 1024)) as { weight_map?: unknown };
    if (!idx || typeof idx !== 'object' || !idx.weight_map || typeof idx.weight_map !== 'object')
      throw new UserError('INVALID_INPUT', `${index} has no weight_map`, { hint: 're-download the model' });
    const shards = [...new Set(Object.values(idx.weight_map as Record<string, unknown>))];
    if (shards.length > MAX_SHARDS) throw new UserError('INVALID_INPUT', `${index} names ${shards.length} shards; more than ${MAX_SHARDS}`);
    return shards.map((s) => {
      if (typeof s !== 'string' || s.includes('/') || s.includes('\\') || s === '..' || !s.endsWith('.safetensors'))
        throw new UserError('INVALID_INPUT', `${index} names a shard outside the folder: ${JSON.stringify(s)}`, { hint: 'shards must be plain file names in the same folder' });
      return path.join(dir, s);
    });
  }
  return entries.filter((e) => e.endsWith('.safetensors')).sort().map((e) => path.join(dir, e));
}

export function hfHubCache(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return path.join(env.HF_HOME, 'hub');
  return path.join(os.homedir(), '.cache', 'huggingface', 'hub');
}

const HF_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
export const looksLikeHfId = (s: string): boolean => HF_ID.test(s) && !s.includes('..');

/** The snapshot folder of a model id in the local cache, or a NOT_FOUND error that says where it looked. */
export async function resolveHfCache(id: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (!looksLikeHfId(id)) throw new UserError('INVALID_INPUT', `'${id}' is not a Hugging Face model id (org/name)`);
  const cache = hfHubCache(env);
  const repo = path.join(cache, `models--${id.replace('/', '--')}`);
  const snaps = path.join(repo, 'snapshots');
  let revs: string[];
  try {
    revs = await readdir(snaps);
  } catch {
    throw new UserError('NOT_FOUND', `model ${id} is not in the Hugging Face cache at ${cache}`, { hint: `download it (huggingface-cli download ${id} config.json) or pass a config.json / model folder; set HF_HUB_CACHE or HF_HOME if your cache is elsewhere` });
  }
  let rev: string | undefined;
  try {
    const main = (await readFile(path.join(repo, 'refs', 'main'), 'utf8')).trim();
    if (/^[0-9a-f]{40}$/.test(main) && revs.includes(main)) rev = main;
  } catch {
    // no refs/main: take the newest snapshot
  }
  if (!rev) {
    const withTimes = await Promise.all(revs.filter((r) => /^[0-9a-f]{6,64}$/.test(r)).map(async (r) => ({ r, t: (await stat(path.join(snaps, r))).mtimeMs })));
    rev = withTimes.sort((a, b) => b.t - a.t)[0]?.r;
  }
  if (!rev) throw new UserError('NOT_FOUND', `model ${id} has no snapshot in ${snaps}`, { hint: `download it again: huggingface-cli download ${id}` });
  return path.join(snaps, rev);
}
