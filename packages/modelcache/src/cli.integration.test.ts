import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { tempDir } from '@workbench/core';
import { wb, wbJson } from '../../cli/src/testing/wb.js';
import { ollamaBlobPath, parseManifest } from './scan/ollama.js';
import { sha256, writeHfModel, writeStandardFixture } from './testing/fixtures.js';

// The real bundled `wb` against fixture stores in a temporary home: nothing touches the real one.
let home: string;
let dispose: () => Promise<void>;
let env: Record<string, string>;
let fx: Awaited<ReturnType<typeof writeStandardFixture>>;
beforeEach(async () => {
  ({ dir: home, dispose } = await tempDir('wb-mc-cli-'));
  fx = await writeStandardFixture(path.join(home, 'home'));
  env = { ...fx.env, OLLAMA_HOST: '127.0.0.1:9', HF_ENDPOINT: 'http://127.0.0.1:9' };
});
afterEach(async () => dispose());

const run = (args: string[]) => wb(home, ['cache', ...args], { env });
const json = <T = any>(args: string[]) => wbJson<T>(home, ['cache', ...args], { env });

test('status, scan and stats list every store with --json', async () => {
  const st = await json(['status']);
  expect(st.models.map((m: any) => m.source).sort()).toEqual(['huggingface', 'huggingface', 'lmstudio', 'lmstudio', 'ollama']);
  expect(st.stats.reclaimableBytes).toBe(3 * fx.gguf.length);
  const only = await json(['status', '--source', 'ollama']);
  expect(only.models.map((m: any) => m.name)).toEqual(['tinyllama:1b']);
  const bad = await run(['status', '--source', 'nosuch']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/unknown store 'nosuch'/);
  const scan = await json(['scan']);
  expect(scan.filesHashed).toBe(0);
  const stats = await json(['stats']);
  expect(stats.duplicateGroups).toBe(1);
  expect(stats.largest.length).toBe(5);
  const text = await run(['status']);
  expect(text.stdout).toMatch(/tinyllama:1b\s+256 KiB\s+gguf\s+ollama\s+ollama/);
});

test('dedup refuses without a terminal, links with --yes, stores still load, undo restores copies', async () => {
  const refused = await run(['dedup']);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/no terminal to confirm/);
  expect(refused.stderr).toMatch(/--yes/);
  const dry = await json(['dedup', '--dry-run']);
  expect(dry.reclaimBytes).toBe(3 * fx.gguf.length);
  expect(statSync(path.join(fx.lmstudio, 'acme', 'tiny-llama-GGUF', 'tiny-llama.Q4_K_M.gguf')).nlink).toBe(1);
  const res = await json(['dedup', '--yes']);
  expect(res.replaced).toBe(3);
  expect(res.freedBytes).toBe(3 * fx.gguf.length);
  // Ollama resolves manifest digests to blobs; the hub follows snapshot links.
  const manifest = parseManifest(readFileSync(path.join(fx.ollama, 'manifests', 'registry.ollama.ai', 'library', 'tinyllama', '1b'), 'utf8'));
  if (typeof manifest === 'string') throw new Error(manifest);
  for (const l of manifest.layers) expect(sha256(readFileSync(ollamaBlobPath(fx.ollama, l.digest)))).toBe(l.digest.slice(7));
  const snap = path.join(fx.hf, 'models--acme--tiny-llama-GGUF', 'snapshots', sha256('acme/tiny-llama-GGUF').slice(0, 40), 'tiny-llama.Q4_K_M.gguf');
  expect(lstatSync(snap).isSymbolicLink()).toBe(true);
  expect(readFileSync(snap).equals(fx.gguf)).toBe(true);
  const stats = await json(['stats']);
  expect(stats.savedBytes).toBe(3 * fx.gguf.length);
  expect(stats.reclaimableBytes).toBe(0);
  const undo = await json(['undo']);
  expect(undo.restored).toHaveLength(3);
  expect(statSync(snap).nlink).toBe(1);
  expect(readFileSync(snap).equals(fx.gguf)).toBe(true);
  expect((await json(['stats'])).reclaimableBytes).toBe(3 * fx.gguf.length);
  expect((await run(['undo'])).stdout).toMatch(/no dedup to undo/);
});

