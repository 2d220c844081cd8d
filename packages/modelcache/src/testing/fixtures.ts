import { createHash } from 'node:crypto';
import { lutimes, mkdir, readdir, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OLLAMA_MANIFEST_TYPE, OLLAMA_MODEL_LAYER } from '../scan/ollama.js';

/** Store folders under one fake home, and the environment that points the scanners at them. */
export interface FixtureHome {
  home: string;
  hf: string;
  ollama: string;
  lmstudio: string;
  env: Record<string, string>;
}

export function fixtureHome(home: string): FixtureHome {
  const hf = path.join(home, '.cache', 'huggingface', 'hub');
  const ollama = path.join(home, '.ollama', 'models');
  const lmstudio = path.join(home, '.lmstudio', 'models');
  return { home, hf, ollama, lmstudio, env: { HOME: home, HF_HUB_CACHE: hf, OLLAMA_MODELS: ollama, XDG_CACHE_HOME: path.join(home, '.cache') } };
}

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
/** Git's blob id: what the hub names small (non-LFS) files by. */
export const gitSha1 = (b: Buffer): string => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

const LFS_THRESHOLD = 1024;

/** `models--org--name/{blobs,snapshots/<commit>,refs/main}` exactly as huggingface_hub writes it. */
export async function writeHfModel(hubRoot: string, repo: string, files: Record<string, Buffer | string>, commit = sha256(repo).slice(0, 40)): Promise<{ repoDir: string; snapshot: string }> {
  const repoDir = path.join(hubRoot, `models--${repo.split('/').join('--')}`);
  const snapshot = path.join(repoDir, 'snapshots', commit);
  await mkdir(path.join(repoDir, 'blobs'), { recursive: true });
  await mkdir(path.join(repoDir, 'refs'), { recursive: true });
  await writeFile(path.join(repoDir, 'refs', 'main'), commit);
  for (const [rel, content] of Object.entries(files)) {
    const buf = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const blobName = buf.length >= LFS_THRESHOLD ? sha256(buf) : gitSha1(buf);
    const blob = path.join(repoDir, 'blobs', blobName);
    await writeFile(blob, buf);
    const link = path.join(snapshot, ...rel.split('/'));
    await mkdir(path.dirname(link), { recursive: true });
    await symlink(path.relative(path.dirname(link), blob), link);
  }
  return { repoDir, snapshot };
}

/** An Ollama model: blobs `sha256-<hex>` and a manifest under `manifests/registry.ollama.ai/library/<name>/<tag>`. */
export async function writeOllamaModel(root: string, nameTag: string, layers: { model: Buffer; template?: string; params?: string; license?: string }): Promise<string> {
  const [name, tag = 'latest'] = nameTag.split(':') as [string, string?];
  await mkdir(path.join(root, 'blobs'), { recursive: true });
  const blob = async (b: Buffer, mediaType: string) => {
    const hex = sha256(b);
    await writeFile(path.join(root, 'blobs', `sha256-${hex}`), b);
    return { mediaType, digest: `sha256:${hex}`, size: b.length };
  };
  const list = [await blob(layers.model, OLLAMA_MODEL_LAYER)];
  if (layers.template) list.push(await blob(Buffer.from(layers.template), 'application/vnd.ollama.image.template'));
  if (layers.params) list.push(await blob(Buffer.from(layers.params), 'application/vnd.ollama.image.params'));
  if (layers.license) list.push(await blob(Buffer.from(layers.license), 'application/vnd.ollama.image.license'));
  const config = await blob(Buffer.from(JSON.stringify({ model_format: 'gguf', model_family: name, rootfs: { type: 'layers', diff_ids: list.map((l) => l.digest) } })), 'application/vnd.docker.container.image.v1+json');
  const manifest = path.join(root, 'manifests', 'registry.ollama.ai', 'library', name, tag);
  await mkdir(path.dirname(manifest), { recursive: true });
  await writeFile(manifest, JSON.stringify({ schemaVersion: 2, mediaType: OLLAMA_MANIFEST_TYPE, config, layers: list }));
  return manifest;
}

