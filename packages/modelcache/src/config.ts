import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { invalid, fromSystemError } from '@workbench/core';
import { parse, stringify } from 'yaml';
import { storeKinds, type Store, type StoreKind } from './types.js';

/** A registered consumer of models: an app whose folder holds or links to model files. */
export interface AppEntry {
  name: string;
  path: string;
}

/** `cache.yaml` in the workspace folder. Every field is optional. */
export interface CacheConfig {
  /** Per-store folders; an environment variable the tool itself reads wins over these. */
  stores: Partial<Record<Exclude<StoreKind, 'folder'>, string>>;
  /** Extra local folders of model files. */
  folders: string[];
  apps: AppEntry[];
}

export const emptyConfig = (): CacheConfig => ({ stores: {}, folders: [], apps: [] });

export const configPath = (workspaceDir: string): string => path.join(workspaceDir, 'cache.yaml');

const MAX_CONFIG_BYTES = 1 << 20;

export async function readConfig(workspaceDir: string): Promise<CacheConfig> {
  const file = configPath(workspaceDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyConfig();
    throw fromSystemError(err, `reading ${file}`);
  }
  if (text.length > MAX_CONFIG_BYTES) throw invalid(`${file} is larger than 1 MiB`, 'this file holds a few paths; rewrite it with wb cache config');
  let raw: unknown;
  try {
    raw = parse(text, { maxAliasCount: 10 });
  } catch (err) {
    throw invalid(`${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, 'fix the file or remove it (wb cache config shows the settings)');
  }
  return validateConfig(raw, file);
}

function validateConfig(raw: unknown, file: string): CacheConfig {
  const cfg = emptyConfig();
  if (raw === null || raw === undefined) return cfg;
  const bad = (what: string) => invalid(`${file}: ${what}`, 'see wb cache config --help for the format');
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad('expected a mapping at the top');
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) if (!['stores', 'folders', 'apps'].includes(key)) throw bad(`unknown setting '${key}' (expected stores, folders, apps)`);
  if (r.stores !== undefined && r.stores !== null) {
    if (typeof r.stores !== 'object' || Array.isArray(r.stores)) throw bad('stores must map a store name to a folder');
    for (const [k, v] of Object.entries(r.stores as Record<string, unknown>)) {
      if (!storeKinds.includes(k as StoreKind) || k === 'folder') throw bad(`unknown store '${k}' (expected ${storeKinds.filter((s) => s !== 'folder').join(', ')})`);
      if (typeof v !== 'string' || v.length === 0) throw bad(`stores.${k} must be a folder path`);
      cfg.stores[k as Exclude<StoreKind, 'folder'>] = v;
    }
  }
  if (r.folders !== undefined && r.folders !== null) {
    if (!Array.isArray(r.folders) || r.folders.some((f) => typeof f !== 'string' || f.length === 0)) throw bad('folders must be a list of folder paths');
    cfg.folders = r.folders as string[];
  }
  if (r.apps !== undefined && r.apps !== null) {
    if (!Array.isArray(r.apps)) throw bad('apps must be a list of {name, path}');
    for (const a of r.apps as unknown[]) {
      const e = a as Record<string, unknown>;
      if (!e || typeof e !== 'object' || typeof e.name !== 'string' || typeof e.path !== 'string' || !e.name || !e.path) throw bad('each app needs a name and a path');
      cfg.apps.push({ name: e.name, path: e.path });
    }
  }
  return cfg;
}

/** Written to a temporary name and renamed over: a crash leaves the old or the new file. */
export async function writeConfig(workspaceDir: string, cfg: CacheConfig): Promise<void> {
  const file = configPath(workspaceDir);
  await mkdir(workspaceDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const header = '# Workbench model cache settings (wb cache config). Environment variables HF_HUB_CACHE, HF_HOME,\n# OLLAMA_MODELS and LLAMA_CACHE win over stores set here.\n';
  await writeFile(tmp, header + stringify(cfg));
  await rename(tmp, file);
}

const expandHome = (p: string, home: string): string => (p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : path.resolve(p));

/**
 * Where each store is: the tool's own environment variable, else cache.yaml, else the tool's
 * default under the home folder. Tests point HOME and these variables at temporary folders.
 */
export function resolveStores(cfg: CacheConfig, env: NodeJS.ProcessEnv = process.env): Store[] {
  const home = env.HOME || os.homedir();
  const xdgCache = env.XDG_CACHE_HOME || path.join(home, '.cache');
  const pick = (kind: Exclude<StoreKind, 'folder'>, envs: Array<[string, (v: string) => string]>, defaults: string[]): Store => {
    for (const [name, map] of envs) {
      const v = env[name];
      if (v) return mk(kind, map(v), `env ${name}`);
    }
    const c = cfg.stores[kind];
    if (c) return mk(kind, expandHome(c, home), 'config');
    // A tool that moved its folder between versions: the first that exists, else the newest.
    const found = defaults.find((d) => existsSync(d));
    return mk(kind, found ?? defaults[0]!, 'default');
  };
  const stores = [
    pick('huggingface', [['HF_HUB_CACHE', (v) => v], ['HUGGINGFACE_HUB_CACHE', (v) => v], ['HF_HOME', (v) => path.join(v, 'hub')]], [path.join(xdgCache, 'huggingface', 'hub')]),
    pick('ollama', [['OLLAMA_MODELS', (v) => v]], [path.join(home, '.ollama', 'models')]),
    pick('lmstudio', [], [path.join(home, '.lmstudio', 'models'), path.join(xdgCache, 'lm-studio', 'models')]),
    pick('llamacpp', [['LLAMA_CACHE', (v) => v]], [path.join(xdgCache, 'llama.cpp')]),
    pick('node-llama-cpp', [], [path.join(home, '.node-llama-cpp', 'models')]),
    ...cfg.folders.map((f) => mk('folder', expandHome(f, home), 'config')),
  ];
  return stores;
}

function mk(kind: StoreKind, root: string, origin: string): Store {
  const abs = path.resolve(root);
  return { kind, root: abs, origin, exists: existsSync(abs) };
}
