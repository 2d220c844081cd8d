import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import type { ModelVersion } from '@workbench/api';
import { OperationalError, UserError, fromSystemError } from '@workbench/core';
import { BufferPool, pooledFileReader, pooledFileWriter } from './pooled-io.js';
import { MANIFEST, buildManifest, bundleFiles, modelPathInBundle, type BundleManifest, type ManifestFile } from './manifest.js';

export interface ExportSource {
  version: ModelVersion;
  /** The artifact's blob. */
  artifactPath: string;
}

export interface ExportResult {
  out: string;
  bytes: number;
  manifest: BundleManifest;
}

/** One fixed timestamp for every entry (local-time fields, as ZIP stores them): same inputs, same bytes. */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function checkServable(v: ModelVersion): void {
  if (v.format === 'onnx') return;
  if (v.format === 'pickle') {
    if (!v.signature?.inputs[0]?.columns) throw new UserError('INVALID_INPUT', `${v.modelName}@${v.version} is a pickle without a column signature; its server could not check requests`, { hint: 'register it again with --schema FILE (the tabular-sklearn template writes model.schema.json)' });
    return;
  }
  throw new UserError('INVALID_INPUT', `${v.modelName}@${v.version} is neither an ONNX model nor a scikit-learn pickle; exports with an inference server need one of them`, { hint: 'register the .onnx (or .pkl) file the run saved' });
}

async function removeQuietly(p: string): Promise<void> {
  await rm(p, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * A ZIP bundle: the model (stored, streamed from the blob store), the manifest with every
 * file's SHA-256, the inference server and a README. Reproducible: entries sorted, one
 * fixed timestamp, fixed modes. Written beside `out` and renamed into place when complete.
 */
export async function exportZip(src: ExportSource, out: string, opts: { onProgress?: (done: number, total: number) => void } = {}): Promise<ExportResult> {
  const v = src.version;
  checkServable(v);
  const small = bundleFiles(v, 'zip');
  const modelPath = modelPathInBundle(v);
  const files: ManifestFile[] = small.map((f) => ({ path: f.path, sha256: sha256(f.data), size: f.data.length }));
  files.push({ path: modelPath, sha256: v.sha256, size: v.size });
  const manifest = buildManifest(v, 'zip', files);
  const manifestData = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');

  const tmp = `${out}.tmp-${process.pid}`;
  const zip = new yazl.ZipFile();
  const entries: Array<{ path: string; data?: Buffer }> = [...small.map((f) => ({ path: f.path, data: f.data })), { path: MANIFEST, data: manifestData }, { path: modelPath }];
  entries.sort((a, b) => (a.path < b.path ? -1 : 1));
  // The model is read once, through a few fixed buffers, and hashed on the way.
  const pool = new BufferPool();
  const reader = pooledFileReader(src.artifactPath, pool, (done) => opts.onProgress?.(done, v.size));
  for (const e of entries) {
    const common = { mtime: FIXED_MTIME, mode: 0o100644, forceDosTimestamp: true };
    if (e.data) zip.addBuffer(e.data, e.path, { ...common, compress: true });
    // Model weights barely compress: stored, they stream at disk speed with flat memory.
    else zip.addReadStream(reader, e.path, { ...common, compress: false, size: v.size });
  }
  zip.end();
  try {
    await mkdir(path.dirname(path.resolve(out)), { recursive: true });
    await pipeline(zip.outputStream, pooledFileWriter(tmp, pool));
    if (reader.sha256() !== v.sha256) throw new OperationalError('IO_ERROR', `the stored artifact of ${v.modelName}@${v.version} does not match its SHA-256`, { hint: `its stored copy (sha256 ${v.sha256.slice(0, 12)}… in the workspace's blobs folder) was changed outside Workbench: put the original file back there from a backup, or register a new version from a new run` });
    await rename(tmp, out);
  } catch (err) {
    await removeQuietly(tmp);
    throw fromSystemError(err, `writing ${out}`);
  }
  return { out, bytes: (await stat(out)).size, manifest };
}

/**
 * A Docker build context: the same files as the ZIP plus a Dockerfile (Node slim image,
 * `npm install` of onnxruntime-node inside), ready for `docker build`. Written to a new
 * folder; refused when `out` exists and is not empty.
 */
export async function exportDocker(src: ExportSource, out: string): Promise<ExportResult> {
  const v = src.version;
  checkServable(v);
  const existing = await readdir(out).catch(() => null);
  if (existing && existing.length > 0) throw new UserError('CONFLICT', `${out} exists and is not empty`, { hint: 'give a new folder for the build context' });
  const small = bundleFiles(v, 'docker');
  const modelPath = modelPathInBundle(v);
  const tmp = `${path.resolve(out)}.tmp-${process.pid}`;
  try {
    await removeQuietly(tmp);
    await mkdir(tmp, { recursive: true });
    for (const f of small) await writeFile(path.join(tmp, f.path), f.data, { mode: 0o644 });
    await mkdir(path.dirname(path.join(tmp, modelPath)), { recursive: true });
    await copyFile(src.artifactPath, path.join(tmp, modelPath));
    const files: ManifestFile[] = small.map((f) => ({ path: f.path, sha256: sha256(f.data), size: f.data.length }));
    files.push({ path: modelPath, sha256: v.sha256, size: v.size });
    const manifest = buildManifest(v, 'docker', files);
    await writeFile(path.join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o644 });
    await removeQuietly(out); // an empty folder
    await rename(tmp, out);
    let bytes = 0;
    for (const f of files) bytes += f.size;
    return { out, bytes, manifest };
  } catch (err) {
    await removeQuietly(tmp);
    throw fromSystemError(err, `writing ${out}`);
  }
}
