import { createHash } from 'node:crypto';
import { statSync, type BigIntStats, type Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fromSystemError, invalid, UserError } from '../errors.js';
import { fileKey, type CachedHash, type HashCache } from './hash-cache.js';
import { HashPool, type HashResult } from './hash-pool.js';
import { yieldToLoop } from './fs-util.js';

/** A regular file found under a folder. `path` is relative, with `/` separators. */
export interface WalkedFile {
  path: string;
  abs: string;
  size: number;
  dev: string;
  ino: string;
  mtimeNs: string;
}

export interface FingerprintedFile extends WalkedFile {
  sha256: string;
}

export interface HashProgress {
  phase: 'hash';
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

/** A folder the walk must not enter (the workspace itself, say), with the reason to give. */
export interface RefusedDir {
  dev: string;
  ino: string;
  reason: string;
}

export interface WalkOptions {
  refuseDirs?: RefusedDir[];
}

export interface FingerprintOptions extends WalkOptions {
  /** Hashes by (dev, ino) from earlier runs; unchanged files are then not read at all. */
  cache?: HashCache;
  onProgress?: (p: HashProgress) => void;
  /** Reuse a pool (it is left open); by default one is made and closed. */
  pool?: HashPool;
  /**
   * A file modified this shortly before it was looked at is hashed but not cached: its
   * timestamp may not tell a later change of the same size apart (coarse file-system clocks).
   * Default 2000 ms.
   */
  racyWindowMs?: number;
}

export interface FolderFingerprint {
  /** SHA-256 of the manifest text (one `<sha256> <size> <path>\n` line per file, by path). */
  fingerprint: string;
  files: FingerprintedFile[];
  totalSize: number;
  /** Files whose content was read (the rest came from the cache). */
  filesHashed: number;
  bytesHashed: number;
}

/** Entries stat'ed between two turns of the event loop. */
const STAT_SLICE = 256;
/** Small files go to the workers in batches up to this many files or bytes… */
const BATCH_FILES = 256;
const BATCH_BYTES = 16 << 20;
/** …and a file this big goes alone. */
const BIG_FILE = 8 << 20;

const bigKey = (st: BigIntStats): string => `${st.dev}:${st.ino}`;

function kindOf(st: BigIntStats): string {
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  return 'special file';
}

/** Compare strings by their UTF-8 bytes (what `sort` in the C locale does). */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function sortByPath<T extends { path: string }>(items: T[]): T[] {
  const keyed = items.map((item) => ({ item, key: Buffer.from(item.path, 'utf8') }));
  keyed.sort((x, y) => Buffer.compare(x.key, y.key));
  return keyed.map((k) => k.item);
}

interface Frame {
  abs: string;
  rel: string;
  key: string;
  parent: Frame | null;
}

/**
 * Every regular file under `root`, sorted by path bytes. Symbolic links to files and folders
 * are followed; a link that leads back into one of its own ancestors is a loop and an error,
 * and so are broken links and entries that are neither files nor folders: nothing is skipped
 * silently.
 */
export async function walkFolder(root: string, opts: WalkOptions = {}): Promise<WalkedFile[]> {
  const rootAbs = path.resolve(root);
  let rootSt: BigIntStats;
  try {
    rootSt = await stat(rootAbs, { bigint: true });
  } catch (err) {
    throw fromSystemError(err, `reading ${rootAbs}`);
  }
  if (!rootSt.isDirectory()) throw invalid(`${rootAbs} is not a folder`);
  const refused = new Map((opts.refuseDirs ?? []).map((r) => [`${r.dev}:${r.ino}`, r.reason]));
  const checkRefused = (key: string, rel: string) => {
    const reason = refused.get(key);
    if (reason !== undefined) {
      throw new UserError('INVALID_INPUT', `${rel === '' ? rootAbs : `'${rel}' in ${rootAbs}`}: ${reason}`, { hint: 'import a folder that does not contain the workspace' });
    }
  };
  checkRefused(bigKey(rootSt), '');

  const files: WalkedFile[] = [];
  const special: string[] = [];
  const stack: Frame[] = [{ abs: rootAbs, rel: '', key: bigKey(rootSt), parent: null }];
  let slices = 0;
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = await readdir(dir.abs, { withFileTypes: true });
    } catch (err) {
      throw fromSystemError(err, `reading the folder ${dir.rel === '' ? rootAbs : dir.rel}`);
    }
    for (let i = 0; i < entries.length; i += STAT_SLICE) {
      // Synchronous stat is several times faster than the async one for many small calls;
      // slices keep the event loop turning between them.
      if (++slices % 4 === 0) await yieldToLoop();
      const part = entries.slice(i, i + STAT_SLICE);
      for (let j = 0; j < part.length; j++) {
        const entry = part[j]!;
        let st: BigIntStats | null = null;
        let err: unknown = null;
        try {
          st = statSync(path.join(dir.abs, entry.name), { bigint: true });
        } catch (e) {
          err = e;
        }
        const rel = dir.rel === '' ? entry.name : `${dir.rel}/${entry.name}`;
        if (!st) {
          const code = (err as NodeJS.ErrnoException)?.code;
          if (code === 'ENOENT' && entry.isSymbolicLink()) {
            throw new UserError('INVALID_INPUT', `broken symbolic link in the folder: '${rel}'`, { hint: 'fix or remove the link, then import again' });
          }
          if (code === 'ELOOP') {
            throw new UserError('INVALID_INPUT', `symbolic link loop in the folder: '${rel}'`, { hint: 'remove the looping link, then import again', cause: err });
          }
          if (code === 'ENOENT') {
            throw new UserError('CONFLICT', `'${rel}' disappeared while the folder was being read`, { hint: 'retry once the folder stops changing', cause: err });
          }
          throw fromSystemError(err, `reading '${rel}'`);
        }
        if (st.isFile()) {
          if (/[\n\r]/.test(entry.name)) {
            throw new UserError('INVALID_INPUT', `file name with a line break in the folder: ${JSON.stringify(rel)}`, { hint: 'rename the file: manifests hold one path per line' });
          }
          files.push({ path: rel, abs: path.join(dir.abs, entry.name), size: Number(st.size), dev: st.dev.toString(), ino: st.ino.toString(), mtimeNs: st.mtimeNs.toString() });
        } else if (st.isDirectory()) {
          const key = bigKey(st);
          for (let f: Frame | null = dir; f; f = f.parent) {
            if (f.key === key) {
              throw new UserError('INVALID_INPUT', `symbolic link loop in the folder: '${rel}' leads back to '${f.rel === '' ? '.' : f.rel}'`, {
                hint: 'remove or replace the looping link, then import again',
              });
            }
          }
          checkRefused(key, rel);
          stack.push({ abs: path.join(dir.abs, entry.name), rel, key, parent: dir });
        } else {
          special.push(`${rel} (${kindOf(st)})`);
        }
      }
    }
  }
  if (special.length > 0) {
    const shown = special.slice(0, 10).join(', ') + (special.length > 10 ? `, and ${special.length - 10} more` : '');
    throw new UserError('INVALID_INPUT', `the folder holds ${special.length} entr${special.length === 1 ? 'y' : 'ies'} that cannot be imported: ${shown}`, {
      hint: 'only regular files and folders can be imported: move these out, or import a subfolder without them',
    });
  }
  return sortByPath(files);
}

