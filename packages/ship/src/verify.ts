import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { UserError, fromSystemError } from '@workbench/core';
import { MANIFEST, bundleManifestSchema, type BundleManifest } from './manifest.js';

export type FileCheck = { path: string; status: 'ok' | 'changed' | 'missing' | 'unexpected'; expected?: string; actual?: string };

export interface VerifyReport {
  ok: boolean;
  bundle: string;
  model: { name: string; version: number } | null;
  files: FileCheck[];
}

const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

async function hashStream(s: Readable, keep = 0): Promise<{ sha256: string; size: number; head: Buffer | null }> {
  const h = createHash('sha256');
  let size = 0;
  const kept: Buffer[] = [];
  for await (const chunk of s as AsyncIterable<Buffer>) {
    h.update(chunk);
    size += chunk.length;
    if (size <= keep) kept.push(chunk);
  }
  return { sha256: h.digest('hex'), size, head: size <= keep ? Buffer.concat(kept) : null };
}

function parseManifest(buf: Buffer | null, bundle: string): BundleManifest {
  if (!buf) throw new UserError('INVALID_INPUT', `${bundle} has a manifest.json over 16 MB: not a Workbench bundle`);
  let json: unknown;
  try {
    json = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new UserError('INVALID_INPUT', `${bundle}: manifest.json is not valid JSON (${(err as Error).message})`, { hint: 'the bundle was damaged; export it again' });
  }
  const parsed = bundleManifestSchema.safeParse(json);
  if (!parsed.success) throw new UserError('INVALID_INPUT', `${bundle}: manifest.json is not a Workbench bundle manifest (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`, { hint: 'export it again: wb export MODEL@VERSION --out FILE' });
  return parsed.data;
}

function compare(manifest: BundleManifest, seen: Map<string, { sha256: string; size: number }>): FileCheck[] {
  const out: FileCheck[] = [];
  const listed = new Set<string>();
  for (const f of manifest.files) {
    listed.add(f.path);
    const got = seen.get(f.path);
    if (!got) out.push({ path: f.path, status: 'missing', expected: f.sha256 });
    else if (got.sha256 !== f.sha256 || got.size !== f.size) out.push({ path: f.path, status: 'changed', expected: f.sha256, actual: got.sha256 });
    else out.push({ path: f.path, status: 'ok' });
  }
  for (const p of seen.keys()) if (!listed.has(p) && p !== MANIFEST) out.push({ path: p, status: 'unexpected', actual: seen.get(p)!.sha256 });
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => yauzl.open(file, { lazyEntries: true, autoClose: true, strictFileNames: true, validateEntrySizes: true }, (err, zip) => (err ? reject(err) : resolve(zip))));
}

async function verifyZip(file: string): Promise<VerifyReport> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code) throw fromSystemError(err, `opening ${file}`);
    throw new UserError('INVALID_INPUT', `${file} is not a readable ZIP (${(err as Error).message})`, { hint: 'export it again' });
  }
  const seen = new Map<string, { sha256: string; size: number }>();
  let manifestBuf: Buffer | null | undefined;
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', resolve);
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entry.fileName.endsWith('/')) return zip.readEntry();
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        hashStream(stream, entry.fileName === MANIFEST ? MAX_MANIFEST_BYTES : 0).then((r) => {
          if (seen.has(entry.fileName)) return reject(new UserError('INVALID_INPUT', `${file} holds '${entry.fileName}' twice`, { hint: 'the bundle was tampered with; export it again' }));
          seen.set(entry.fileName, { sha256: r.sha256, size: r.size });
          if (entry.fileName === MANIFEST) manifestBuf = r.head;
          zip.readEntry();
        }, reject);
      });
    });
    zip.readEntry();
  }).catch((err: unknown) => {
    if (err instanceof UserError) throw err;
    throw new UserError('INVALID_INPUT', `${file} is damaged: ${(err as Error).message}`, { hint: 'export it again' });
  });
  if (manifestBuf === undefined) throw new UserError('INVALID_INPUT', `${file} has no manifest.json: not a Workbench bundle`);
  const manifest = parseManifest(manifestBuf, file);
  const files = compare(manifest, seen);
  return { ok: files.every((f) => f.status === 'ok'), bundle: file, model: { name: manifest.model.name, version: manifest.model.version }, files };
}

async function walk(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (p === 'node_modules') continue; // installed by `npm install`, not part of the export
    if (e.isDirectory()) {
      out.push(...(await walk(root, p)));
    } else out.push(p);
  }
  return out;
}

async function verifyFolder(dir: string): Promise<VerifyReport> {
  const seen = new Map<string, { sha256: string; size: number }>();
  let manifestBuf: Buffer | null = null;
  for (const p of await walk(dir)) {
    if (p === 'package-lock.json') continue;
    const r = await hashStream(createReadStream(path.join(dir, p)), p === MANIFEST ? MAX_MANIFEST_BYTES : 0);
    seen.set(p, { sha256: r.sha256, size: r.size });
    if (p === MANIFEST) manifestBuf = r.head;
  }
  if (!seen.has(MANIFEST)) throw new UserError('INVALID_INPUT', `${dir} has no manifest.json: not a Workbench bundle`);
  const manifest = parseManifest(manifestBuf, dir);
  const files = compare(manifest, seen);
  return { ok: files.every((f) => f.status === 'ok'), bundle: dir, model: { name: manifest.model.name, version: manifest.model.version }, files };
}

/** Check every file of a ZIP bundle or a Docker build context against its manifest. */
export async function verifyExport(target: string): Promise<VerifyReport> {
  let st;
  try {
    st = await stat(target);
  } catch (err) {
    throw fromSystemError(err, `reading ${target}`);
  }
  return st.isDirectory() ? verifyFolder(target) : verifyZip(target);
}
