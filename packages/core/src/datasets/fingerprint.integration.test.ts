import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { tempDir, tempWorkspace, writeTree } from '../testing/temp-workspace.js';
import type { Workspace } from '../workspace.js';
import { compareBytes, fingerprintFolder, walkFolder } from './fingerprint.js';
import { MemoryHashCache, SqliteHashCache } from './hash-cache.js';
import { HashPool } from './hash-pool.js';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

let dir: string;
let disposeDir: () => Promise<void>;
beforeEach(async () => ({ dir, dispose: disposeDir } = await tempDir('wb-fp-')));
afterEach(async () => disposeDir());

describe('hash pool', () => {
  test('hashes small and big files on worker threads, reports failures per file', async () => {
    const big = Buffer.alloc(20 << 20, 7);
    await writeTree(dir, { 'a.txt': 'hello', 'big.bin': big, 'empty': '' });
    const pool = new HashPool(2);
    let progressed = 0;
    try {
      const [small, bigRes] = await Promise.all([
        pool.hashBatch([path.join(dir, 'a.txt'), path.join(dir, 'empty'), path.join(dir, 'missing')]),
        pool.hashBatch([path.join(dir, 'big.bin')], (n) => (progressed += n)),
      ]);
      expect(small[0]).toMatchObject({ ok: true, sha256: sha('hello'), size: 5 });
      expect(small[1]).toMatchObject({ ok: true, sha256: sha(''), size: 0 });
      expect(small[2]).toMatchObject({ ok: false, code: 'ENOENT' });
      expect(bigRes[0]).toMatchObject({ ok: true, sha256: sha(big), size: big.length });
      expect(progressed).toBe(big.length);
      expect(pool.filesHashed).toBe(4);
    } finally {
      await pool.close();
    }
  });
});

describe('walk and fingerprint', () => {
  test('the fingerprint is the SHA-256 of the sorted manifest, wherever the folder lives', async () => {
    const files = { 'b.txt': 'bee', 'a/z.txt': 'zed', 'a/b/c.txt': 'see', 'A.txt': 'upper', 'é.txt': 'accent', 'z.txt': 'bee' };
    await writeTree(path.join(dir, 'one'), files);
    await writeTree(path.join(dir, 'two'), files);
    const fp = await fingerprintFolder(path.join(dir, 'one'));
    const paths = Object.keys(files).sort(compareBytes);
    expect(fp.files.map((f) => f.path)).toEqual(paths);
    expect(paths).toEqual(['A.txt', 'a/b/c.txt', 'a/z.txt', 'b.txt', 'z.txt', 'é.txt']);
    const manifest = paths.map((p) => `${sha(files[p as keyof typeof files])} ${Buffer.byteLength(files[p as keyof typeof files])} ${p}\n`).join('');
    expect(fp.fingerprint).toBe(sha(manifest));
    expect(fp.totalSize).toBe(Object.values(files).reduce((n, c) => n + Buffer.byteLength(c), 0));
    expect((await fingerprintFolder(path.join(dir, 'two'))).fingerprint).toBe(fp.fingerprint);
  });

  test('follows symbolic links to files and folders', async () => {
    await writeTree(path.join(dir, 'outside'), { 'x.txt': 'x', 'd/y.txt': 'y' });
    await writeTree(path.join(dir, 'src'), { 'own.txt': 'own' });
    await symlink(path.join(dir, 'outside', 'x.txt'), path.join(dir, 'src', 'link.txt'));
    await symlink(path.join(dir, 'outside', 'd'), path.join(dir, 'src', 'linked-dir'));
    const files = await walkFolder(path.join(dir, 'src'));
    expect(files.map((f) => f.path)).toEqual(['link.txt', 'linked-dir/y.txt', 'own.txt']);
  });

  test('a symbolic link loop is an error naming the looping path', async () => {
    await writeTree(path.join(dir, 'src'), { 'sub/a.txt': 'a' });
    await symlink('..', path.join(dir, 'src', 'sub', 'loop'));
    await expect(walkFolder(path.join(dir, 'src'))).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining("'sub/loop' leads back to '.'") });
  });

  test('a self-referencing link, a broken link and a fifo are errors, never skipped', async () => {
    await writeTree(path.join(dir, 'self'), { 'a.txt': 'a' });
    await symlink('me', path.join(dir, 'self', 'me'));
    await expect(walkFolder(path.join(dir, 'self'))).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining("'me'") });

    await writeTree(path.join(dir, 'broken'), { 'a.txt': 'a' });
    await symlink('nowhere', path.join(dir, 'broken', 'dangling'));
    await expect(walkFolder(path.join(dir, 'broken'))).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('broken symbolic link') });

    await writeTree(path.join(dir, 'fifo'), { 'a.txt': 'a' });
    execFileSync('mkfifo', [path.join(dir, 'fifo', 'pipe')]);
    await expect(walkFolder(path.join(dir, 'fifo'))).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('pipe (fifo)') });
  });

  test('a missing folder is a NOT_FOUND user error', async () => {
    await expect(fingerprintFolder(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('hash cache', () => {
  let ws: Workspace;
  let disposeWs: () => Promise<void>;
  beforeEach(async () => ({ ws, dispose: disposeWs } = await tempWorkspace()));
  afterEach(async () => disposeWs());

  test('an unchanged folder is re-fingerprinted without reading any file; a changed file is re-read', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 1200; i++) files[`d${i % 7}/f${i}.txt`] = `content ${i}`;
    const root = path.join(dir, 'data');
    await writeTree(root, files, { old: true });
    const cache = new SqliteHashCache(ws.db);

    const first = await fingerprintFolder(root, { cache });
    expect(first.filesHashed).toBe(1200);
    const rows = await ws.db.selectFrom('hash_cache').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(rows.n)).toBe(1200);

    const progress: number[] = [];
    const second = await fingerprintFolder(root, { cache, onProgress: (p) => progress.push(p.filesDone) });
    expect(second.filesHashed).toBe(0);
    expect(second.bytesHashed).toBe(0);
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(progress.at(-1)).toBe(1200);

    // Same size, new content, new mtime: the cache must not be trusted.
    const changed = path.join(root, 'd3', 'f3.txt');
    await writeFile(changed, 'CONTENT 3');
    await utimes(changed, new Date(Date.now() - 1800_000), new Date(Date.now() - 1800_000));
    const third = await fingerprintFolder(root, { cache });
    expect(third.filesHashed).toBe(1);
    expect(third.fingerprint).not.toBe(first.fingerprint);
    expect(third.files.find((f) => f.path === 'd3/f3.txt')!.sha256).toBe(sha('CONTENT 3'));
  });

  test('files modified moments ago are hashed but not cached (their mtime may not show the next change)', async () => {
    const root = path.join(dir, 'fresh');
    await writeTree(root, { 'a.txt': 'a', 'b.txt': 'b' });
    const cache = new MemoryHashCache();
    expect((await fingerprintFolder(root, { cache })).filesHashed).toBe(2);
    expect((await fingerprintFolder(root, { cache })).filesHashed).toBe(2);
    expect((await fingerprintFolder(root, { cache, racyWindowMs: 0 })).filesHashed).toBe(2);
    expect((await fingerprintFolder(root, { cache, racyWindowMs: 0 })).filesHashed).toBe(0);
  });
});
