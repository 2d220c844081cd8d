import { mkdir, readFile, rename, writeFile, open } from 'node:fs/promises';
import path from 'node:path';
import { fromSystemError } from '@workbench/core';
import { summaryFile } from './summary-file.js';
import { computeStats, findDuplicates, linkedModels, sameModelGroups, type CacheStats, type DuplicateGroup, type SameModelGroup } from './analysis.js';
import type { MetaCache } from './meta.js';
import type { Format, ModelMeta, ScanIndex, ScanProblem, Store, StoreKind } from './types.js';

export interface ModelSummary {
  id: string;
  source: StoreKind;
  name: string;
  revision: string | null;
  location: string;
  size: number;
  files: number;
  format: Format;
  meta: ModelMeta;
  usedBy: string[];
  linked: boolean;
}

/** What `wb cache status` and `stats` read without touching the stores: written by each scan. */
export interface CacheSummary {
  version: 1;
  scannedAt: string;
  durationMs: number;
  filesHashed: number;
  stores: Store[];
  models: ModelSummary[];
  stats: CacheStats;
  duplicates: DuplicateGroup[];
  sameModel: SameModelGroup[];
  problems: ScanProblem[];
}

const MAX_LISTED = 1000;

export function summarizeIndex(index: ScanIndex): CacheSummary {
  const groups = findDuplicates(index.models);
  const linked = linkedModels(index.models);
  return {
    version: 1,
    scannedAt: index.scannedAt,
    durationMs: index.durationMs,
    filesHashed: index.filesHashed,
    stores: index.stores,
    models: index.models.map((m) => ({
      id: m.id,
      source: m.source,
      name: m.name,
      revision: m.revision,
      location: m.location,
      size: m.size,
      files: m.files.length,
      format: m.format,
      meta: m.meta,
      usedBy: m.usedBy,
      linked: linked.has(m.id),
    })),
    stats: computeStats(index, groups),
    duplicates: groups.slice(0, MAX_LISTED),
    sameModel: sameModelGroups(index.models),
    problems: index.problems.slice(0, MAX_LISTED),
  };
}

/**
 * Write a file whole or not at all: temporary name, fsync, rename. `durable: false` skips the
 * fsync for derived state (scan summary, listing memo) that a rescan rebuilds anyway.
 */
export async function writeAtomic(file: string, data: string, opts: { durable?: boolean } = {}): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    if (opts.durable !== false) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

const metaFile = (stateDir: string) => path.join(stateDir, 'meta-cache.json');

export async function writeSummary(stateDir: string, s: CacheSummary): Promise<void> {
  try {
    await writeAtomic(summaryFile(stateDir), JSON.stringify(s), { durable: false });
  } catch (err) {
    throw fromSystemError(err, 'saving the model cache index');
  }
}

export async function readMetaCache(stateDir: string): Promise<MetaCache> {
  try {
    const raw = JSON.parse(await readFile(metaFile(stateDir), 'utf8')) as Record<string, ModelMeta>;
    return new Map(Object.entries(raw));
  } catch {
    return new Map();
  }
}

export async function writeMetaCache(stateDir: string, cache: MetaCache): Promise<void> {
  await writeAtomic(metaFile(stateDir), JSON.stringify(Object.fromEntries(cache)), { durable: false });
}

export async function writeFileQuiet(file: string, data: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, data);
}