test('verify finds a corrupt blob; doctor heals a dangling snapshot link from another copy', async () => {
  expect((await run(['verify'])).code).toBe(0);
  const blob = ollamaBlobPath(fx.ollama, `sha256:${fx.ggufSha}`);
  const good = readFileSync(blob);
  const bad = Buffer.from(good);
  bad[10] = bad[10]! ^ 1;
  await writeFile(blob, bad);
  const v = await run(['verify', 'tinyllama:1b', '--json']);
  expect(v.code).toBe(1);
  expect(JSON.parse(v.stdout).mismatched.map((m: any) => m.path)).toEqual([blob]);
  await writeFile(blob, good);

  const hfBlob = path.join(fx.hf, 'models--acme--tiny-llama-GGUF', 'blobs', fx.ggufSha);
  await rm(hfBlob);
  const found = await run(['doctor', '--json']);
  expect(found.code).toBe(1);
  const f = JSON.parse(found.stdout).find((x: any) => x.kind === 'dangling-link');
  expect(f.repair).toBe('repairable');
  const fixed = await json(['doctor', '--fix']);
  expect(fixed.find((x: any) => x.kind === 'dangling-link').repair).toBe('repaired');
  expect(sha256(readFileSync(hfBlob))).toBe(fx.ggufSha);
  expect((await run(['doctor'])).stdout).toMatch(/no problems found/);
});

test('link exposes an Ollama model to LM Studio and a Hugging Face GGUF to Ollama without copies; unlink removes only those', async () => {
  const toLm = await json(['link', 'tinyllama:1b', '--to', 'lmstudio']);
  expect(toLm.method).toBe('hardlink');
  expect(statSync(toLm.path).ino).toBe(statSync(ollamaBlobPath(fx.ollama, `sha256:${fx.ggufSha}`)).ino);
  const st = await json(['status', '--source', 'lmstudio']);
  expect(st.models.map((m: any) => m.name)).toContain('ollama/tinyllama-1b');

  const toOl = await json(['link', 'huggingface:acme/tiny-llama-GGUF', '--to', 'ollama', '--name', 'tiny-hf:q4']);
  const m = parseManifest(readFileSync(toOl.path, 'utf8'));
  if (typeof m === 'string') throw new Error(m);
  expect(m.layers[0]!.digest).toBe(`sha256:${fx.ggufSha}`);
  expect(existsSync(ollamaBlobPath(fx.ollama, m.config.digest))).toBe(true);
  const ol = await json(['status', '--source', 'ollama']);
  expect(ol.models.map((x: any) => x.name).sort()).toEqual(['tiny-hf:q4', 'tinyllama:1b']);
  const again = await run(['link', 'huggingface:acme/tiny-llama-GGUF', '--to', 'ollama', '--name', 'tiny-hf:q4']);
  expect(again.code).toBe(4);

  expect((await run(['unlink', 'huggingface:acme/tiny-llama-GGUF'])).code).toBe(0);
  expect(existsSync(toOl.path)).toBe(false);
  // The blob stays: tinyllama:1b's manifest names it.
  expect(existsSync(ollamaBlobPath(fx.ollama, `sha256:${fx.ggufSha}`))).toBe(true);
  expect((await run(['unlink', 'ollama:tinyllama:1b'])).code).toBe(0);
  expect(existsSync(toLm.path)).toBe(false);
  expect((await run(['unlink', 'nothing-here'])).code).toBe(3);
});

