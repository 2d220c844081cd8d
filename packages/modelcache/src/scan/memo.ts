import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeAtomic } from '../state.js';
import { lstatOrNull } from './fs-info.js';

const isRecent = (mtimeNs: bigint): boolean => mtimeNs > BigInt(Date.now() - 2000) * 1_000_000n;

/** A snapshot folder's entries and their link targets, valid while its folders' mtimes hold. */
interface SnapshotListing {
  /** Folder (relative, '' for the snapshot) → mtime in ns when listed. */
  dirs: Record<string, string>;
  entries: Array<[rel: string, target: string | null]>;
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
  private used = { s: new Set<string>(), m: new Set<string>() };
  changed = false;

  static async load(stateDir: string | null): Promise<ListingMemo> {
    const memo = new ListingMemo();
    if (!stateDir) return memo;
    try {
      const raw = JSON.parse(await readFile(path.join(stateDir, 'listing-cache.json'), 'utf8')) as { v: number; snapshots: Record<string, SnapshotListing>; manifests: Record<string, ManifestListing> };
      if (raw.v === 1) {
        memo.snapshots = raw.snapshots ?? {};
        memo.manifests = raw.manifests ?? {};
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
    if (!this.changed && Object.keys(snapshots).length === Object.keys(this.snapshots).length && Object.keys(manifests).length === Object.keys(this.manifests).length) return;
    await writeAtomic(path.join(stateDir, 'listing-cache.json'), JSON.stringify({ v: 1, snapshots, manifests }));
  }
}
