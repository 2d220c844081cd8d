import type { Model, ScanIndex, StoreKind } from './types.js';

/** One physical copy of some content: a file with its own inode. */
export interface Copy {
  dev: string;
  ino: string;
  /** Every scanned path that reaches this inode's bytes as a regular file. */
  blobPaths: string[];
  models: string[];
  stores: StoreKind[];
  mode: number;
}

export interface DuplicateGroup {
  sha256: string;
  size: number;
  /** Separate inodes holding the same bytes. */
  copies: Copy[];
  /** Bytes freed by hard-linking copies on the same filesystem. */
  reclaimable: number;
}

export interface CacheStats {
  models: number;
  files: number;
  /** Bytes on disk, each inode once. */
  totalBytes: number;
  /** Bytes all models would take without any sharing (every blob path counted). */
  apparentBytes: number;
  reclaimableBytes: number;
  /** Bytes already shared through hard links between scanned paths. */
  savedBytes: number;
  duplicateGroups: number;
  unhashedFiles: number;
  byStore: Array<{ store: StoreKind; root: string; models: number; bytes: number }>;
  largest: Array<{ id: string; size: number }>;
}

/** Files grouped by content: the same SHA-256 on more than one inode. */
export function findDuplicates(models: Model[]): DuplicateGroup[] {
  // First pass: which digests sit on two or more inodes. Most do not, and building groups
  // only for those that do keeps a 100,000-file scan from allocating 100,000 groups.
  const firstInode = new Map<string, string>();
  const multi = new Set<string>();
  for (const m of models)
    for (const f of m.files) {
      if (!f.sha256 || f.size === 0) continue;
      const k = f.inode;
      const seen = firstInode.get(f.sha256);
      if (seen === undefined) firstInode.set(f.sha256, k);
      else if (seen !== k) multi.add(f.sha256);
    }
  const byHash = new Map<string, Map<string, Copy>>();
  const sizeOf = new Map<string, number>();
  for (const m of models) {
    for (const f of m.files) {
      if (!f.sha256 || f.size === 0 || !multi.has(f.sha256)) continue;
      let copies = byHash.get(f.sha256);
      if (!copies) byHash.set(f.sha256, (copies = new Map()));
      sizeOf.set(f.sha256, f.size);
      const k = f.inode;
      let c = copies.get(k);
      if (!c) copies.set(k, (c = { dev: f.dev, ino: f.ino, blobPaths: [], models: [], stores: [], mode: f.mode }));
      if (!c.blobPaths.includes(f.blobPath)) c.blobPaths.push(f.blobPath);
      if (!c.models.includes(m.id)) c.models.push(m.id);
      if (!c.stores.includes(m.source)) c.stores.push(m.source);
    }
  }
  const groups: DuplicateGroup[] = [];
  for (const [sha256, copies] of byHash) {
    const size = sizeOf.get(sha256)!;
    const perDev = new Map<string, number>();
    for (const c of copies.values()) perDev.set(c.dev, (perDev.get(c.dev) ?? 0) + 1);
    let reclaimable = 0;
    for (const n of perDev.values()) reclaimable += (n - 1) * size;
    groups.push({ sha256, size, copies: [...copies.values()], reclaimable });
  }
  return groups.sort((a, b) => b.reclaimable - a.reclaimable || a.sha256.localeCompare(b.sha256));
}

export function computeStats(index: ScanIndex, groups: DuplicateGroup[] = findDuplicates(index.models)): CacheStats {
  // One name per inode is the common case: remember it, and keep a set only for the rare
  // further names (hard links), instead of hashing every path into a set.
  const firstName = new Map<string, string>();
  const moreNames = new Set<string>();
  let files = 0;
  let unhashed = 0;
  let totalBytes = 0;
  let apparentBytes = 0;
  const perStore = new Map<string, { models: number; bytes: number }>();
  for (const m of index.models) {
    const sk = m.source + '\0' + m.storeRoot;
    let ps = perStore.get(sk);
    if (!ps) perStore.set(sk, (ps = { models: 0, bytes: 0 }));
    ps.models++;
    for (const f of m.files) {
      files++;
      if (!f.sha256) unhashed++;
      const first = firstName.get(f.inode);
      let newName = false;
      if (first === undefined) {
        firstName.set(f.inode, f.blobPath);
        totalBytes += f.size;
        newName = true;
      } else if (first !== f.blobPath) {
        const k = f.inode + '\0' + f.blobPath;
        if (!moreNames.has(k)) {
          moreNames.add(k);
          newName = true;
        }
      }
      if (newName) {
        apparentBytes += f.size;
        // A blob two models of one store share counts once for the store.
        ps.bytes += f.size;
      }
    }
  }
  const byStore = index.stores
    .filter((s) => s.exists)
    .map((s) => {
      const ps = perStore.get(s.kind + '\0' + s.root);
      return { store: s.kind, root: s.root, models: ps?.models ?? 0, bytes: ps?.bytes ?? 0 };
    });
  return {
    models: index.models.length,
    files,
    totalBytes,
    apparentBytes,
    reclaimableBytes: groups.reduce((s, g) => s + g.reclaimable, 0),
    savedBytes: apparentBytes - totalBytes,
    duplicateGroups: groups.length,
    unhashedFiles: unhashed,
    byStore,
    largest: [...index.models].sort((a, b) => b.size - a.size).slice(0, 10).map((m) => ({ id: m.id, size: m.size })),
  };
}

/** Models whose files share an inode with another scanned path (hard links), or are links we made. */
export function linkedModels(models: Model[]): Set<string> {
  // One blob path per inode, and the inodes reached under two or more blob paths.
  const first = new Map<string, string>();
  const shared = new Set<string>();
  for (const m of models)
    for (const f of m.files) {
      const k = f.inode;
      const p = first.get(k);
      if (p === undefined) first.set(k, f.blobPath);
      else if (p !== f.blobPath) shared.add(k);
    }
  const out = new Set<string>();
  for (const m of models) if (m.files.some((f) => shared.has(f.inode) || (f.path !== f.blobPath && m.source !== 'huggingface'))) out.add(m.id);
  return out;
}

export interface SameModelGroup {
  family: string;
  models: Array<{ id: string; format: string; size: number; quantization?: string }>;
}

/** Advisory: models that look like the same network in other formats or quantizations. */
export function sameModelGroups(models: Model[]): SameModelGroup[] {
  const by = new Map<string, Model[]>();
  for (const m of models) {
    if (!m.meta.family) continue;
    let list = by.get(m.meta.family);
    if (!list) by.set(m.meta.family, (list = []));
    list.push(m);
  }
  const out: SameModelGroup[] = [];
  for (const [family, ms] of by) {
    if (ms.length < 2 || new Set(ms.map((m) => `${m.format}/${m.meta.quantization ?? ''}`)).size < 2) continue;
    out.push({ family, models: ms.map((m) => ({ id: m.id, format: m.format, size: m.size, ...(m.meta.quantization ? { quantization: m.meta.quantization } : {}) })) });
  }
  return out;
}