export function manifestLine(f: { sha256: string; size: number; path: string }): string {
  return `${f.sha256} ${f.size} ${f.path}\n`;
}

/** The manifest's lines in order, for streaming it to a file. */
export function* manifestLines(files: Iterable<{ sha256: string; size: number; path: string }>): Generator<string> {
  for (const f of files) yield manifestLine(f);
}

/** The fingerprint of files already sorted by path: SHA-256 of their manifest text. */
export function manifestFingerprint(files: Iterable<{ sha256: string; size: number; path: string }>): string {
  const h = createHash('sha256');
  let buf = '';
  for (const line of manifestLines(files)) {
    buf += line;
    if (buf.length >= 1 << 16) {
      h.update(buf, 'utf8');
      buf = '';
    }
  }
  h.update(buf, 'utf8');
  return h.digest('hex');
}

function hashFailure(f: WalkedFile, r: HashResult & { ok: false }): UserError | ReturnType<typeof fromSystemError> {
  if (r.code === 'ENOENT') {
    return new UserError('CONFLICT', `'${f.path}' disappeared while it was being imported`, { hint: 'retry once the folder stops changing' });
  }
  if (r.code === 'ENOTFILE') return new UserError('CONFLICT', `'${f.path}' is no longer a regular file`, { hint: 'retry once the folder stops changing' });
  const err = Object.assign(new Error(r.message), { code: r.code, path: f.abs });
  return fromSystemError(err, `hashing '${f.path}'`);
}

