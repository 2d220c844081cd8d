import { MemoryHashCache, type HashCache, type HashPool } from '@workbench/core';
import { readConfig, resolveStores, type CacheConfig } from './config.js';
import { readSummary, stateDir } from './summary-file.js';
import { readGgufMeta } from './gguf-meta.js';
import { readModelMeta, type GgufReader } from './meta.js';
import { ListingMemo } from './scan/memo.js';
import { scanAll, type ScanProgress } from './scan/scan.js';
import { readMetaCache, summarizeIndex, writeMetaCache, writeSummary, type CacheSummary } from './state.js';
import type { ScanIndex, Store } from './types.js';

export interface ModelCacheOptions {
  /** The workspace folder: cache.yaml and the scan index live there. */
  workspaceDir: string;
  /** Hash cache shared with datasets (SqliteHashCache over the workspace database). */
  hashCache?: HashCache;
  pool?: HashPool;
  env?: NodeJS.ProcessEnv;
  readGguf?: GgufReader | null;
  /** Files modified this recently are not remembered in the hash cache (default 2 s). */
  racyWindowMs?: number;
}

/** The model cache of one machine, as seen from one workspace. */
export class ModelCache {
  readonly stateDir: string;
  private readonly hashCache: HashCache;
  private constructor(
    readonly opts: ModelCacheOptions,
    readonly config: CacheConfig,
    readonly stores: Store[],
  ) {
    this.stateDir = stateDir(opts.workspaceDir);
    this.hashCache = opts.hashCache ?? new MemoryHashCache();
  }

  static async open(opts: ModelCacheOptions): Promise<ModelCache> {
    const config = await readConfig(opts.workspaceDir);
    return new ModelCache(opts, config, resolveStores(config, opts.env ?? process.env));
  }

  /** Walk the stores, identify every file and save the summary `status` reads. */
  /**
   * `trustUnchangedBlobs` (for listings: `wb cache scan`, status, the web page) reuses the
   * remembered stats of digest-named blobs in folders whose mtime has not moved; every command
   * that changes or checks files scans without it.
   */
  async scan(onProgress?: (p: ScanProgress) => void, opts: { trustUnchangedBlobs?: boolean } = {}): Promise<{ index: ScanIndex; summary: CacheSummary }> {
    const metaCache = await readMetaCache(this.stateDir);
    const metaBefore = metaCache.size;
    const readGguf = this.opts.readGguf === undefined ? readGgufMeta : this.opts.readGguf;
    const memo = await ListingMemo.load(this.stateDir);
    memo.trustBlobs = opts.trustUnchangedBlobs ?? false;
    const index = await scanAll(this.stores, {
      memo,
      cache: this.hashCache,
      ...(this.opts.pool ? { pool: this.opts.pool } : {}),
      apps: this.config.apps,
      readMeta: (models) => readModelMeta(models, metaCache, readGguf),
      ...(onProgress ? { onProgress } : {}),
      ...(this.opts.racyWindowMs !== undefined ? { racyWindowMs: this.opts.racyWindowMs } : {}),
    });
    const summary = summarizeIndex(index);
    await writeSummary(this.stateDir, summary);
    if (metaCache.size !== metaBefore) await writeMetaCache(this.stateDir, metaCache);
    await memo.save(this.stateDir);
    return { index, summary };
  }

  /** The last scan's summary, read without touching the stores; null before the first scan. */
  async summary(): Promise<CacheSummary | null> {
    return readSummary(this.stateDir);
  }
}
