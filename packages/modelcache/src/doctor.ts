import { lstatSync, readlinkSync, rmSync, symlinkSync, renameSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { HashPool } from '@workbench/core';
import { cleanLeftovers } from './dedup.js';
import { readLinks, writeLinks } from './links.js';
import { placeFile } from './place.js';
import { SHA256_HEX, statOrNull } from './scan/fs-info.js';
import type { ScanIndex } from './types.js';

export interface DoctorFinding {
  kind: 'dangling-link' | 'missing-blob' | 'zero-byte' | 'moved-link' | 'leftover' | 'no-snapshot' | 'bad-manifest' | 'unreadable';
  path: string;
  message: string;
  model?: string;
  /** What was done (with --fix) or can be done. */
  repair: 'repaired' | 'repairable' | 'manual';
  detail?: string;
}

/** The digest a broken path should hold, read from its name or its link's target name. */
function wantedDigest(p: string): string | null {
  const name = path.basename(p);
  if (SHA256_HEX.test(name)) return name;
  const m = /^sha256-([0-9a-f]{64})$/.exec(name);
  if (m) return m[1]!;
  try {
    return wantedDigest(readlinkSync(p));
  } catch {
    return null;
  }
}

/**
 * Find dangling, zero-byte and moved links and blobs that manifests name but that are missing,
 * and (with `fix`) heal them from another copy of the same bytes found anywhere in the stores,
 * checked by hashing before it is used.
 */
export async function doctor(stateDir: string, index: ScanIndex, opts: { fix?: boolean; pool?: HashPool } = {}): Promise<DoctorFinding[]> {
  const findings: DoctorFinding[] = [];
  const leftovers = opts.fix ? await cleanLeftovers(stateDir) : 0;
  if (leftovers > 0) findings.push({ kind: 'leftover', path: stateDir, message: `${leftovers} temporary file(s) of an interrupted dedup`, repair: 'repaired' });
  // Healthy copies by digest: non-empty regular files.
  const copies = new Map<string, string[]>();
  for (const m of index.models)
    for (const f of m.files) {
      if (!f.sha256 || f.size === 0) continue;
      let l = copies.get(f.sha256);
      if (!l) copies.set(f.sha256, (l = []));
      if (!l.includes(f.blobPath)) l.push(f.blobPath);
    }
  const pool = opts.pool ?? new HashPool(2);
  const source = async (digest: string): Promise<string | null> => {
    for (const c of copies.get(digest) ?? []) {
      const [h] = await pool.hashBatch([c]);
      if (h?.ok && h.sha256 === digest) return c;
    }
    return null;
  };
  try {
    for (const p of index.problems) {
      if (p.kind === 'dangling-link' || p.kind === 'missing-blob' || p.kind === 'zero-byte') {
        const digest = wantedDigest(p.path);
        const f: DoctorFinding = { kind: p.kind, path: p.path, message: p.message, ...(p.model ? { model: p.model } : {}), repair: 'manual' };
        findings.push(f);
        if (!digest) {
          f.detail = 'no digest to look for; remove the link or re-download the model';
          continue;
        }
        const src = await source(digest);
        if (!src) {
          f.detail = `no other copy of ${digest.slice(0, 12)}… on this machine; re-download the model`;
          continue;
        }
        f.repair = 'repairable';
        f.detail = `from ${src}`;
        if (!opts.fix) continue;
        // A dangling link is healed at its target (the blob the store expects), not replaced.
        let dest = p.path;
        if (p.kind === 'dangling-link') {
          try {
            dest = path.resolve(path.dirname(p.path), readlinkSync(p.path));
          } catch {
            continue;
          }
        }
        try {
          placeFile(src, dest, { allowCopy: true });
          f.repair = 'repaired';
        } catch (err) {
          f.detail = `could not repair: ${(err as Error).message}`;
        }
      } else if (p.kind === 'no-snapshot' || p.kind === 'bad-manifest' || p.kind === 'unreadable') {
        findings.push({ kind: p.kind, path: p.path, message: p.message, ...(p.model ? { model: p.model } : {}), repair: 'manual' });
      }
    }
    // Links made by `wb cache link` whose source moved: point them at a copy of the same bytes.
    const links = await readLinks(stateDir);
    let changed = false;
    for (const l of links) {
      if (l.method !== 'symlink') continue;
      const st = statOrNull(l.path);
      if (st) continue;
      let isLink = false;
      try {
        isLink = lstatSync(l.path).isSymbolicLink();
      } catch {
        continue;
      }
      if (!isLink) continue;
      const f: DoctorFinding = { kind: 'moved-link', path: l.path, message: `${l.path} pointed at ${l.source}, which moved`, model: l.model, repair: 'manual' };
      findings.push(f);
      const src = await source(l.sha256);
      if (!src) continue;
      f.repair = 'repairable';
      f.detail = `to ${src}`;
      if (!opts.fix) continue;
      const tmp = path.join(path.dirname(l.path), `.wb-relink-${randomBytes(6).toString('hex')}.tmp`);
      try {
        symlinkSync(src, tmp);
        renameSync(tmp, l.path);
        l.source = src;
        changed = true;
        f.repair = 'repaired';
      } catch (err) {
        rmSync(tmp, { force: true });
        f.detail = `could not repair: ${(err as Error).message}`;
      }
    }
    if (changed) await writeLinks(stateDir, links);
  } finally {
    if (!opts.pool) await pool.close();
  }
  return findings;
}