test('remove deletes only what nothing else references and says what it freed', async () => {
  // Two snapshots of one repo share a blob: removing one keeps it.
  await writeHfModel(fx.hf, 'acme/two', { 'w.bin': Buffer.alloc(4096, 7), 'a.txt': 'one' }, 'a'.repeat(40));
  await writeHfModel(fx.hf, 'acme/two', { 'w.bin': Buffer.alloc(4096, 7), 'a.txt': 'two' }, 'b'.repeat(40));
  const refused = await run(['remove', 'huggingface:acme/two@aaaaaaaaaaaa']);
  expect(refused.code).toBe(2);
  const dry = await json(['remove', 'huggingface:acme/two@aaaaaaaaaaaa', '--dry-run']);
  expect(dry.kept.map((k: any) => path.basename(k.path))).toEqual([sha256(Buffer.alloc(4096, 7))]);
  const r = await run(['remove', 'huggingface:acme/two@aaaaaaaaaaaa', '--yes']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/freed 3 B/);
  const left = await json(['status', '--source', 'huggingface']);
  expect(left.models.map((m: any) => m.id)).toContain('huggingface:acme/two@bbbbbbbbbbbb');
  expect(left.models.map((m: any) => m.id)).not.toContain('huggingface:acme/two@aaaaaaaaaaaa');
  expect(readFileSync(path.join(fx.hf, 'models--acme--two', 'snapshots', 'b'.repeat(40), 'w.bin')).length).toBe(4096);

  // An Ollama blob another manifest names survives removing the first model.
  const rm1 = await json(['remove', 'tinyllama:1b', '--dry-run']);
  expect(rm1.freesBytes).toBeGreaterThan(fx.gguf.length - 1);
  const ambiguous = await run(['remove', 'acme/tiny-llama-GGUF', '--dry-run']);
  expect(ambiguous.stderr).toMatch(/names 2 models/);
});

test('apps, clean, config and add', async () => {
  expect((await run(['clean', '--dry-run'])).stderr).toMatch(/no apps are registered/);
  const appDir = path.join(home, 'my-app');
  await mkdir(appDir);
  const { symlink } = await import('node:fs/promises');
  await symlink(path.join(fx.lmstudio, 'acme', 'tiny-llama-GGUF', 'tiny-llama.Q4_K_M.gguf'), path.join(appDir, 'model.gguf'));
  expect((await run(['app', 'add', 'chatbot', appDir])).code).toBe(0);
  await run(['scan']);
  const st = await json(['status', '--source', 'lmstudio']);
  expect(st.models.find((m: any) => m.name === 'acme/tiny-llama-GGUF').usedBy).toEqual(['lm-studio', 'chatbot']);
  const clean = await json(['clean', '--dry-run']);
  expect(clean.models.map((m: any) => m.id)).not.toContain('lmstudio:acme/tiny-llama-GGUF');
  expect(clean.models.length).toBe(4);
  expect((await run(['clean'])).code).toBe(2);

  const folder = path.join(home, 'models dir');
  await mkdir(folder);
  await writeFile(path.join(folder, 'x.gguf'), fx.gguf);
  const added = await json(['add', `file://${folder}`]);
  expect(added.folder).toBe(folder);
  expect((await json(['status', '--source', 'folder'])).models.map((m: any) => m.name)).toEqual(['x.gguf']);
  const cfg = await json(['config']);
  expect(cfg.config.folders).toEqual([folder]);
  expect(cfg.stores.find((s: any) => s.kind === 'ollama').origin).toBe('env OLLAMA_MODELS');
  const set = await json(['config', '--set', `lmstudio=${path.join(home, 'lms')}`]);
  expect(set.stores.find((s: any) => s.kind === 'lmstudio')).toMatchObject({ root: path.join(home, 'lms'), origin: 'config' });
  expect((await run(['config', '--set', 'bogus=/x'])).code).toBe(2);

  const hf = await run(['add', 'hf://acme/some-model']);
  expect(hf.code).toBe(9);
  expect(hf.stderr).toMatch(/needs a network connection/);
  const ol = await run(['add', 'ollama://llama3.2:1b']);
  expect(ol.code).toBe(9);
  expect(ol.stderr).toMatch(/Ollama is not running/);
  expect((await run(['add', 'ftp://x'])).stderr).toMatch(/unknown source/);
  expect((await run(['add', 'hf://../etc'])).code).toBe(2);
});

test('a permission error in one store is reported and the rest is deduplicated', async () => {
  const ro = path.join(fx.lmstudio, 'acme', 'tiny-llama-GGUF');
  await chmod(ro, 0o555);
  try {
    const r = await run(['dedup', '--yes']);
    const isRoot = process.getuid?.() === 0;
    expect(r.code).toBe(isRoot ? 0 : 1);
    if (!isRoot) expect(r.stdout).toMatch(/permission denied/);
    expect(readFileSync(path.join(ro, 'tiny-llama.Q4_K_M.gguf')).equals(fx.gguf)).toBe(true);
  } finally {
    await chmod(ro, 0o755);
  }
});
