import { existsSync, lstatSync, readdirSync, rmdirSync, rmSync, statSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError, invalid } from '@workbench/core';
import { placeFile } from './place.js';
import { OLLAMA_MANIFEST_TYPE, OLLAMA_MODEL_LAYER, OLLAMA_REGISTRY, ollamaBlobPath, parseManifest } from './scan/ollama.js';
import { sha256Hex } from './hash.js';
import { writeAtomic } from './state.js';
import type { Model, ModelFile, Store } from './types.js';

/** A file or manifest `wb cache link` made, so `unlink` removes exactly that and `doctor` can heal it. */
export interface LinkRecord {
  model: string;
  to: 'lmstudio' | 'ollama';
  /** The path created: an LM Studio file or an Ollama manifest. */
  path: string;
  /** The file whose bytes it reaches. */
  source: string;
  sha256: string;
  method: 'hardlink' | 'symlink' | 'reflink' | 'copy' | 'manifest';
  /** Blobs this link added to Ollama's blob folder (removed on unlink when no manifest needs them). */
  blobs?: string[];
  createdAt: string;
}

const linksFile = (stateDir: string) => path.join(stateDir, 'links.json');

export async function readLinks(stateDir: string): Promise<LinkRecord[]> {
  try {
    const raw = JSON.parse(await readFile(linksFile(stateDir), 'utf8')) as unknown;
    return Array.isArray(raw) ? (raw as LinkRecord[]) : [];
  } catch {
    return [];
  }
}

export async function writeLinks(stateDir: string, links: LinkRecord[]): Promise<void> {
  await writeAtomic(linksFile(stateDir), JSON.stringify(links, null, 1));
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80) || 'model';

function mainGguf(m: Model): ModelFile {
  const g = m.files.filter((f) => f.format === 'gguf').sort((a, b) => b.size - a.size)[0];
  if (!g) throw invalid(`${m.id} has no GGUF file`, 'only GGUF models can be shared between Ollama and LM Studio');
  return g;
}

const storeOf = (stores: Store[], kind: Store['kind']): Store => {
  const s = stores.find((x) => x.kind === kind);
  if (!s) throw invalid(`no ${kind} store is configured`);
  return s;
};

/**
 * Show a model's GGUF to LM Studio as `<publisher>/<repo>/<file>.gguf`: a hard link on the
 * same filesystem (no copy, no link that breaks when the source moves), else a symlink.
 */
export async function linkToLmStudio(stateDir: string, stores: Store[], m: Model): Promise<LinkRecord> {
  if (m.source === 'lmstudio') throw invalid(`${m.id} is already in LM Studio`);
  const g = mainGguf(m);
  const root = storeOf(stores, 'lmstudio').root;
  const [publisher, repo] = m.source === 'ollama' ? ['ollama', slug(m.name.replace(':', '-'))] : m.name.includes('/') ? [slug(m.name.split('/')[0]!), slug(m.name.split('/').slice(1).join('-'))] : ['local', slug(m.name)];
  const file = m.source === 'ollama' ? `${repo}.gguf` : path.basename(g.name).endsWith('.gguf') ? path.basename(g.name) : `${slug(g.name)}.gguf`;
  const dest = path.join(root, publisher, repo, file);
  if (existsSync(dest)) throw new UserError('CONFLICT', `${dest} already exists`, { hint: 'wb cache unlink it first, or it is already linked' });
  const method = placeFile(g.blobPath, dest, { allowSymlink: true });
  const rec: LinkRecord = { model: m.id, to: 'lmstudio', path: dest, source: g.blobPath, sha256: g.sha256 ?? sha256Hex(g.blobPath), method: method === 'symlink' ? 'symlink' : method === 'hardlink' ? 'hardlink' : 'copy', createdAt: new Date().toISOString() };
  const links = await readLinks(stateDir);
  links.push(rec);
  await writeLinks(stateDir, links);
  return rec;
}

/**
 * Make a GGUF from the HF cache, LM Studio or a folder loadable by Ollama: its bytes become
 * the model blob `blobs/sha256-<hex>` (a hard link: no copy) and a manifest names it.
 */
