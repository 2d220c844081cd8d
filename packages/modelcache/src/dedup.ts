import { constants, copyFileSync, linkSync, lstatSync, renameSync, rmSync, symlinkSync, chmodSync, utimesSync, chownSync, mkdirSync, type BigIntStats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { HashPool, OperationalError, isAlive } from '@workbench/core';
import { readFileSync, writeFileSync } from 'node:fs';
import { findDuplicates, type DuplicateGroup } from './analysis.js';
import { Journal, journalDir, readJournals, retireJournal, type JournalEntry } from './journal.js';
import type { ScanIndex, StoreKind } from './types.js';

export type LinkMethod = 'hardlink' | 'reflink' | 'symlink';

export interface DedupAction {
  sha256: string;
  size: number;
  /** The file that stays. */
  keep: string;
  /** The file replaced by a link to `keep`. */
  replace: string;
  /** Bytes this action frees (0 for further names of an inode another action already frees). */
  frees: number;
  stores: StoreKind[];
}

export interface DedupPlan {
  method: LinkMethod;
  actions: DedupAction[];
  reclaimBytes: number;
  skipped: Array<{ path: string; reason: string }>;
}

export interface DedupItemResult {
  path: string;
  keep: string;
  ok: boolean;
  method?: LinkMethod;
  reason?: string;
}

export interface DedupResult {
  journal: string | null;
  replaced: number;
  freedBytes: number;
  failed: DedupItemResult[];
  items: DedupItemResult[];
}

/** Store-owned blobs first: they are what the owning tools open by digest. */
const STORE_RANK: Record<StoreKind, number> = { ollama: 0, huggingface: 1, lmstudio: 2, llamacpp: 3, 'node-llama-cpp': 4, folder: 5 };

/**
 * Which files to replace by links. In each group of identical content the copy with the most
 * names (already shared) stays; every other copy on the same filesystem — or any filesystem,
 * for symlinks — becomes a link to it. Copies with other permissions are left alone.
 */
export function planDedup(index: ScanIndex, method: LinkMethod = 'hardlink', groups: DuplicateGroup[] = findDuplicates(index.models)): DedupPlan {
  const actions: DedupAction[] = [];
  const skipped: DedupPlan['skipped'] = [];
  for (const g of groups) {
    const copies = [...g.copies].sort((a, b) => b.blobPaths.length - a.blobPaths.length || STORE_RANK[a.stores[0]!] - STORE_RANK[b.stores[0]!] || a.blobPaths[0]!.localeCompare(b.blobPaths[0]!));
    const keep = copies[0]!;
    for (const c of copies.slice(1)) {
      if (method !== 'symlink' && c.dev !== keep.dev) {
        skipped.push(...c.blobPaths.map((p) => ({ path: p, reason: `on another filesystem than ${keep.blobPaths[0]} (hard links cannot cross; --symlink can)` })));
        continue;
      }
      if (c.mode !== keep.mode) {
        skipped.push(...c.blobPaths.map((p) => ({ path: p, reason: `permissions ${c.mode.toString(8)} differ from ${keep.blobPaths[0]} (${keep.mode.toString(8)})` })));
        continue;
      }
      c.blobPaths.forEach((p, i) => actions.push({ sha256: g.sha256, size: g.size, keep: keep.blobPaths[0]!, replace: p, frees: i === c.blobPaths.length - 1 ? g.size : 0, stores: c.stores }));
    }
  }
  return { method, actions, reclaimBytes: actions.reduce((s, a) => s + a.frees, 0), skipped };
}

const TMP_PREFIX = '.wb-dedup-';

/** One dedup or undo at a time per workspace; a lock left by a killed process is taken over. */
export function acquireLock(stateDir: string): () => void {
  const file = path.join(stateDir, 'dedup.lock');
  mkdirSync(stateDir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new OperationalError('WORKSPACE_LOCKED', `another dedup or undo is running (pid ${pid})`, { hint: 'wait for it to finish' });
      }
      rmSync(file, { force: true });
    }
  }
  throw new OperationalError('WORKSPACE_LOCKED', 'could not take the dedup lock', { hint: 'retry' });
}

/** Temporary names a killed run left behind (recorded in its journal before they were made). */
export async function cleanLeftovers(stateDir: string): Promise<number> {
  let n = 0;
  for (const j of await readJournals(stateDir, { includeUndone: true })) {
    for (const e of j.entries) {
      try {
        if (path.basename(e.tmp).startsWith(TMP_PREFIX)) {
          rmSync(e.tmp);
          n++;
        }
      } catch {
        // Already gone: the usual case.
      }
    }
  }
  return n;
}