export async function writeLmStudioModel(root: string, publisherRepo: string, files: Record<string, Buffer | string>): Promise<string> {
  const dir = path.join(root, ...publisherRepo.split('/'));
  await mkdir(dir, { recursive: true });
  for (const [f, c] of Object.entries(files)) await writeFile(path.join(dir, f), c);
  return dir;
}

/** Bytes that look like a GGUF file (magic, version 3) followed by deterministic filler. */
export function fakeGguf(seed: string, size: number): Buffer {
  const b = Buffer.alloc(size);
  b.write('GGUF', 0, 'latin1');
  b.writeUInt32LE(3, 4);
  const h = createHash('sha256').update(seed).digest();
  for (let i = 8; i < size; i += h.length) h.copy(b, i, 0, Math.min(h.length, size - i));
  return b;
}

/** A safetensors file: 8-byte header length, JSON header, zeroed tensor data. */
export function fakeSafetensors(tensors: Record<string, { dtype: string; shape: number[] }>): Buffer {
  let offset = 0;
  const header: Record<string, unknown> = {};
  const width: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I8: 1 };
  for (const [name, t] of Object.entries(tensors)) {
    const n = t.shape.reduce((a, b) => a * b, 1) * (width[t.dtype] ?? 4);
    header[name] = { ...t, data_offsets: [offset, offset + n] };
    offset += n;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, Buffer.alloc(offset)]);
}

/**
 * Three stores with the same weights in each: a GGUF in Ollama, the same GGUF in the HF cache
 * and in LM Studio; plus a safetensors model, small files, names with spaces and unicode.
 */
export async function writeStandardFixture(home: string, opts: { ggufBytes?: number; fresh?: boolean } = {}): Promise<FixtureHome & { gguf: Buffer; ggufSha: string }> {
  const fx = fixtureHome(home);
  const gguf = fakeGguf('tiny-llama', opts.ggufBytes ?? 256 * 1024);
  await writeOllamaModel(fx.ollama, 'tinyllama:1b', { model: gguf, template: '{{ .Prompt }}', params: '{"stop":["</s>"]}' });
  await writeHfModel(fx.hf, 'acme/tiny-llama-GGUF', { 'tiny-llama.Q4_K_M.gguf': gguf, 'README.md': '# tiny\n', '.gitattributes': '*.gguf filter=lfs\n' });
  await writeHfModel(fx.hf, 'acme/tiny-llama', {
    'model.safetensors': fakeSafetensors({ 'model.embed.weight': { dtype: 'F16', shape: [64, 32] } }),
    'config.json': JSON.stringify({ model_type: 'llama', architectures: ['LlamaForCausalLM'] }),
  });
  await writeLmStudioModel(fx.lmstudio, 'acme/tiny-llama-GGUF', { 'tiny-llama.Q4_K_M.gguf': gguf });
  await writeLmStudioModel(fx.lmstudio, 'ünï cödé/my model', { 'weights copy.gguf': gguf });
  if (!opts.fresh) await backdate(home);
  return { ...fx, gguf, ggufSha: sha256(gguf) };
}

const HOUR_AGO = new Date(Date.now() - 3600_000);

/**
 * Move every file's, link's and folder's mtime an hour back, as on any real machine: files written in the last
 * seconds are hashed but not remembered (their mtime may not change on the next write).
 */
export async function backdate(root: string): Promise<void> {
  const dirs: string[] = [root];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath, e.name);
    if (e.isSymbolicLink()) await lutimes(p, HOUR_AGO, HOUR_AGO);
    else if (e.isFile()) await utimes(p, HOUR_AGO, HOUR_AGO);
    else if (e.isDirectory()) dirs.push(p);
  }
  // Folders last: touching their files does not move them, but this keeps the order obvious.
  for (const d of dirs) await utimes(d, HOUR_AGO, HOUR_AGO);
}