export async function linkToOllama(stateDir: string, stores: Store[], m: Model, opts: { name?: string } = {}): Promise<LinkRecord> {
  if (m.source === 'ollama') throw invalid(`${m.id} is already in Ollama`);
  const g = mainGguf(m);
  const root = storeOf(stores, 'ollama').root;
  const wanted = opts.name ?? `${slug(m.name.split('/').pop()!)}:latest`;
  const [name, tag = 'latest'] = wanted.split(':') as [string, string?];
  if (!/^[a-z0-9][a-z0-9._-]{0,79}$/.test(name) || !/^[A-Za-z0-9_][A-Za-z0-9._-]{0,79}$/.test(tag)) throw invalid(`'${wanted}' is not a valid Ollama model name`, 'use lowercase letters, digits, dots and dashes: name:tag');
  const manifestPath = path.join(root, 'manifests', OLLAMA_REGISTRY, 'library', name, tag);
  if (existsSync(manifestPath)) throw new UserError('CONFLICT', `Ollama already has ${name}:${tag}`, { hint: 'pick another name with --name' });
  const hex = g.sha256 ?? sha256Hex(g.blobPath);
  const created: string[] = [];
  const modelBlob = ollamaBlobPath(root, `sha256:${hex}`);
  let method: LinkRecord['method'] = 'manifest';
  if (!existsSync(modelBlob)) {
    const placed = placeFile(g.blobPath, modelBlob, { allowSymlink: true });
    method = placed === 'symlink' ? 'symlink' : placed === 'hardlink' ? 'hardlink' : 'copy';
    created.push(modelBlob);
  }
  const layer = { mediaType: OLLAMA_MODEL_LAYER, digest: `sha256:${hex}`, size: g.size };
  const config = Buffer.from(
    JSON.stringify({
      model_format: 'gguf',
      model_family: m.meta.architecture ?? '',
      model_families: m.meta.architecture ? [m.meta.architecture] : null,
      model_type: m.meta.parameters ?? '',
      file_type: m.meta.quantization ?? '',
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [layer.digest] },
    }),
  );
  const { createHash } = await import('node:crypto');
  const configHex = createHash('sha256').update(config).digest('hex');
  const configBlob = ollamaBlobPath(root, `sha256:${configHex}`);
  if (!existsSync(configBlob)) {
    mkdirSync(path.dirname(configBlob), { recursive: true });
    writeFileSync(configBlob, config);
    created.push(configBlob);
  }
  const manifest = { schemaVersion: 2, mediaType: OLLAMA_MANIFEST_TYPE, config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${configHex}`, size: config.length }, layers: [layer] };
  await writeAtomic(manifestPath, JSON.stringify(manifest));
  const rec: LinkRecord = { model: m.id, to: 'ollama', path: manifestPath, source: g.blobPath, sha256: hex, method, blobs: created, createdAt: new Date().toISOString() };
  const links = await readLinks(stateDir);
  links.push(rec);
  await writeLinks(stateDir, links);
  return rec;
}

/**
 * Every digest any manifest in an Ollama store names (malformed manifests too: any
 * digest-looking text), leaving out the manifests in `except`.
 */
export function referencedOllamaDigests(root: string, except: string[] = []): Set<string> {
  const out = new Set<string>();
  const visit = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth < 6) visit(p, depth + 1);
      else if (e.isFile() && !except.includes(p)) {
        try {
          if (statSync(p).size > 1 << 20) continue;
          const text = readFileSync(p, 'utf8');
          const m = parseManifest(text);
          if (typeof m !== 'string') for (const l of [m.config, ...m.layers]) out.add(l.digest.slice(7));
          else for (const x of text.matchAll(/sha256[:-]([0-9a-f]{64})/g)) out.add(x[1]!);
        } catch {
          // Unreadable: nothing we can learn from it.
        }
      }
    }
  };
  visit(path.join(root, 'manifests'), 0);
  return out;
}

/** Remove what `link` made for a model (by model id, or by the created path). */
export async function unlink(stateDir: string, ref: string): Promise<LinkRecord[]> {
  const links = await readLinks(stateDir);
  const mine = links.filter((l) => l.model === ref || l.path === path.resolve(ref) || l.model.startsWith(ref));
  if (mine.length === 0) throw new UserError('NOT_FOUND', `no link made by wb cache link matches '${ref}'`, { hint: 'wb cache link --list shows them' });
  for (const l of mine) {
    if (l.to === 'lmstudio') {
      let st;
      try {
        st = lstatSync(l.path);
      } catch {
        continue;
      }
      // Only remove what is still our link: a symlink, or another name of the source's inode.
      const src = statOrUndefined(l.source);
      const ours = st.isSymbolicLink() || (src !== undefined && src.ino === st.ino && src.dev === st.dev);
      if (!ours) throw new UserError('CONFLICT', `${l.path} is no longer a link to ${l.source}; left in place`, { hint: 'remove it by hand if you no longer need it' });
      rmSync(l.path);
      removeEmptyDirs(path.dirname(l.path), 2);
    } else {
      rmSync(l.path, { force: true });
      removeEmptyDirs(path.dirname(l.path), 2);
      const root = l.path.split(`${path.sep}manifests${path.sep}`)[0]!;
      const still = referencedOllamaDigests(root);
      for (const b of l.blobs ?? []) {
        const hex = path.basename(b).replace(/^sha256-/, '');
        if (!still.has(hex)) rmSync(b, { force: true });
      }
    }
  }
  await writeLinks(stateDir, links.filter((l) => !mine.includes(l)));
  return mine;
}

function statOrUndefined(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

function removeEmptyDirs(dir: string, levels: number): void {
  for (let i = 0; i < levels; i++) {
    try {
      rmdirSync(dir);
    } catch {
      return;
    }
    dir = path.dirname(dir);
  }
}
