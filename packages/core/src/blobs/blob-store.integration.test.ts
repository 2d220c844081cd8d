import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { tempDir } from '../testing/temp-workspace.js';
import { BlobStore } from './blob-store.js';

let dir: string;
let dispose: () => Promise<void>;
beforeEach(async () => ({ dir, dispose } = await tempDir()));
afterEach(async () => dispose());

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
  return out;
}

describe('blob store', () => {
  test('stores content under its SHA-256, read-only, once', async () => {
    const store = new BlobStore(path.join(dir, 'blobs'));
    await store.init();
    const src = path.join(dir, 'a.bin');
    const content = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    await writeFile(src, content);
    const progress: number[] = [];
    const first = await store.importFile(src, { onProgress: (d) => progress.push(d) });
    expect(first).toEqual({ sha256: sha(content), size: content.length, created: true });
    expect(store.pathFor(first.sha256)).toBe(path.join(dir, 'blobs', 'sha256', first.sha256.slice(0, 2), first.sha256.slice(2, 4), first.sha256));
    expect((await stat(store.pathFor(first.sha256))).mode & 0o777).toBe(0o444);
    expect(progress.at(-1)).toBe(content.length);
    const copy = path.join(dir, 'b.bin');
    await writeFile(copy, content);
    expect(await store.importFile(copy)).toMatchObject({ created: false });
    expect(await filesUnder(path.join(dir, 'blobs', 'sha256'))).toHaveLength(1);
    expect(await filesUnder(path.join(dir, 'blobs', 'tmp'))).toEqual([]);
    expect(await store.verify(first.sha256)).toBe(true);
  });

  test('a mismatching expected hash stores nothing', async () => {
    const store = new BlobStore(path.join(dir, 'blobs'));
    await store.init();
    const src = path.join(dir, 'a.txt');
    await writeFile(src, 'hello');
    await expect(store.importFile(src, { expectedSha256: sha('other') })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await filesUnder(path.join(dir, 'blobs'))).toEqual([]);
  });

  test('hostile digests and missing or odd sources get clear errors', async () => {
    const store = new BlobStore(path.join(dir, 'blobs'));
    await store.init();
    expect(() => store.pathFor('../../etc/passwd')).toThrow(/not a SHA-256/);
    expect(() => store.pathFor('A'.repeat(64))).toThrow(/not a SHA-256/);
    await expect(store.importFile(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await mkdir(path.join(dir, 'folder'));
    await expect(store.importFile(path.join(dir, 'folder'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  /** 'hello' stored, then its stored copy changed behind the store's back. */
  async function damagedBlob(): Promise<{ store: BlobStore; src: string; sha256: string; p: string }> {
    const store = new BlobStore(path.join(dir, 'blobs'));
    await store.init();
    const src = path.join(dir, 'a.txt');
    await writeFile(src, 'hello');
    const { sha256 } = await store.importFile(src);
    const p = store.pathFor(sha256);
    spawnSync('chmod', ['u+w', p]);
    await writeFile(p, 'hellO');
    return { store, src, sha256, p };
  }

  test('a corrupted blob fails verification', async () => {
    const { store, sha256 } = await damagedBlob();
    expect(await store.verify(sha256)).toBe(false);
    expect(await store.verify(sha('never stored'))).toBe(false);
  });

  test('replace puts right bytes over a damaged blob, and needs the digest they must have', async () => {
    const { store, src, sha256, p } = await damagedBlob();
    // Without replace the damaged copy stays: the same content "is already stored".
    expect((await store.importFile(src)).created).toBe(false);
    expect(await store.verify(sha256)).toBe(false);
    await expect(store.importFile(src, { replace: true })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await writeFile(path.join(dir, 'other.txt'), 'other');
    await expect(store.importFile(path.join(dir, 'other.txt'), { expectedSha256: sha256, replace: true })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await store.verify(sha256)).toBe(false);
    expect(await store.importFile(src, { expectedSha256: sha256, replace: true })).toMatchObject({ sha256, created: true });
    expect(await store.verify(sha256)).toBe(true);
    expect((await stat(p)).mode & 0o777).toBe(0o444);
    expect(await filesUnder(path.join(dir, 'blobs', 'tmp'))).toEqual([]);
  });

  test('temporary files of interrupted imports are cleared once their writer is gone', async () => {
    const store = new BlobStore(path.join(dir, 'blobs'));
    await store.init();
    const { spawnSync: run } = await import('node:child_process');
    const dead = run(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    await writeFile(path.join(dir, 'blobs', 'tmp', `${dead}-0123456789abcdef`), 'partial');
    await writeFile(path.join(dir, 'blobs', 'tmp', `manifest-${dead}-0123456789abcdef`), 'partial');
    await writeFile(path.join(dir, 'blobs', 'tmp', `${process.pid}-fedcba9876543210`), 'in progress');
    expect(await store.cleanTmp()).toEqual({ files: 2, bytes: 14 });
    expect(await readdir(path.join(dir, 'blobs', 'tmp'))).toEqual([`${process.pid}-fedcba9876543210`]);
  });

  // A real full disk: a 1 MiB tmpfs. Needs mount privileges (root), which the test machines have.
  const canMount = spawnSync('sh', ['-c', 'd=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d" && umount "$d" && rmdir "$d"']).status === 0;
  test.runIf(canMount)('a full disk fails the import cleanly: no partial blob under a final name, no temp file left', async () => {
    const mnt = path.join(dir, 'tiny');
    await mkdir(mnt);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]).status).toBe(0);
    try {
      const store = new BlobStore(path.join(mnt, 'blobs'));
      await store.init();
      const big = path.join(dir, 'big.bin');
      await writeFile(big, Buffer.alloc(3 * 1024 * 1024, 1));
      await expect(store.importFile(big)).rejects.toMatchObject({ code: 'DISK_FULL', message: expect.stringMatching(/disk full/) });
      expect(await filesUnder(path.join(mnt, 'blobs'))).toEqual([]);
      // The store still works for what fits.
      const small = path.join(dir, 'small.txt');
      await writeFile(small, 'fits');
      const ok = await store.importFile(small);
      expect(await readFile(store.pathFor(ok.sha256), 'utf8')).toBe('fits');
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
});
