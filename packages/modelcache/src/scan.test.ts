import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { tempDir } from '@workbench/core';
import { ModelCache } from './cache.js';
import { applyDedup, planDedup, undoDedup } from './dedup.js';
import { ollamaBlobPath, parseManifest } from './scan/ollama.js';
import { sha256, writeHfModel, writeOllamaModel, writeStandardFixture } from './testing/fixtures.js';

let dir: string;
let dispose: () => Promise<void>;
beforeEach(async () => ({ dir, dispose } = await tempDir('wb-mc-')));
afterEach(async () => {
  await chmod(dir, 0o755).catch(() => {});
  await dispose();
});

const open = async (env: Record<string, string>) => ModelCache.open({ workspaceDir: path.join(dir, 'ws'), env, racyWindowMs: 0 });

/** What the owning tools do to find a model's bytes: follow snapshot links, resolve manifest digests. */
function loadHf(snapshotFile: string): Buffer {
  return readFileSync(snapshotFile);
}
function loadOllama(root: string, name: string, tag: string): Buffer[] {
  const m = parseManifest(readFileSync(path.join(root, 'manifests', 'registry.ollama.ai', 'library', name, tag), 'utf8'));
  if (typeof m === 'string') throw new Error(m);
  return m.layers.map((l) => {
    const b = readFileSync(ollamaBlobPath(root, l.digest));
    expect(sha256(b)).toBe(l.digest.slice(7));
    return b;
  });
}

