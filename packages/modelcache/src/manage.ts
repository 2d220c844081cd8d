import { readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '@workbench/core';
import { referencedOllamaDigests } from './links.js';
import type { Model, ScanIndex } from './types.js';

export interface RemovalPlan {
  model: string;
  /** Paths deleted, in order (files, then folders that become empty). */
  delete: string[];
  /** Files kept because something else still needs them, and why. */
  kept: Array<{ path: string; reason: string }>;
  /** Bytes that actually come back: inodes whose every name is deleted. */
  freesBytes: number;
}

/**
 * What removing a model deletes: its own names (snapshot links, manifest, files) and those
 * blobs that no other snapshot, manifest or scanned model references. A blob named by any
 * manifest (even a malformed one) or any snapshot is never deleted.
 */
export function planRemoval(index: ScanIndex, m: Model): RemovalPlan {
  const others = index.models.filter((o) => o.id !== m.id);
  const otherBlobs = new Set(others.flatMap((o) => o.files.flatMap((f) => [f.blobPath, f.path])));
  const plan: RemovalPlan = { model: m.id, delete: [], kept: [], freesBytes: 0 };
  const names: string[] = [];
  const blobs: Array<{ path: string; size: number; dev: string; ino: string; nlink: number }> = [];
  if (m.source === 'huggingface') {
    names.push(...m.files.filter((f) => f.path !== f.blobPath).map((f) => f.path));
    const repoDir = path.dirname(path.dirname(m.location));
    // Other snapshots of the repo not in the index (unreadable) still protect their blobs.
    const snapTargets = new Set<string>();
    for (const snap of safeList(path.join(repoDir, 'snapshots'))) {
      if (path.join(repoDir, 'snapshots', snap) === m.location) continue;
      collectLinks(path.join(repoDir, 'snapshots', snap), snapTargets);
    }
    for (const f of m.files) {
      if (otherBlobs.has(f.blobPath) || snapTargets.has(f.blobPath)) plan.kept.push({ path: f.blobPath, reason: 'another snapshot or model uses it' });
      else if (!blobs.some((b) => b.path === f.blobPath)) blobs.push({ path: f.blobPath, size: f.size, dev: f.dev, ino: f.ino, nlink: f.nlink });
    }
    for (const [ref, file] of refsPointingAt(repoDir, path.basename(m.location))) names.push(file), void ref;
  } else if (m.source === 'ollama') {
    names.push(m.location);
    // Every other manifest counts, parsed or not: a blob any of them names stays.
    const stillNamed = referencedOllamaDigests(m.storeRoot, [m.location]);
    for (const f of m.files) {
      if ((f.sha256 !== null && stillNamed.has(f.sha256)) || otherBlobs.has(f.blobPath)) plan.kept.push({ path: f.blobPath, reason: 'another manifest names it' });
      else if (!blobs.some((b) => b.path === f.blobPath)) blobs.push({ path: f.blobPath, size: f.size, dev: f.dev, ino: f.ino, nlink: f.nlink });
    }
  } else {
    for (const f of m.files) {
      if (otherBlobs.has(f.path)) plan.kept.push({ path: f.path, reason: 'another model uses it' });
      else blobs.push({ path: f.path, size: f.size, dev: f.dev, ino: f.ino, nlink: f.nlink });
    }
  }
  plan.delete.push(...names, ...blobs.map((b) => b.path));
  // An inode comes back only when all its names go.
  const perInode = new Map<string, { size: number; nlink: number; n: number }>();
  for (const b of blobs) {
    const k = `${b.dev}:${b.ino}`;
    const e = perInode.get(k) ?? { size: b.size, nlink: b.nlink, n: 0 };
    e.n++;
    perInode.set(k, e);
  }
  for (const e of perInode.values()) if (e.n >= e.nlink) plan.freesBytes += e.size;
  return plan;
}

/** Delete what the plan lists, then the folders it leaves empty. Returns the paths it could not delete. */
export function applyRemoval(index: ScanIndex, m: Model, plan: RemovalPlan): Array<{ path: string; message: string }> {
  const failed: Array<{ path: string; message: string }> = [];
  for (const p of plan.delete) {
    try {
      rmSync(p, { force: true });
    } catch (err) {
      failed.push({ path: p, message: (err as Error).message });
    }
  }
  const dirs = new Set(plan.delete.map((p) => path.dirname(p)));
  if (m.source === 'huggingface') dirs.add(m.location);
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) removeEmptyUpTo(d, m.storeRoot);
  if (m.source === 'huggingface') {
    const repoDir = path.dirname(path.dirname(m.location));
    if (safeList(path.join(repoDir, 'snapshots')).length === 0 && safeList(path.join(repoDir, 'blobs')).length === 0) rmSync(repoDir, { recursive: true, force: true });
  }
  void index;
  return failed;
}

/** Models no registered app uses (the stores' own tools do not count). */
export function unusedModels(index: ScanIndex, apps: string[]): Model[] {
  if (apps.length === 0) throw new UserError('INVALID_INPUT', 'no apps are registered, so every model would look unused', { hint: 'register the apps that use models first: wb cache app add NAME PATH' });
  return index.models.filter((m) => !m.usedBy.some((u) => apps.includes(u)));
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function collectLinks(dir: string, out: Set<string>): void {
  for (const e of safeList(dir)) {
    const p = path.join(dir, e);
    try {
      const st = lstatSync(p);
      if (st.isDirectory()) collectLinks(p, out);
      else if (st.isSymbolicLink()) {
        out.add(path.resolve(dir, readlinkSync(p)));
      }
    } catch {
      // Unreadable entries protect nothing we can see.
    }
  }
}

function refsPointingAt(repoDir: string, commit: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const r of safeList(path.join(repoDir, 'refs'))) {
    const f = path.join(repoDir, 'refs', r);
    try {
      if (readFileSync(f, 'utf8').trim() === commit) out.push([r, f]);
    } catch {
      // Not a plain ref file.
    }
  }
  return out;
}

function removeEmptyUpTo(dir: string, stop: string): void {
  let d = dir;
  while (d.startsWith(stop + path.sep) && d !== stop) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
    d = path.dirname(d);
  }
}

