import type { Dirent } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeAtomic } from '../state.js';
import { lstatOrNull, type FileStat } from './fs-info.js';

const isRecent = (mtimeNs: bigint): boolean => mtimeNs > BigInt(Date.now() - 2000) * 1_000_000n;

/** A snapshot folder's entries and their link targets, valid while its folders' mtimes hold. */
interface SnapshotListing {
  /** Folder (relative, '' for the snapshot) → mtime in ns when listed. */
  dirs: Record<string, string>;
  entries: Array<[rel: string, target: string | null]>;
}
/** A folder's entries and their kinds, valid while the folder's mtime holds. */
interface DirListing {
  m: string;
  e: Array<[name: string, kind: 'd' | 'f' | 'l' | 'o']>;
}

/** Remembered stats of a blob folder's files: [size, dev, ino, nlink, mode, mtimeNs]. */
interface BlobListing {
  m: string;
  f: Record<string, [number, string, string, number, number, string]>;
}

/** The part of a Dirent the scanners use. */
export interface DirEntry {
  name: string;
  isDirectory(): boolean;
  isFile(): boolean;
  isSymbolicLink(): boolean;
}

class MemoEntry implements DirEntry {
  constructor(
    readonly name: string,
    private readonly k: string,
  ) {}
  isDirectory(): boolean {
    return this.k === 'd';
  }
  isFile(): boolean {
    return this.k === 'f';
  }
  isSymbolicLink(): boolean {
    return this.k === 'l';
  }
}

/** A manifest's parsed layers (or why it is bad), valid while its size and mtime hold. */
interface ManifestListing {
  stamp: string;
  parsed: unknown;
}

/**
 * What the last scan listed, so an unchanged rescan does not readlink every snapshot entry or
 * re-read every manifest: a folder whose mtime did not move has the same entries (adding,
 * removing or renaming an entry moves it), and a manifest whose size and mtime did not move
 * says the same. Files themselves are still stat'ed every scan.
 */
export class ListingMemo {
  private snapshots: Record<string, SnapshotListing> = {};
  private manifests: Record<string, ManifestListing> = {};
  private dirs: Record<string, DirListing> = {};
  private blobs: Record<string, BlobListing> = {};
  private used = { s: new Set<string>(), m: new Set<string>(), d: new Set<string>(), b: new Set<string>() };
  /** This scan's verdict on each blob folder: its mtime now, and whether the memo still holds. */
  private blobDirs = new Map<string, { m: string; valid: boolean; recent: boolean } | null>();
  /**
   * Trust remembered stats of digest-named blobs while their folder's mtime holds. Such blobs
   * are never rewritten in place by their stores (a new blob is a new name); damage in place is
   * what `verify` and `doctor` look for, and those, like every command that changes files, scan
   * with this off.
   */
  trustBlobs = false;
  changed = false;

  static async load(stateDir: string | null): Promise<ListingMemo> {
    const memo = new ListingMemo();
    if (!stateDir) return memo;
    try {
      const raw = JSON.parse(await readFile(path.join(stateDir, 'listing-cache.json'), 'utf8')) as { v: number; snapshots: Record<string, SnapshotListing>; manifests: Record<string, ManifestListing>; dirs: Record<string, DirListing>; blobs: Record<string, BlobListing> };
      if (raw.v === 3) {
        memo.snapshots = raw.snapshots ?? {};
        memo.manifests = raw.manifests ?? {};
        memo.dirs = raw.dirs ?? {};
        memo.blobs = raw.blobs ?? {};
      }
    } catch {
      // No memo yet, or a damaged one: the scan lists everything and writes a new one.
    }
    return memo;
  }

  /** The remembered entries of a snapshot folder, or null when any of its folders changed. */
  snapshot(dir: string): Array<[string, string | null]> | null {
    const l = this.snapshots[dir];
    if (!l) return null;
    for (const [rel, m] of Object.entries(l.dirs)) {
      const st = lstatOrNull(rel ? path.join(dir, rel) : dir);
      if (!st || st.mtimeNs.toString() !== m) return null;
    }
    this.used.s.add(dir);
    return l.entries;
  }

  rememberSnapshot(dir: string, dirs: string[], entries: Array<[string, string | null]>): void {
    const stamps: Record<string, string> = {};
    for (const rel of dirs) {
      const st = lstatOrNull(rel ? path.join(dir, rel) : dir);
      // A folder changed in the last seconds may change again within the same mtime tick.
      if (!st || isRecent(st.mtimeNs)) return;
      stamps[rel] = st.mtimeNs.toString();
    }
    this.snapshots[dir] = { dirs: stamps, entries };
    this.used.s.add(dir);
    this.changed = true;
  }

