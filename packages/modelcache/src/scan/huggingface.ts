import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Model, ScanProblem, Store } from '../types.js';
import { SHA256_HEX, formatOf, rawLinkTarget, listDir, lstatOrNull, modelFile, statFile, walkFiles } from './fs-info.js';
import { listDirMemo, type ListingMemo } from './memo.js';
import { summarize } from './summarize.js';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * The Hugging Face hub cache: `models--org--name/{blobs,snapshots/<commit>,refs/<ref>}`.
 * Snapshot entries are relative symlinks into `blobs/`; LFS blobs are named by their SHA-256,
 * small git files by their git SHA-1 (those get hashed like any other file).
 */
export function scanHuggingFace(store: Store, problems: ScanProblem[], memo?: ListingMemo): Model[] {
  const models: Model[] = [];
  for (const repo of listDir(store.root, (e) => problems.push({ kind: 'unreadable', path: store.root, message: e.message }))) {
    if (!repo.isDirectory() || !repo.name.startsWith('models--')) continue;
    const repoDir = path.join(store.root, repo.name);
    const name = repo.name.slice('models--'.length).split('--').join('/');
    const refs = readRefs(path.join(repoDir, 'refs'), memo);
    const snapshots = listDirMemo(path.join(repoDir, 'snapshots'), memo, () => listDir(path.join(repoDir, 'snapshots'))).filter((d) => d.isDirectory());
    if (snapshots.length === 0) {
      problems.push({ kind: 'no-snapshot', path: repoDir, model: name, message: `${name} has no snapshot (an interrupted download?); its blobs are not part of any model` });
      continue;
    }
    for (const snap of snapshots) {
      const snapDir = path.join(repoDir, 'snapshots', snap.name);
      const refNames = [...refs].filter(([, commit]) => commit === snap.name).map(([ref]) => ref);
      const files = [];
      let entries = memo?.snapshot(snapDir) ?? null;
      if (!entries) {
        const dirs: string[] = [];
        entries = walkFiles(snapDir, (p, e) => problems.push({ kind: 'unreadable', path: p, model: name, message: e.message }), 8, (rel) => dirs.push(rel)).map(({ rel, link }) => [rel, link ? rawLinkTarget(path.join(snapDir, rel)) : null]);
        memo?.rememberSnapshot(snapDir, dirs, entries);
      }
      for (const [rel, target] of entries) {
        const p = path.join(snapDir, rel);
        const blobPath = target === null ? p : path.resolve(path.dirname(p), target);
        const blobName = path.basename(blobPath);
        const digest = target && SHA256_HEX.test(blobName) ? blobName : null;
        // Blobs named by their digest need no exact mtime: the hash cache never sees them.
        let st = digest ? memo?.blobStat(blobPath) : undefined;
        if (!st) {
          st = statFile(blobPath, digest === null) ?? undefined;
          if (st && digest) memo?.rememberBlob(blobPath, st);
        }
        if (!st) {
          problems.push({ kind: 'dangling-link', path: p, model: name, message: `${p} points at ${blobPath}, which does not exist` });
          continue;
        }
        if (!st.isFile) continue;
        if (st.size === 0 && digest && digest !== EMPTY_SHA256) {
          problems.push({ kind: 'zero-byte', path: blobPath, model: name, message: `${name}: ${blobPath} is empty, but its name says it holds content` });
          continue;
        }
        files.push(modelFile(rel.split(path.sep).join('/'), p, blobPath, st, formatOf(rel), digest));
      }
      const revision = refNames.length > 0 ? `${refNames.join(',')} (${snap.name.slice(0, 7)})` : snap.name.slice(0, 12);
      models.push(summarize({ id: `huggingface:${name}@${snap.name.slice(0, 12)}`, source: 'huggingface', storeRoot: store.root, name, revision, location: snapDir, files }));
    }
  }
  return models;
}

function readRefs(dir: string, memo?: ListingMemo): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (rel: string) => {
    const abs = rel ? path.join(dir, rel) : dir;
    for (const e of listDirMemo(abs, memo, () => listDir(abs))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) visit(r);
      else if (e.isFile()) {
        const file = path.join(dir, r);
        const st = lstatOrNull(file);
        if (!st || st.size > 256n) continue;
        // A ref is rewritten in place when it moves: its mtime says whether to read it again.
        const stamp = `${st.size}:${st.mtimeNs}`;
        const known = memo?.manifest(file, stamp);
        if (typeof known === 'string') {
          out.set(r, known);
          continue;
        }
        try {
          const commit = readFileSync(file, 'utf8').trim();
          out.set(r, commit);
          memo?.rememberManifest(file, stamp, st.mtimeNs, commit);
        } catch {
          // An unreadable ref only loses the ref's name in the listing.
        }
      }
    }
  };
  visit('');
  return out;
}