/**
 * Hash what the cache does not already know, on worker threads; then remember the new hashes.
 * Each result is checked against the walk's stat: a file that changed in between is an error,
 * never a wrong hash.
 */
export async function hashFiles(
  files: WalkedFile[],
  opts: Pick<FingerprintOptions, 'cache' | 'onProgress' | 'pool' | 'racyWindowMs'> & { startedAt?: number } = {},
): Promise<{ files: FingerprintedFile[]; filesHashed: number; bytesHashed: number }> {
  const startedAt = opts.startedAt ?? Date.now();
  const racyNs = BigInt(startedAt - (opts.racyWindowMs ?? 2000)) * 1_000_000n;
  const sha = new Array<string | undefined>(files.length);
  const cached = opts.cache ? await opts.cache.lookup(files) : new Map<string, CachedHash>();
  const need: number[] = [];
  let bytesTotal = 0;
  let bytesDone = 0;
  let filesDone = 0;
  files.forEach((f, i) => {
    bytesTotal += f.size;
    const c = cached.get(fileKey(f));
    if (c && c.size === f.size && c.mtimeNs === f.mtimeNs) {
      sha[i] = c.sha256;
      bytesDone += f.size;
      filesDone++;
    } else {
      need.push(i);
    }
  });
  const report = () => opts.onProgress?.({ phase: 'hash', bytesDone, bytesTotal, filesDone, filesTotal: files.length });
  report();

  let bytesHashed = 0;
  if (need.length > 0) {
    const batches: number[][] = [];
    let cur: number[] = [];
    let curBytes = 0;
    for (const i of need) {
      const size = files[i]!.size;
      if (size >= BIG_FILE) {
        batches.push([i]);
        continue;
      }
      if (cur.length >= BATCH_FILES || curBytes + size > BATCH_BYTES) {
        batches.push(cur);
        cur = [];
        curBytes = 0;
      }
      cur.push(i);
      curBytes += size;
    }
    if (cur.length > 0) batches.push(cur);

    const pool = opts.pool ?? new HashPool();
    const toStore: CachedHash[] = [];
    try {
      await Promise.all(
        batches.map(async (batch) => {
          const results = await pool.hashBatch(
            batch.map((i) => files[i]!.abs),
            (n) => {
              bytesDone += n;
              bytesHashed += n;
              report();
            },
          );
          batch.forEach((i, k) => {
            const f = files[i]!;
            const r = results[k]!;
            if (!r.ok) throw hashFailure(f, r);
            if (r.size !== f.size || r.mtimeNs !== f.mtimeNs || r.ino !== f.ino || r.dev !== f.dev) {
              throw new UserError('CONFLICT', `'${f.path}' changed while it was being imported`, { hint: 'retry once the folder stops changing' });
            }
            sha[i] = r.sha256;
            if (BigInt(f.mtimeNs) < racyNs) toStore.push({ dev: f.dev, ino: f.ino, size: f.size, mtimeNs: f.mtimeNs, sha256: r.sha256 });
          });
          filesDone += batch.length;
          report();
        }),
      );
    } finally {
      if (!opts.pool) await pool.close();
    }
    if (opts.cache) await opts.cache.store(toStore);
  }
  return { files: files.map((f, i) => ({ ...f, sha256: sha[i]! })), filesHashed: need.length, bytesHashed };
}

/**
 * Fingerprint a folder: walk it, hash every file (cached hashes for unchanged files), and
 * hash the manifest. The same content under the same relative paths always gives the same
 * fingerprint, wherever the folder lives.
 */
export async function fingerprintFolder(root: string, opts: FingerprintOptions = {}): Promise<FolderFingerprint> {
  const startedAt = Date.now();
  const walked = await walkFolder(root, opts);
  const { files, filesHashed, bytesHashed } = await hashFiles(walked, { ...opts, startedAt });
  let totalSize = 0;
  for (const f of files) totalSize += f.size;
  return { fingerprint: manifestFingerprint(files), files, totalSize, filesHashed, bytesHashed };
}