function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}

export interface ApplyOptions {
  pool?: HashPool;
  onItem?: (done: number, total: number, bytesFreed: number) => void;
  /** Tests: pause after journalling each item (gives a SIGKILL test moments to land in). */
  slowMs?: number;
}

/**
 * Carry out a plan. Per item: stat both files, hash both (the content must still be what the
 * scan found), check neither changed during the hashing, journal the replacement (fsync), make
 * the link under a temporary name in the replaced file's folder and rename it over the file.
 * Every path holds its original bytes at every moment; an item that fails is reported and the
 * rest go on.
 */
export async function applyDedup(stateDir: string, plan: DedupPlan, opts: ApplyOptions = {}): Promise<DedupResult> {
  const release = acquireLock(stateDir);
  const pool = opts.pool ?? new HashPool(2);
  const items: DedupItemResult[] = [];
  let freed = 0;
  let journal: Journal | null = null;
  try {
    await cleanLeftovers(stateDir);
    if (plan.actions.length === 0) return { journal: null, replaced: 0, freedBytes: 0, failed: [], items };
    mkdirSync(journalDir(stateDir), { recursive: true });
    journal = new Journal(path.join(journalDir(stateDir), `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.jsonl`));
    const verified = new Map<string, string>();
    let done = 0;
    for (const a of plan.actions) {
      const res = await replaceOne(a, plan.method, journal, pool, verified, opts.slowMs);
      items.push(res);
      if (res.ok) freed += a.frees;
      opts.onItem?.(++done, plan.actions.length, freed);
    }
  } finally {
    journal?.close();
    if (!opts.pool) await pool.close();
    release();
  }
  return { journal: journal?.file ?? null, replaced: items.filter((i) => i.ok).length, freedBytes: freed, failed: items.filter((i) => !i.ok), items };
}

