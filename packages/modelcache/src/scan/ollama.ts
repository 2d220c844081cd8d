import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Model, ModelFile, ScanProblem, Store } from '../types.js';
import { SHA256_HEX, listDir, lstatOrNull, modelFile, statFile } from './fs-info.js';
import { listDirMemo, type ListingMemo } from './memo.js';
import { summarize } from './summarize.js';

export const OLLAMA_REGISTRY = 'registry.ollama.ai';
export const OLLAMA_MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
export const OLLAMA_MODEL_LAYER = 'application/vnd.ollama.image.model';

export interface OllamaLayer {
  mediaType: string;
  digest: string;
  size: number;
}
export interface OllamaManifest {
  schemaVersion: 2;
  mediaType: string;
  config: OllamaLayer;
  layers: OllamaLayer[];
}

const MAX_MANIFEST_BYTES = 1 << 20;

/** `sha256:<hex>` → the blob's path under `<root>/blobs`. */
export const ollamaBlobPath = (root: string, digest: string): string => path.join(root, 'blobs', digest.replace(':', '-'));

/** Parse and check a manifest; a message says what is wrong with a bad one. */
export function parseManifest(text: string): OllamaManifest | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const m = raw as Partial<OllamaManifest>;
  if (!m || typeof m !== 'object') return 'not a JSON object';
  if (m.schemaVersion !== 2) return `schemaVersion ${String(m.schemaVersion)} (expected 2)`;
  const okLayer = (l: unknown): l is OllamaLayer => {
    const x = l as OllamaLayer;
    return !!x && typeof x.mediaType === 'string' && typeof x.digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(x.digest) && Number.isSafeInteger(x.size) && x.size >= 0;
  };
  if (!okLayer(m.config)) return 'config is missing or malformed';
  if (!Array.isArray(m.layers) || !m.layers.every(okLayer)) return 'layers are missing or malformed';
  return m as OllamaManifest;
}

/** `registry.ollama.ai/library/llama3/8b` → `llama3:8b`; other namespaces and registries stay visible. */
export function ollamaName(registry: string, namespace: string, name: string, tag: string): string {
  if (registry === OLLAMA_REGISTRY) return namespace === 'library' ? `${name}:${tag}` : `${namespace}/${name}:${tag}`;
  return `${registry}/${namespace}/${name}:${tag}`;
}

/** Layer media type → a short file name for listings. */
const layerName = (mediaType: string): string => mediaType.replace(/^application\/vnd\.(ollama\.image\.|docker\.container\.image\.v1\+)?/, '') || mediaType;

/**
 * Ollama: `manifests/<registry>/<namespace>/<name>/<tag>` are JSON manifests whose layers
 * name blobs `blobs/sha256-<hex>` by digest.
 */
export function scanOllama(store: Store, problems: ScanProblem[], memo?: ListingMemo): Model[] {
  const models: Model[] = [];
  const mroot = path.join(store.root, 'manifests');
  const bad = (p: string, message: string, model?: string) => problems.push({ kind: 'bad-manifest', path: p, message, ...(model ? { model } : {}) });
  for (const reg of listDir(mroot)) {
    if (!reg.isDirectory()) continue;
    for (const ns of listDir(path.join(mroot, reg.name))) {
      if (!ns.isDirectory()) continue;
      for (const nm of listDir(path.join(mroot, reg.name, ns.name))) {
        if (!nm.isDirectory()) continue;
        const nameDir = path.join(mroot, reg.name, ns.name, nm.name);
        for (const tag of listDirMemo(nameDir, memo, () => listDir(nameDir))) {
          const file = path.join(mroot, reg.name, ns.name, nm.name, tag.name);
          const name = ollamaName(reg.name, ns.name, nm.name, tag.name);
          const lst = lstatOrNull(file);
          if (!lst || !tag.isFile()) continue;
          if (lst.size > BigInt(MAX_MANIFEST_BYTES)) {
            bad(file, `manifest of ${name} is larger than 1 MiB; skipped`, name);
            continue;
          }
          const stamp = `${lst.size}:${lst.mtimeNs}`;
          let m = memo?.manifest(file, stamp) as OllamaManifest | string | undefined;
          if (m === undefined) {
            let text: string;
            try {
              text = readFileSync(file, 'utf8');
            } catch (err) {
              problems.push({ kind: 'unreadable', path: file, model: name, message: (err as Error).message });
              continue;
            }
            m = parseManifest(text);
            memo?.rememberManifest(file, stamp, lst.mtimeNs, m);
          }
          if (typeof m === 'string') {
            bad(file, `manifest of ${name} is malformed: ${m}`, name);
            continue;
          }
          const files: ModelFile[] = [];
          for (const layer of [m.config, ...m.layers]) {
            const blob = ollamaBlobPath(store.root, layer.digest);
            let st = memo?.blobStat(blob);
            if (!st) {
              st = statFile(blob, false) ?? undefined;
              if (st) memo?.rememberBlob(blob, st);
            }
            if (!st || !st.isFile) {
              problems.push({ kind: 'missing-blob', path: blob, model: name, message: `${name}: its manifest names ${layer.digest}, but ${blob} is missing` });
              continue;
            }
            const hex = layer.digest.slice('sha256:'.length);
            const f = modelFile(layerName(layer.mediaType), blob, blob, st, layer.mediaType === OLLAMA_MODEL_LAYER ? 'gguf' : 'other', SHA256_HEX.test(hex) ? hex : null);
            if (f.size === 0 && layer.size > 0) problems.push({ kind: 'zero-byte', path: blob, model: name, message: `${name}: ${blob} is empty but should hold ${layer.size} bytes` });
            files.push(f);
          }
          models.push(summarize({ id: `ollama:${name}`, source: 'ollama', storeRoot: store.root, name, revision: tag.name, location: file, files }));
        }
      }
    }
  }
  return models;
}
