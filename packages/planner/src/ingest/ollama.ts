/**
 * Ollama model names → their GGUF blob, through the local manifest store:
 * $OLLAMA_MODELS (default ~/.ollama/models)/manifests/<registry>/<namespace>/<model>/<tag>,
 * a JSON manifest whose layer with mediaType application/vnd.ollama.image.model names the
 * blob by digest (sha256:<hex>) stored at blobs/sha256-<hex>.
 */
import os from 'node:os';
import path from 'node:path';
import { UserError } from '@workbench/core';
import { readJsonFile } from './hf.js';

const PART = /^[a-z0-9][a-z0-9._-]{0,127}$/i;

export function ollamaModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.OLLAMA_MODELS || path.join(os.homedir(), '.ollama', 'models');
}

/** `llama3.2`, `llama3.2:1b`, `user/model:tag`, `registry.host/ns/model:tag` → manifest path parts. */
export function parseOllamaName(name: string): { registry: string; namespace: string; model: string; tag: string } {
  const [repo, tag = 'latest', ...rest] = name.split(':');
  if (rest.length || !repo) throw new UserError('INVALID_INPUT', `'${name}' is not an Ollama model name`, { hint: 'use name[:tag], e.g. llama3.2:1b' });
  const parts = repo.split('/');
  const [registry, namespace, model] = parts.length === 3 ? parts : parts.length === 2 ? ['registry.ollama.ai', parts[0]!, parts[1]!] : ['registry.ollama.ai', 'library', parts[0]!];
  for (const p of [registry, namespace, model, tag]) if (!p || !PART.test(p) || p === '.' || p === '..') throw new UserError('INVALID_INPUT', `'${name}' is not an Ollama model name`, { hint: 'use name[:tag], e.g. llama3.2:1b' });
  return { registry: registry!, namespace: namespace!, model: model!, tag };
}

export async function resolveOllamaModel(name: string, env: NodeJS.ProcessEnv = process.env): Promise<{ blob: string; manifest: string }> {
  const root = ollamaModelsDir(env);
  const n = parseOllamaName(name);
  const manifest = path.join(root, 'manifests', n.registry, n.namespace, n.model, n.tag);
  let m: unknown;
  try {
    m = await readJsonFile(manifest, 'Ollama manifest', 1024 * 1024);
  } catch (e) {
    if ((e as { code?: string }).code === 'NOT_FOUND') throw new UserError('NOT_FOUND', `Ollama model ${name} is not in ${root}`, { hint: `pull it (ollama pull ${name}) or set OLLAMA_MODELS to the folder that holds it` });
    throw e;
  }
  const layers = (m as { layers?: unknown }).layers;
  const layer = Array.isArray(layers) ? (layers as Array<{ mediaType?: unknown; digest?: unknown }>).find((l) => l && l.mediaType === 'application/vnd.ollama.image.model') : undefined;
  if (!layer) throw new UserError('INVALID_INPUT', `the Ollama manifest ${manifest} has no model layer`, { hint: 'the model may be an adapter or a cloud model without local weights' });
  const digest = typeof layer.digest === 'string' ? /^sha256:([0-9a-f]{64})$/.exec(layer.digest) : null;
  if (!digest) throw new UserError('INVALID_INPUT', `the Ollama manifest ${manifest} has a malformed model digest`, { hint: 're-pull the model' });
  return { blob: path.join(root, 'blobs', `sha256-${digest[1]}`), manifest };
}