  /** A folder's entries: remembered while its mtime holds, else read (and remembered). */
  list(dir: string, read: () => Dirent[]): DirEntry[] {
    const st = lstatOrNull(dir);
    if (!st) return read();
    const m = st.mtimeNs.toString();
    const l = this.dirs[dir];
    if (l && l.m === m) {
      this.used.d.add(dir);
      return l.e.map(([n, k]) => new MemoEntry(n, k));
    }
    const entries = read();
    if (!isRecent(st.mtimeNs)) {
      this.dirs[dir] = { m, e: entries.map((e) => [e.name, e.isDirectory() ? 'd' : e.isFile() ? 'f' : e.isSymbolicLink() ? 'l' : 'o']) };
      this.used.d.add(dir);
      this.changed = true;
    }
    return entries;
  }

  private blobDir(dir: string): { m: string; valid: boolean; recent: boolean } | null {
    let v = this.blobDirs.get(dir);
    if (v === undefined) {
      const st = lstatOrNull(dir);
      v = st ? { m: st.mtimeNs.toString(), valid: this.blobs[dir]?.m === st.mtimeNs.toString(), recent: isRecent(st.mtimeNs) } : null;
      if (v && !v.valid) this.blobs[dir] = { m: v.m, f: {} };
      this.blobDirs.set(dir, v);
    }
    return v;
  }

  /** A digest-named blob's remembered stat, when trusted and its folder has not changed. */
  blobStat(blobPath: string): FileStat | undefined {
    if (!this.trustBlobs) return undefined;
    const dir = path.dirname(blobPath);
    const v = this.blobDir(dir);
    if (!v?.valid) return undefined;
    const e = this.blobs[dir]?.f[path.basename(blobPath)];
    if (!e) return undefined;
    this.used.b.add(dir);
    return { isFile: true, size: e[0], dev: e[1], ino: e[2], nlink: e[3], mode: e[4], mtimeNs: e[5] };
  }

  rememberBlob(blobPath: string, st: FileStat): void {
    if (!st.isFile) return;
    const dir = path.dirname(blobPath);
    const v = this.blobDir(dir);
    if (!v || v.recent) return;
    const l = this.blobs[dir]!;
    l.f[path.basename(blobPath)] = [st.size, st.dev, st.ino, st.nlink, st.mode, st.mtimeNs];
    this.used.b.add(dir);
    this.changed = true;
  }

  manifest(file: string, stamp: string): unknown {
    const l = this.manifests[file];
    if (!l || l.stamp !== stamp) return undefined;
    this.used.m.add(file);
    return l.parsed;
  }

  rememberManifest(file: string, stamp: string, mtimeNs: bigint, parsed: unknown): void {
    if (isRecent(mtimeNs)) return;
    this.manifests[file] = { stamp, parsed };
    this.used.m.add(file);
    this.changed = true;
  }

  /** Save, dropping what this scan did not see (removed models). */
  async save(stateDir: string): Promise<void> {
    const snapshots = Object.fromEntries(Object.entries(this.snapshots).filter(([k]) => this.used.s.has(k)));
    const manifests = Object.fromEntries(Object.entries(this.manifests).filter(([k]) => this.used.m.has(k)));
    const dirs = Object.fromEntries(Object.entries(this.dirs).filter(([k]) => this.used.d.has(k)));
    const blobs = Object.fromEntries(Object.entries(this.blobs).filter(([k]) => this.used.b.has(k)));
    const same =
      Object.keys(snapshots).length === Object.keys(this.snapshots).length &&
      Object.keys(manifests).length === Object.keys(this.manifests).length &&
      Object.keys(dirs).length === Object.keys(this.dirs).length &&
      Object.keys(blobs).length === Object.keys(this.blobs).length;
    if (!this.changed && same) return;
    await writeAtomic(path.join(stateDir, 'listing-cache.json'), JSON.stringify({ v: 3, snapshots, manifests, dirs, blobs }), { durable: false });
  }
}

/** `listDir` through the memo when there is one. */
export function listDirMemo(dir: string, memo: ListingMemo | undefined, read: () => Dirent[]): DirEntry[] {
  return memo ? memo.list(dir, read) : read();
}
