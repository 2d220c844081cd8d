import { lstatSync, readdirSync, readlinkSync, statSync, type BigIntStats, type Dirent } from 'node:fs';
import path from 'node:path';
import type { Format, ModelFile } from '../types.js';

/** stat that answers null for a missing path instead of throwing. */
export function statOrNull(p: string): BigIntStats | null {
  try {
    return statSync(p, { bigint: true });
  } catch {
    return null;
  }
}

export function lstatOrNull(p: string): BigIntStats | null {
  try {
    return lstatSync(p, { bigint: true });
  } catch {
    return null;
  }
}

/** readdir that answers [] for a missing or unreadable folder; `onError` hears the latter. */
export function listDir(dir: string, onError?: (err: NodeJS.ErrnoException) => void): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR') onError?.(e);
    return [];
  }
}

export function formatOf(file: string): Format {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.gguf') return 'gguf';
  if (ext === '.safetensors') return 'safetensors';
  return 'other';
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** What a scan keeps of a stat: device and inode as strings (64-bit values), mtime in ns. */
export interface FileStat {
  isFile: boolean;
  size: number;
  dev: string;
  ino: string;
  nlink: number;
  mode: number;
  mtimeNs: string;
}

/**
 * stat, following links; null when missing. `exact` files (those the hash cache remembers)
 * get a BigInt stat for their nanosecond mtime; files named by their digest need no more than
 * a plain stat, which allocates far less on a 100,000-file scan. Inode numbers past 2^53 take
 * the exact path, so every file's `dev:ino` key is the same whichever way it was read.
 */
export function statFile(p: string, exact: boolean): FileStat | null {
  if (!exact) {
    let st;
    try {
      st = statSync(p);
    } catch {
      return null;
    }
    if (st.ino <= Number.MAX_SAFE_INTEGER && st.dev <= Number.MAX_SAFE_INTEGER) {
      return { isFile: st.isFile(), size: st.size, dev: String(st.dev), ino: String(st.ino), nlink: st.nlink, mode: st.mode & 0o7777, mtimeNs: String(Math.round(st.mtimeMs * 1000)) + '000' };
    }
  }
  const b = statOrNull(p);
  if (!b) return null;
  return { isFile: b.isFile(), size: Number(b.size), dev: b.dev.toString(), ino: b.ino.toString(), nlink: Number(b.nlink), mode: Number(b.mode & 0o7777n), mtimeNs: b.mtimeNs.toString() };
}

/** A ModelFile for `p` (which may be a symlink) backed by the regular file `blobPath`. */
export function modelFile(name: string, p: string, blobPath: string, st: FileStat, format: Format, sha256: string | null): ModelFile {
  return {
    name,
    path: p,
    blobPath,
    size: st.size,
    format,
    sha256,
    digestFromName: sha256 !== null,
    dev: st.dev,
    ino: st.ino,
    inode: st.dev + ':' + st.ino,
    nlink: st.nlink,
    mode: st.mode,
    mtimeNs: st.mtimeNs,
  };
}

/** A symlink's target as stored (often relative); null when it is not a link. */
export function rawLinkTarget(p: string): string | null {
  try {
    return readlinkSync(p);
  } catch {
    return null;
  }
}

/** Where a symlink points, made absolute; null when it is not a link. */
export function linkTarget(p: string): string | null {
  try {
    const t = readlinkSync(p);
    return path.resolve(path.dirname(p), t);
  } catch {
    return null;
  }
}

export interface WalkEntry {
  rel: string;
  /** A symbolic link (its target is resolved only for these: readlink on a plain file costs an exception). */
  link: boolean;
}

/** Regular files and links under `dir`, relative, bounded in depth. */
export function walkFiles(dir: string, onError: (p: string, err: NodeJS.ErrnoException) => void, maxDepth = 8, onDir?: (rel: string) => void): WalkEntry[] {
  const out: WalkEntry[] = [];
  const visit = (rel: string, depth: number) => {
    const abs = rel ? path.join(dir, rel) : dir;
    onDir?.(rel);
    for (const e of listDir(abs, (err) => onError(abs, err))) {
      const r = rel ? path.join(rel, e.name) : e.name;
      if (e.isDirectory()) {
        if (depth < maxDepth) visit(r, depth + 1);
      } else if (e.isFile()) out.push({ rel: r, link: false });
      else if (e.isSymbolicLink()) out.push({ rel: r, link: true });
    }
  };
  visit('', 0);
  return out;
}
