import path from 'node:path';
import type { Model, ModelFile, ScanProblem, Store } from '../types.js';
import { formatOf, linkTarget, listDir, modelFile, statFile, walkFiles, type WalkEntry } from './fs-info.js';
import { summarize } from './summarize.js';

const MODEL_EXTENSIONS = new Set(['.gguf', '.safetensors', '.bin', '.onnx', '.pt', '.pth', '.ckpt', '.mlmodel', '.tflite', '.h5', '.npz']);
const isModelFile = (p: string): boolean => MODEL_EXTENSIONS.has(path.extname(p).toLowerCase());

function fileAt(rel: string, abs: string, link: boolean, model: string, problems: ScanProblem[]): ModelFile | null {
  const target = link ? linkTarget(abs) : null;
  const st = statFile(abs, true);
  if (!st) {
    problems.push({ kind: 'dangling-link', path: abs, model, message: `${abs} points at ${target ?? '?'}, which does not exist` });
    return null;
  }
  if (!st.isFile) return null;
  return modelFile(rel.split(path.sep).join('/'), abs, target ?? abs, st, formatOf(abs), null);
}

/** LM Studio: `<publisher>/<repo>/<files>`; every repo folder is one model. */
export function scanLmStudio(store: Store, problems: ScanProblem[]): Model[] {
  const models: Model[] = [];
  for (const pub of listDir(store.root, (e) => problems.push({ kind: 'unreadable', path: store.root, message: e.message }))) {
    if (!pub.isDirectory() || pub.name.startsWith('.')) continue;
    for (const repo of listDir(path.join(store.root, pub.name))) {
      if (!repo.isDirectory()) continue;
      const dir = path.join(store.root, pub.name, repo.name);
      const name = `${pub.name}/${repo.name}`;
      const files = walkFiles(dir, (p, e) => problems.push({ kind: 'unreadable', path: p, model: name, message: e.message }))
        .map((e) => fileAt(e.rel, path.join(dir, e.rel), e.link, name, problems))
        .filter((f): f is ModelFile => f !== null);
      if (files.length === 0) continue;
      models.push(summarize({ id: `lmstudio:${name}`, source: 'lmstudio', storeRoot: store.root, name, revision: null, location: dir, files }));
    }
  }
  return models;
}

/**
 * Flat download caches (llama.cpp's, node-llama-cpp's) and user folders. In a user folder a
 * directory with config.json or safetensors is one model (a Hugging Face style checkout);
 * elsewhere each model file stands alone.
 */
export function scanFlat(store: Store, problems: ScanProblem[]): Model[] {
  const models: Model[] = [];
  const rels = walkFiles(store.root, (p, e) => problems.push({ kind: 'unreadable', path: p, message: e.message }), store.kind === 'folder' ? 8 : 2);
  const byDir = new Map<string, WalkEntry[]>();
  for (const e of rels) {
    const d = path.dirname(e.rel);
    let list = byDir.get(d);
    if (!list) byDir.set(d, (list = []));
    list.push(e);
  }
  for (const [dir, list] of byDir) {
    const grouped = store.kind === 'folder' && list.some((e) => path.basename(e.rel) === 'config.json' || e.rel.endsWith('.safetensors'));
    if (grouped) {
      const name = dir === '.' ? path.basename(store.root) : dir.split(path.sep).join('/');
      const files = list.map((e) => fileAt(path.basename(e.rel), path.join(store.root, e.rel), e.link, name, problems)).filter((f): f is ModelFile => f !== null);
      if (files.length > 0) models.push(summarize({ id: `${store.kind}:${path.join(store.root, dir)}`, source: store.kind, storeRoot: store.root, name, revision: null, location: path.join(store.root, dir), files }));
      continue;
    }
    for (const { rel, link } of list) {
      if (!isModelFile(rel)) continue;
      const name = rel.split(path.sep).join('/');
      const f = fileAt(path.basename(rel), path.join(store.root, rel), link, name, problems);
      if (f) models.push(summarize({ id: `${store.kind}:${path.join(store.root, rel)}`, source: store.kind, storeRoot: store.root, name, revision: null, location: path.join(store.root, rel), files: [f] }));
    }
  }
  return models;
}