test('lists every store with sources, revisions, formats and identical files grouped', async () => {
  const fx = await writeStandardFixture(path.join(dir, 'home'));
  const mc = await open(fx.env);
  const { index, summary } = await mc.scan();
  const ids = index.models.map((m) => m.id).sort();
  expect(ids).toEqual(
    [
      'huggingface:acme/tiny-llama-GGUF@' + sha256('acme/tiny-llama-GGUF').slice(0, 12),
      'huggingface:acme/tiny-llama@' + sha256('acme/tiny-llama').slice(0, 12),
      'lmstudio:acme/tiny-llama-GGUF',
      'lmstudio:ünï cödé/my model',
      'ollama:tinyllama:1b',
    ].sort(),
  );
  const ol = index.models.find((m) => m.source === 'ollama')!;
  expect(ol.revision).toBe('1b');
  expect(ol.format).toBe('gguf');
  expect(ol.usedBy).toEqual(['ollama']);
  const hf = index.models.find((m) => m.name === 'acme/tiny-llama')!;
  expect(hf.format).toBe('safetensors');
  expect(hf.revision).toMatch(/^main \(/);
  expect(hf.meta).toMatchObject({ architecture: 'llama', parameters: '2K', quantization: 'F16' });
  // The GGUF is in four places as four inodes: three can be reclaimed.
  const g = summary.duplicates.find((d) => d.sha256 === fx.ggufSha)!;
  expect(g.copies).toHaveLength(4);
  expect(g.reclaimable).toBe(3 * fx.gguf.length);
  expect(summary.stats.reclaimableBytes).toBe(3 * fx.gguf.length);
  expect(summary.stats.savedBytes).toBe(0);
  // LM Studio files were hashed once; HF LFS and Ollama blobs were named by digest.
  expect(index.filesHashed).toBeGreaterThan(0);
  const again = await mc.scan();
  expect(again.index.filesHashed).toBe(0);
  expect((await mc.summary())!.models).toHaveLength(5);
});

test('dedup links identical files, every store still loads its model, undo restores separate copies', async () => {
  const fx = await writeStandardFixture(path.join(dir, 'home'));
  const mc = await open(fx.env);
  const { index } = await mc.scan();
  const plan = planDedup(index);
  expect(plan.reclaimBytes).toBe(3 * fx.gguf.length);
  const res = await applyDedup(mc.stateDir, plan);
  expect(res.failed).toEqual([]);
  expect(res.freedBytes).toBe(3 * fx.gguf.length);
  const hfSnap = index.models.find((m) => m.name === 'acme/tiny-llama-GGUF' && m.source === 'huggingface')!.files.find((f) => f.name.endsWith('.gguf'))!;
  expect(lstatSync(hfSnap.path).isSymbolicLink()).toBe(true);
  expect(readlinkSync(hfSnap.path).startsWith('../../blobs/')).toBe(true);
  expect(loadHf(hfSnap.path).equals(fx.gguf)).toBe(true);
  expect(loadOllama(fx.ollama, 'tinyllama', '1b')[0]!.equals(fx.gguf)).toBe(true);
  expect(statSync(hfSnap.blobPath).nlink).toBe(4);
  const after = await mc.scan();
  expect(after.summary.stats.reclaimableBytes).toBe(0);
  expect(after.summary.stats.savedBytes).toBe(3 * fx.gguf.length);
  expect(after.summary.models.filter((m) => m.linked)).toHaveLength(4);

  const undo = await undoDedup(mc.stateDir);
  expect(undo.restored).toHaveLength(3);
  expect(statSync(hfSnap.blobPath).nlink).toBe(1);
  expect(loadHf(hfSnap.path).equals(fx.gguf)).toBe(true);
  expect(loadOllama(fx.ollama, 'tinyllama', '1b')[0]!.equals(fx.gguf)).toBe(true);
  expect((await mc.scan()).summary.stats.reclaimableBytes).toBe(3 * fx.gguf.length);
});

test('a file that changes after the scan is not replaced', async () => {
  const fx = await writeStandardFixture(path.join(dir, 'home'));
  const mc = await open(fx.env);
  const { index } = await mc.scan();
  const plan = planDedup(index);
  const lm = path.join(fx.lmstudio, 'acme', 'tiny-llama-GGUF', 'tiny-llama.Q4_K_M.gguf');
  const changed = Buffer.from(fx.gguf);
  changed[100] = changed[100]! ^ 0xff;
  await writeFile(lm, changed);
  const res = await applyDedup(mc.stateDir, plan);
  expect(res.failed.map((f) => f.path)).toEqual([lm]);
  expect(res.failed[0]!.reason).toMatch(/changed/);
  expect(readFileSync(lm).equals(changed)).toBe(true);
});

test('a read-only store folder is reported and nothing in it is touched', async () => {
  const fx = await writeStandardFixture(path.join(dir, 'home'));
  const mc = await open(fx.env);
  const { index } = await mc.scan();
  const ro = path.join(fx.lmstudio, 'acme', 'tiny-llama-GGUF');
  await chmod(ro, 0o555);
  try {
    const res = await applyDedup(mc.stateDir, planDedup(index));
    if (process.getuid?.() === 0) {
      // root ignores folder permissions; the run must still have succeeded safely.
      expect(res.failed).toEqual([]);
    } else {
      expect(res.failed.map((f) => f.reason)).toEqual([expect.stringMatching(/permission denied/)]);
    }
    expect(readFileSync(path.join(ro, 'tiny-llama.Q4_K_M.gguf')).equals(fx.gguf)).toBe(true);
  } finally {
    await chmod(ro, 0o755);
  }
});

test('broken stores are reported, never fatal: dangling links, missing blobs, no snapshot, bad manifests', async () => {
  const fx = await writeStandardFixture(path.join(dir, 'home'));
  await mkdir(path.join(fx.hf, 'models--acme--empty', 'blobs'), { recursive: true });
  const { snapshot } = await writeHfModel(fx.hf, 'acme/dangling', { 'a.bin': Buffer.alloc(2048, 1) });
  await symlink('../../blobs/' + 'f'.repeat(64), path.join(snapshot, 'gone.bin'));
  const manifest = await writeOllamaModel(fx.ollama, 'lost:1', { model: Buffer.from('GGUF lost weights') });
  await rm(ollamaBlobPath(fx.ollama, 'sha256:' + sha256('GGUF lost weights')));
  await mkdir(path.join(fx.ollama, 'manifests', 'registry.ollama.ai', 'library', 'bad'), { recursive: true });
  await writeFile(path.join(fx.ollama, 'manifests', 'registry.ollama.ai', 'library', 'bad', 'x'), '{"schemaVersion":2,"layers":[{"digest":"../../etc/passwd"}]}');
  const mc = await open(fx.env);
  const { summary } = await mc.scan();
  const kinds = summary.problems.map((p) => p.kind).sort();
  expect(kinds).toEqual(['bad-manifest', 'dangling-link', 'missing-blob', 'no-snapshot']);
  expect(summary.problems.find((p) => p.kind === 'missing-blob')!.model).toBe('lost:1');
  expect(manifest).toContain('lost');
});

test('cache.yaml adds folders and stores; a malformed one is a clear error', async () => {
  const fx = await writeStandardFixture(path.join(dir, 'home'));
  const extra = path.join(dir, 'my models');
  await mkdir(path.join(extra, 'sub'), { recursive: true });
  await writeFile(path.join(extra, 'sub', 'copy.gguf'), fx.gguf);
  await mkdir(path.join(dir, 'ws'), { recursive: true });
  await writeFile(path.join(dir, 'ws', 'cache.yaml'), `folders:\n  - ${JSON.stringify(extra)}\n`);
  const { summary } = await (await open(fx.env)).scan();
  expect(summary.models.some((m) => m.source === 'folder' && m.name === 'sub/copy.gguf')).toBe(true);
  await writeFile(path.join(dir, 'ws', 'cache.yaml'), 'stores: [1, 2\n');
  await expect(open(fx.env)).rejects.toThrow(/not valid YAML/);
  await writeFile(path.join(dir, 'ws', 'cache.yaml'), 'stores:\n  nosuch: /x\n');
  await expect(open(fx.env)).rejects.toThrow(/unknown store 'nosuch'/);
});

test('same model, other format: a GGUF in Ollama and safetensors in the HF cache are grouped from their headers, advisory only', async () => {
  const { writeTinyModel } = await import('@workbench/gguf');
  const fx = await writeStandardFixture(path.join(dir, 'home'));
  const tiny = await writeTinyModel(path.join(dir, 'tiny.gguf'), { architecture: 'llama', weightType: 'q8_0' });
  const params = tiny.tensorShapes.reduce((s, t) => s + t.dims.reduce((a, b) => a * b, 1), 0);
  await writeOllamaModel(fx.ollama, 'tiny-llama:q8', { model: readFileSync(tiny.file) });
  const { fakeSafetensors } = await import('./testing/fixtures.js');
  await writeHfModel(fx.hf, 'acme/tiny-llama-hf', {
    'model.safetensors': fakeSafetensors({ 'model.all': { dtype: 'BF16', shape: [1, params] } }),
    'config.json': JSON.stringify({ model_type: 'llama' }),
  });
  const { summary } = await (await open(fx.env)).scan();
  const ol = summary.models.find((m) => m.id === 'ollama:tiny-llama:q8')!;
  expect(ol.meta.architecture).toBe('llama');
  expect(ol.meta.quantization).toMatch(/Q8_0/);
  const group = summary.sameModel.find((g) => g.models.some((m) => m.id === 'ollama:tiny-llama:q8'))!;
  expect(group.models.map((m) => m.id).sort()).toEqual([expect.stringMatching(/^huggingface:acme\/tiny-llama-hf@/), 'ollama:tiny-llama:q8']);
  // Advisory: nothing about them is reclaimable.
  expect(summary.duplicates.some((d) => d.copies.some((c) => c.models.includes('ollama:tiny-llama:q8') && d.size > 100_000))).toBe(false);
});

test('a hostile safetensors header or GGUF is skipped with the model still listed', async () => {
  const fx = await writeStandardFixture(path.join(dir, 'home'));
  const huge = Buffer.alloc(16);
  huge.writeBigUInt64LE(1n << 60n);
  await writeHfModel(fx.hf, 'evil/model', { 'model.safetensors': Buffer.concat([huge, Buffer.alloc(2048)]), 'x.gguf': Buffer.from('GGUF\x03\x00\x00\x00' + 'z'.repeat(2000)) });
  const { summary } = await (await open(fx.env)).scan();
  const m = summary.models.find((x) => x.name === 'evil/model')!;
  expect(m.meta).toEqual({});
  expect(m.files).toBe(2);
});

test('removing a model never deletes a blob that another manifest names, even a malformed one', async () => {
  const fx = await writeStandardFixture(path.join(dir, 'home'));
  // A second manifest that Ollama itself would choke on, but that names the same model blob.
  await mkdir(path.join(fx.ollama, 'manifests', 'registry.ollama.ai', 'library', 'odd'), { recursive: true });
  await writeFile(path.join(fx.ollama, 'manifests', 'registry.ollama.ai', 'library', 'odd', 'v1'), `{"schemaVersion":2,"layers":[{"digest":"sha256:${fx.ggufSha}"}]`);
  const { index } = await (await open(fx.env)).scan();
  const { planRemoval } = await import('./manage.js');
  const m = index.models.find((x) => x.id === 'ollama:tinyllama:1b')!;
  const plan = planRemoval(index, m);
  expect(plan.delete).not.toContain(ollamaBlobPath(fx.ollama, `sha256:${fx.ggufSha}`));
  expect(plan.kept.map((k) => k.path)).toContain(ollamaBlobPath(fx.ollama, `sha256:${fx.ggufSha}`));
  expect(plan.delete).toContain(m.location);
});

test('doctor heals a zero-byte Hugging Face blob and a manifest whose blob is missing, from other copies', async () => {
  const fx = await writeStandardFixture(path.join(dir, 'home'));
  const hfBlob = path.join(fx.hf, 'models--acme--tiny-llama-GGUF', 'blobs', fx.ggufSha);
  await writeFile(hfBlob, '');
  const olBlob = ollamaBlobPath(fx.ollama, `sha256:${fx.ggufSha}`);
  await rm(olBlob);
  const mc = await open(fx.env);
  const { index } = await mc.scan();
  expect(index.problems.map((p) => p.kind).sort()).toEqual(['missing-blob', 'zero-byte']);
  const { doctor } = await import('./doctor.js');
  const report = await doctor(mc.stateDir, index);
  expect(report.map((f) => f.repair)).toEqual(['repairable', 'repairable']);
  const fixed = await doctor(mc.stateDir, index, { fix: true });
  expect(fixed.map((f) => f.repair)).toEqual(['repaired', 'repaired']);
  expect(sha256(readFileSync(hfBlob))).toBe(fx.ggufSha);
  expect(sha256(readFileSync(olBlob))).toBe(fx.ggufSha);
  expect((await mc.scan()).index.problems).toEqual([]);
});

test('a rescan reuses unchanged folder listings and manifests, and sees every change to them', async () => {
  const fx = await writeStandardFixture(path.join(dir, 'home'));
  const mc = await open(fx.env);
  await mc.scan();
  expect(existsSync(path.join(mc.stateDir, 'listing-cache.json'))).toBe(true);
  // A file added to a snapshot, a link retargeted, a manifest rewritten: all seen.
  const snap = path.join(fx.hf, 'models--acme--tiny-llama', 'snapshots', sha256('acme/tiny-llama').slice(0, 40));
  await writeFile(path.join(fx.hf, 'models--acme--tiny-llama', 'blobs', 'c'.repeat(64)), Buffer.alloc(5000, 3));
  await symlink('../../blobs/' + 'c'.repeat(64), path.join(snap, 'extra.bin'));
  const manifest = path.join(fx.ollama, 'manifests', 'registry.ollama.ai', 'library', 'tinyllama', '1b');
  const m = JSON.parse(readFileSync(manifest, 'utf8')) as { layers: unknown[] };
  await writeFile(manifest, JSON.stringify({ ...m, layers: m.layers.slice(0, 1) }));
  const { index } = await mc.scan();
  expect(index.models.find((x) => x.name === 'acme/tiny-llama')!.files.map((f) => f.name).sort()).toEqual(['config.json', 'extra.bin', 'model.safetensors']);
  expect(index.models.find((x) => x.id === 'ollama:tinyllama:1b')!.files).toHaveLength(2);
  // And a removed snapshot entry is gone.
  await rm(path.join(snap, 'extra.bin'));
  expect((await mc.scan()).index.models.find((x) => x.name === 'acme/tiny-llama')!.files).toHaveLength(2);
});

test('a listing scan trusts unchanged blob folders; a removed blob is still seen, and an exact scan sees damage in place', async () => {
  const fx = await writeStandardFixture(path.join(dir, 'home'));
  const mc = await open(fx.env);
  await mc.scan(undefined, { trustUnchangedBlobs: true });
  const olBlob = ollamaBlobPath(fx.ollama, `sha256:${fx.ggufSha}`);
  // Damage in place (the folder's mtime does not move): only a scan that stats every blob sees it.
  const { truncate, utimes } = await import('node:fs/promises');
  const dirTime = statSync(path.dirname(olBlob)).mtime;
  await truncate(olBlob, 0);
  await utimes(path.dirname(olBlob), dirTime, dirTime);
  const trusted = await mc.scan(undefined, { trustUnchangedBlobs: true });
  expect(trusted.index.problems.filter((p) => p.kind === 'zero-byte')).toEqual([]);
  const exact = await mc.scan();
  expect(exact.index.problems.filter((p) => p.kind === 'zero-byte').map((p) => p.path)).toEqual([olBlob]);
  // A blob removed from an HF cache moves its folder's mtime: a trusting scan sees it gone.
  await mc.scan(undefined, { trustUnchangedBlobs: true });
  await rm(path.join(fx.hf, 'models--acme--tiny-llama-GGUF', 'blobs', fx.ggufSha));
  const after = await mc.scan(undefined, { trustUnchangedBlobs: true });
  expect(after.index.problems.some((p) => p.kind === 'dangling-link' && p.model === 'acme/tiny-llama-GGUF')).toBe(true);
});