async function replaceOne(a: DedupAction, method: LinkMethod, journal: Journal, pool: HashPool, verified: Map<string, string>, slowMs?: number): Promise<DedupItemResult> {
  const fail = (reason: string): DedupItemResult => ({ path: a.replace, keep: a.keep, ok: false, reason });
  let ks: BigIntStats, rs: BigIntStats;
  try {
    ks = lstatSync(a.keep, { bigint: true });
    rs = lstatSync(a.replace, { bigint: true });
  } catch (err) {
    return fail(`${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone since the scan' : (err as Error).message}`);
  }
  if (!ks.isFile() || !rs.isFile()) return fail('not a regular file any more');
  if (ks.dev === rs.dev && ks.ino === rs.ino) return { path: a.replace, keep: a.keep, ok: true, method: 'hardlink', reason: 'already linked' };
  if (method !== 'symlink' && ks.dev !== rs.dev) return fail('on another filesystem (hard links cannot cross)');
  if (ks.size !== BigInt(a.size) || rs.size !== BigInt(a.size)) return fail('size changed since the scan');
  // Hash both now: the scan's digest may be from a blob name or an old hash cache entry.
  const keepKey = `${ks.dev}:${ks.ino}:${ks.mtimeNs}`;
  const paths = verified.has(keepKey) ? [a.replace] : [a.keep, a.replace];
  const hashes = await Promise.all(paths.map((p) => pool.hashBatch([p]).then((r) => r[0]!)));
  for (const h of hashes) if (!h.ok) return fail(`could not read: ${h.message}`);
  const keepHash = verified.get(keepKey) ?? (hashes[0]!.ok ? hashes[0]!.sha256 : '');
  const replHash = hashes[hashes.length - 1]!;
  if (!replHash.ok) return fail('could not read');
  if (keepHash !== a.sha256) return fail(`${a.keep} no longer holds ${a.sha256.slice(0, 12)}… (changed or corrupt); run wb cache verify`);
  if (replHash.sha256 !== a.sha256) return fail(`content changed since the scan (now ${replHash.sha256.slice(0, 12)}…)`);
  verified.set(keepKey, keepHash);
  let ks2: BigIntStats, rs2: BigIntStats;
  try {
    ks2 = lstatSync(a.keep, { bigint: true });
    rs2 = lstatSync(a.replace, { bigint: true });
  } catch {
    return fail('gone while being checked');
  }
  if (!sameFile(ks, ks2) || !sameFile(rs, rs2)) return fail('changed while being checked');

  const dir = path.dirname(a.replace);
  const tmp = path.join(dir, `${TMP_PREFIX}${randomBytes(6).toString('hex')}.tmp`);
  const entry: JournalEntry = {
    op: 'replace',
    path: a.replace,
    keep: a.keep,
    sha256: a.sha256,
    size: a.size,
    mode: Number(rs.mode & 0o7777n),
    uid: Number(rs.uid),
    gid: Number(rs.gid),
    mtimeMs: Number(rs.mtimeMs),
    method,
    tmp,
  };
  journal.append(entry);
  if (slowMs) await new Promise((r) => setTimeout(r, slowMs));
  let used: LinkMethod = method;
  try {
    if (method === 'symlink') symlinkSync(a.keep, tmp);
    else if (method === 'reflink') {
      try {
        copyFileSync(a.keep, tmp, constants.COPYFILE_FICLONE_FORCE);
        chmodSync(tmp, entry.mode);
      } catch {
        rmSync(tmp, { force: true });
        linkSync(a.keep, tmp);
        used = 'hardlink';
      }
    } else linkSync(a.keep, tmp);
    // The rename is the one atomic step: the path holds the old file or the link, never neither.
    renameSync(tmp, a.replace);
  } catch (err) {
    rmSync(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    return fail(e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS' ? `permission denied in ${dir} (a read-only store?)` : e.message);
  }
  journal.append({ op: 'done', path: a.replace }, false);
  return { path: a.replace, keep: a.keep, ok: true, method: used };
}

export interface UndoResult {
  restored: string[];
  skipped: Array<{ path: string; reason: string }>;
  journals: string[];
}

/**
 * Give every path a dedup run linked its own copy again (newest run first, or all runs). The
 * copy is written under a temporary name beside the path, given the original mode, owner and
 * mtime, checked against the journalled digest and renamed over the link.
 */
export async function undoDedup(stateDir: string, opts: { all?: boolean; pool?: HashPool } = {}): Promise<UndoResult> {
  const release = acquireLock(stateDir);
  const pool = opts.pool ?? new HashPool(2);
  const out: UndoResult = { restored: [], skipped: [], journals: [] };
  try {
    await cleanLeftovers(stateDir);
    const journals = await readJournals(stateDir);
    const chosen = opts.all ? journals.reverse() : journals.slice(-1);
    for (const j of chosen) {
      const jw = new Journal(j.file);
      try {
        for (const e of [...j.entries].reverse()) {
          if (j.undone.has(e.path)) continue;
          const r = await restoreOne(e, pool);
          if (r === null) {
            out.restored.push(e.path);
            jw.append({ op: 'undone', path: e.path });
          } else out.skipped.push({ path: e.path, reason: r });
        }
      } finally {
        jw.close();
      }
      await retireJournal(j.file);
      out.journals.push(j.file);
    }
  } finally {
    if (!opts.pool) await pool.close();
    release();
  }
  return out;
}

/** null when restored (or nothing to restore); else why not. */
async function restoreOne(e: JournalEntry, pool: HashPool): Promise<string | null> {
  let ps: BigIntStats;
  try {
    ps = lstatSync(e.path, { bigint: true });
  } catch {
    return 'the path no longer exists';
  }
  if (e.method === 'hardlink') {
    let ks: BigIntStats;
    try {
      ks = lstatSync(e.keep, { bigint: true });
    } catch {
      ks = ps;
    }
    // Not linked (the run died before the rename, or someone replaced it): leave it be.
    if (!(ps.isFile() && ps.nlink > 1n) && !(ks.dev === ps.dev && ks.ino === ps.ino)) return null;
  } else if (e.method === 'symlink' && !ps.isSymbolicLink()) return null;
  const tmp = path.join(path.dirname(e.path), `${TMP_PREFIX}undo-${randomBytes(6).toString('hex')}.tmp`);
  try {
    // Copy without reflink: the point is a separate copy.
    copyFileSync(e.path, tmp);
    const [h] = await pool.hashBatch([tmp]);
    if (!h || !h.ok || h.sha256 !== e.sha256) {
      rmSync(tmp, { force: true });
      return `its content is no longer ${e.sha256.slice(0, 12)}…; left as it is`;
    }
    chmodSync(tmp, e.mode);
    try {
      chownSync(tmp, e.uid, e.gid);
    } catch {
      // Only root may give files away; the mode is what matters to the tools.
    }
    utimesSync(tmp, new Date(), new Date(e.mtimeMs));
    renameSync(tmp, e.path);
    return null;
  } catch (err) {
    rmSync(tmp, { force: true });
    return (err as Error).message;
  }
}
