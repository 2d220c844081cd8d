import path from 'node:path';
import { HashPool, type HashCache, type CachedHash } from '@workbench/core';
import type { AppEntry } from '../config.js';
import { storeOwner, type Model, type ModelFile, type ScanIndex, type ScanProblem, type Store } from '../types.js';
import { scanFlat, scanLmStudio } from './folders.js';
import { scanHuggingFace } from './huggingface.js';
import { scanOllama } from './ollama.js';
import { appUsage } from './apps.js';
import type { ListingMemo } from './memo.js';

export interface ScanProgress {
  phase: 'listing' | 'hashing' | 'metadata';
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface ScanOptions {
  /** Remembers hashes of files that are not named by their digest; a workspace's SqliteHashCache. */
  cache: HashCache;
  pool?: HashPool;
  apps?: AppEntry[];
  /** Reads architecture/parameters/quantization for grouping; see meta.ts. */
  readMeta?: (models: Model[]) => Promise<void>;
  onProgress?: (p: ScanProgress) => void;
  /** Listings of unchanged snapshot folders and manifests from the last scan. */
  memo?: ListingMemo;
  /** Files modified this recently are hashed but not remembered (a write may not move mtime). */
  racyWindowMs?: number;
}

const key = (f: ModelFile) => f.inode;

export function scanStores(stores: Store[], problems: ScanProblem[], memo?: ListingMemo): Model[] {
  const models: Model[] = [];
  for (const s of stores) {
    if (!s.exists) continue;
    switch (s.kind) {
      case 'huggingface':
        models.push(...scanHuggingFace(s, problems, memo));
        break;
      case 'ollama':
        models.push(...scanOllama(s, problems, memo));
        break;
      case 'lmstudio':
        models.push(...scanLmStudio(s, problems));
        break;
      default:
        models.push(...scanFlat(s, problems));
    }
  }
  return models;
}

/**
 * Walk every store, give every file a content identity and say who uses each model. Digests
 * come from blob names where a store names blobs by SHA-256, else from the hash cache, else
 * by hashing (once; the cache remembers it by device, inode, size and mtime).
 */
export async function scanAll(stores: Store[], opts: ScanOptions): Promise<ScanIndex> {
  const started = Date.now();
  const problems: ScanProblem[] = [];
  const models = scanStores(stores, problems, opts.memo);
  const files = models.flatMap((m) => m.files);
  const hashed = await identify(files, opts, started, problems);
  if (opts.readMeta) await opts.readMeta(models);
  const apps = opts.apps ?? [];
  const usage = apps.length > 0 ? appUsage(apps, problems) : null;
  for (const m of models) {
    const owner = storeOwner[m.source];
    m.usedBy = owner ? [owner] : [];
    if (usage) {
      for (const app of apps) {
        const u = usage.get(app.name)!;
        const hit =
          m.files.some((f) => u.inodes.has(key(f)) || u.paths.includes(f.blobPath)) || u.paths.some((p) => m.location === p || m.location.startsWith(p + path.sep));
        if (hit) m.usedBy.push(app.name);
      }
    }
  }
  return {
    version: 1,
    scannedAt: new Date().toISOString(),
    durationMs: Date.now() - started,
    stores,
    models,
    problems,
    filesHashed: hashed.files,
    bytesHashed: hashed.bytes,
    hashMs: hashed.ms,
  };
}

async function identify(files: ModelFile[], opts: ScanOptions, started: number, problems: ScanProblem[]): Promise<{ files: number; bytes: number; ms: number }> {
  // A file hard-linked to a digest-named blob shares its identity without a read.
  const known = new Map<string, string>();
  for (const f of files) if (f.sha256) known.set(key(f), f.sha256);
  const unknown = new Map<string, ModelFile>();
  for (const f of files) {
    if (f.sha256) continue;
    const k = known.get(key(f));
    if (k) f.sha256 = k;
    else if (!unknown.has(key(f))) unknown.set(key(f), f);
  }
  if (unknown.size === 0) return { files: 0, bytes: 0, ms: 0 };
  const cached = await opts.cache.lookup([...unknown.values()]);
  const toHash: ModelFile[] = [];
  for (const [k, f] of unknown) {
    const c = cached.get(k);
    if (c && c.size === f.size && c.mtimeNs === f.mtimeNs) known.set(k, c.sha256);
    else toHash.push(f);
  }
  let hashedBytes = 0;
  let hashMs = 0;
  if (toHash.length > 0) {
    const t0 = performance.now();
    const pool = opts.pool ?? new HashPool();
    const racyNs = BigInt(started - (opts.racyWindowMs ?? 2000)) * 1_000_000n;
    const bytesTotal = toHash.reduce((s, f) => s + f.size, 0);
    let bytesDone = 0;
    let filesDone = 0;
    const toStore: CachedHash[] = [];
    // Batches of ~64 MiB or 256 files: big files spread over the workers, small ones amortize.
    const batches: ModelFile[][] = [];
    let cur: ModelFile[] = [];
    let curBytes = 0;
    for (const f of toHash.sort((a, b) => b.size - a.size)) {
      cur.push(f);
      curBytes += f.size;
      if (curBytes >= 64 << 20 || cur.length >= 256) {
        batches.push(cur);
        cur = [];
        curBytes = 0;
      }
    }
    if (cur.length > 0) batches.push(cur);
    try {
      await Promise.all(
        batches.map(async (batch) => {
          const results = await pool.hashBatch(
            batch.map((f) => f.blobPath),
            (n) => {
              bytesDone += n;
              opts.onProgress?.({ phase: 'hashing', filesDone, filesTotal: toHash.length, bytesDone, bytesTotal });
            },
          );
          results.forEach((r, i) => {
            const f = batch[i]!;
            filesDone++;
            if (!r.ok) {
              problems.push({ kind: 'unreadable', path: f.blobPath, message: `could not hash ${f.blobPath}: ${r.message}` });
              return;
            }
            hashedBytes += r.size;
            if (r.size !== f.size || r.mtimeNs !== f.mtimeNs || r.ino !== f.ino) {
              // Changed while we read it: the digest describes no stable content; leave it unknown.
              problems.push({ kind: 'unreadable', path: f.blobPath, message: `${f.blobPath} changed while it was hashed; scan again` });
              return;
            }
            known.set(key(f), r.sha256);
            if (BigInt(f.mtimeNs) < racyNs) toStore.push({ dev: f.dev, ino: f.ino, size: f.size, mtimeNs: f.mtimeNs, sha256: r.sha256 });
          });
        }),
      );
    } finally {
      hashMs = performance.now() - t0;
      if (!opts.pool) await pool.close();
    }
    await opts.cache.store(toStore);
  }
  for (const f of files) if (!f.sha256) f.sha256 = known.get(key(f)) ?? null;
  return { files: toHash.length, bytes: hashedBytes, ms: Math.round(hashMs) };
}
