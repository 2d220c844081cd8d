import { createHash } from 'node:crypto';
import { unlinkSync, writeFileSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, readlink, realpath, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { listEvents } from '../events.js';
import { collectBlobs } from '../gc.js';
import { Projects } from '../projects.js';
import { tempDir, tempWorkspace, writeTree } from '../testing/temp-workspace.js';
import type { Workspace } from '../workspace.js';
import { Datasets } from './datasets.js';

const HOUR_AGO = new Date(Date.now() - 3600_000);
const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

async function count(ws: Workspace, table: 'blobs' | 'blob_refs' | 'datasets' | 'dataset_files'): Promise<number> {
  const r = await ws.db.selectFrom(table).select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Every blob file hashes to its own name, and no temporary file is left behind. */
async function expectStoreConsistent(ws: Workspace): Promise<string[]> {
  const found: string[] = [];
  const base = path.join(ws.blobs.root, 'sha256');
  for (const a of await readdir(base)) {
    for (const b of await readdir(path.join(base, a))) {
      for (const f of await readdir(path.join(base, a, b))) {
        expect(sha(await readFile(path.join(base, a, b, f)))).toBe(f);
        found.push(f);
      }
    }
  }
  expect(await readdir(path.join(ws.blobs.root, 'tmp'))).toEqual([]);
  return found;
}

let ws: Workspace;
let disposeWs: () => Promise<void>;
let dir: string;
let disposeDir: () => Promise<void>;
let datasets: Datasets;
beforeEach(async () => {
  ({ ws, dispose: disposeWs } = await tempWorkspace());
  ({ dir, dispose: disposeDir } = await tempDir('wb-ds-'));
  await new Projects(ws).create('vision');
  datasets = new Datasets(ws);
});
afterEach(async () => {
  await disposeWs();
  await disposeDir();
});

describe('import a file', () => {
  test('stores it as a blob, one file row under its base name, refs and an event', async () => {
    const content = 'a,b\n1,2\n';
    await writeFile(path.join(dir, 'train.csv'), content);
    const phases = new Set<string>();
    const r = await datasets.import(path.join(dir, 'train.csv'), { project: 'vision', onProgress: (p) => phases.add(p.phase) });
    expect(r).toMatchObject({ created: true, bytesStored: content.length, filesStored: 1, filesHashed: 1 });
    expect(r.dataset).toMatchObject({ name: 'train.csv', version: 1, kind: 'file', fingerprint: sha(content), size: content.length, fileCount: 1, sourcePath: path.join(dir, 'train.csv'), deletedAt: null });
    expect(phases).toEqual(new Set(['copy']));
    expect(await datasets.files('train.csv')).toEqual([{ path: 'train.csv', size: content.length, sha256: sha(content) }]);
    expect(await ws.blobs.has(sha(content))).toBe(true);
    expect(await ws.db.selectFrom('blob_refs').selectAll().execute()).toEqual([{ sha256: sha(content), owner_kind: 'dataset', owner_id: r.dataset.id }]);
    const events = await listEvents(ws.db, { entityId: r.dataset.id });
    expect(events.map((e) => e.type)).toEqual(['dataset.imported']);
    expect(events[0]!.payload).toMatchObject({ name: 'train.csv', version: 1, fingerprint: sha(content) });
  });

  test('the same content again is the same version and stores nothing; new content is version 2', async () => {
    const p = path.join(dir, 'data.jsonl');
    await writeFile(p, '{"a":1}\n');
    const v1 = await datasets.import(p, { project: 'vision', name: 'data' });
    const again = await datasets.import(p, { project: 'vision', name: 'data' });
    expect(again).toMatchObject({ created: false, bytesStored: 0, filesStored: 0 });
    expect(again.dataset.id).toBe(v1.dataset.id);
    await writeFile(p, '{"a":2}\n');
    const v2 = await datasets.import(p, { project: 'vision', name: 'data' });
    expect(v2).toMatchObject({ created: true, dataset: { version: 2, name: 'data' } });
    expect((await datasets.get('data')).version).toBe(2);
    expect((await datasets.get('data@1')).id).toBe(v1.dataset.id);
    expect(await count(ws, 'datasets')).toBe(2);
    expect((await listEvents(ws.db)).filter((e) => e.type === 'dataset.imported')).toHaveLength(2);
  });

  test('an unchanged file is recognised from the hash cache without reading it', async () => {
    const p = path.join(dir, 'big.bin');
    await writeFile(p, Buffer.alloc(3 << 20, 1));
    await utimes(p, HOUR_AGO, HOUR_AGO);
    const first = await datasets.import(p, { project: 'vision' });
    expect(first.filesHashed).toBe(1);
    const second = await datasets.import(p, { project: 'vision' });
    expect(second).toMatchObject({ created: false, filesHashed: 0, bytesStored: 0 });
  });
});

describe('import a folder', () => {
  const tree = { 'train/cat.jpg': 'meow', 'train/dog.jpg': 'woof', 'labels.csv': 'file,label\ncat.jpg,cat\n', 'README.md': '# pets', 'copy/cat.jpg': 'meow' };

  test('hashes every file, stores each content once, and keeps the Merkle manifest as a blob', async () => {
    await writeTree(path.join(dir, 'pets'), tree);
    const progress: string[] = [];
    const r = await datasets.import(path.join(dir, 'pets'), { project: 'vision', onProgress: (p) => progress.push(p.phase) });
    const paths = ['README.md', 'copy/cat.jpg', 'labels.csv', 'train/cat.jpg', 'train/dog.jpg'];
    const manifest = paths.map((p) => `${sha(tree[p as keyof typeof tree])} ${Buffer.byteLength(tree[p as keyof typeof tree])} ${p}\n`).join('');
    expect(r.dataset).toMatchObject({ name: 'pets', kind: 'folder', version: 1, fileCount: 5, fingerprint: sha(manifest) });
    expect(r.filesStored).toBe(4); // meow is stored once
    expect(r.filesHashed).toBe(5);
    expect(progress).toContain('hash');
    expect(progress).toContain('copy');
    expect((await datasets.files('pets')).map((f) => f.path)).toEqual(paths);
    expect(await readFile(ws.blobs.pathFor(sha(manifest)), 'utf8')).toBe(manifest);
    const row = await ws.db.selectFrom('datasets').selectAll().where('id', '=', r.dataset.id).executeTakeFirstOrThrow();
    expect(row.manifest_sha256).toBe(sha(manifest));
    expect(await count(ws, 'blobs')).toBe(5); // 4 contents + manifest
    expect(await count(ws, 'blob_refs')).toBe(5);
    await expectStoreConsistent(ws);
  });

  test('the same content under another name or project stores nothing new', async () => {
    await writeTree(path.join(dir, 'pets'), tree);
    await datasets.import(path.join(dir, 'pets'), { project: 'vision' });
    await new Projects(ws).create('other');
    const r2 = await datasets.import(path.join(dir, 'pets'), { project: 'other' });
    expect(r2).toMatchObject({ created: true, bytesStored: 0, filesStored: 0 });
    const r3 = await datasets.import(path.join(dir, 'pets'), { project: 'vision', name: 'pets-copy' });
    expect(r3).toMatchObject({ created: true, bytesStored: 0, filesStored: 0 });
    const r4 = await datasets.import(path.join(dir, 'pets'), { project: 'vision' });
    expect(r4).toMatchObject({ created: false, bytesStored: 0 });
    expect(await count(ws, 'blobs')).toBe(5);
    expect(await count(ws, 'blob_refs')).toBe(15);
  });

  test('two imports of the same content at once make one version', async () => {
    await writeTree(path.join(dir, 'pets'), tree);
    const [a, b] = await Promise.all([datasets.import(path.join(dir, 'pets'), { project: 'vision' }), datasets.import(path.join(dir, 'pets'), { project: 'vision' })]);
    expect(a.dataset.id).toBe(b.dataset.id);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(await count(ws, 'datasets')).toBe(1);
    expect(await count(ws, 'blob_refs')).toBe(5);
  });

  test('a re-import of an unchanged folder reads no file; a changed file makes version 2', async () => {
    await writeTree(path.join(dir, 'pets'), tree, { old: true });
    await datasets.import(path.join(dir, 'pets'), { project: 'vision' });
    const again = await datasets.import(path.join(dir, 'pets'), { project: 'vision' });
    expect(again).toMatchObject({ created: false, filesHashed: 0 });
    await writeFile(path.join(dir, 'pets', 'train', 'dog.jpg'), 'WOOF!');
    const v2 = await datasets.import(path.join(dir, 'pets'), { project: 'vision' });
    expect(v2).toMatchObject({ created: true, filesHashed: 1, filesStored: 1, dataset: { version: 2 } });
    expect(v2.bytesStored).toBe(5 + (await lstat(ws.blobs.pathFor(v2.dataset.fingerprint))).size);
  });

  test('a symbolic link loop is refused with the looping path', async () => {
    await writeTree(path.join(dir, 'loopy'), { 'a/x.txt': 'x' });
    await symlink('..', path.join(dir, 'loopy', 'a', 'up'));
    await expect(datasets.import(path.join(dir, 'loopy'), { project: 'vision' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining("'a/up'") });
    expect(await count(ws, 'datasets')).toBe(0);
  });

  test('missing paths, bad names and the workspace itself are refused clearly', async () => {
    await expect(datasets.import(path.join(dir, 'nope'), { project: 'vision' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await writeTree(path.join(dir, 'my data'), { 'a.txt': 'a' });
    await expect(datasets.import(path.join(dir, 'my data'), { project: 'vision' })).rejects.toMatchObject({ code: 'INVALID_INPUT', hint: expect.stringContaining('--name') });
    expect((await datasets.import(path.join(dir, 'my data'), { project: 'vision', name: 'my-data' })).dataset.name).toBe('my-data');
    await expect(datasets.import(path.join(dir, 'my data'), { project: 'vision', name: '../up' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(datasets.import(path.join(dir, 'my data'), { project: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(datasets.import(ws.dir, { project: 'vision', name: 'ws' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('inside the Workbench workspace') });
    await expect(datasets.import(ws.blobs.root, { project: 'vision', name: 'blobs' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    // A folder that contains the workspace (here through a link) is refused too.
    await writeTree(path.join(dir, 'holder'), { 'a.txt': 'a' });
    await symlink(ws.dir, path.join(dir, 'holder', 'ws'));
    await expect(datasets.import(path.join(dir, 'holder'), { project: 'vision' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('workspace') });
    await mkdir(path.join(dir, 'empty'));
    await expect(datasets.import(path.join(dir, 'empty'), { project: 'vision' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  test('a file that disappears mid-import fails clearly and leaves the store consistent', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 8; i++) files[`f${i}.txt`] = `file number ${i}`;
    await writeTree(path.join(dir, 'vanish'), files);
    let removed = false;
    await expect(
      datasets.import(path.join(dir, 'vanish'), {
        project: 'vision',
        onProgress: (p) => {
          if (p.phase === 'copy' && !removed) {
            removed = true;
            unlinkSync(path.join(dir, 'vanish', 'f7.txt'));
          }
        },
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining("'f7.txt' disappeared") });
    expect(await count(ws, 'datasets')).toBe(0);
    expect(await count(ws, 'blob_refs')).toBe(0);
    expect(await count(ws, 'blobs')).toBe(0);
    const stored = await expectStoreConsistent(ws);
    expect(stored).not.toContain(sha('file number 7'));
    // What was copied before the failure is garbage, collected once past the grace period.
    const gc = await collectBlobs(ws, { graceMs: 0 });
    expect(gc.blobsRemoved).toBe(stored.length);
    expect(await expectStoreConsistent(ws)).toEqual([]);
  });

  test('a file changed between hashing and copying is detected', async () => {
    await writeTree(path.join(dir, 'shifty'), { 'a.txt': 'aaaa', 'b.txt': 'bbbb' });
    let changed = false;
    await expect(
      datasets.import(path.join(dir, 'shifty'), {
        project: 'vision',
        onProgress: (p) => {
          if (p.phase === 'copy' && !changed) {
            changed = true;
            // Synchronous so that it lands before any copy starts.
            writeFileSync(path.join(dir, 'shifty', 'b.txt'), 'BBBB');
          }
        },
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining("'b.txt' changed during import") });
    expect(await count(ws, 'datasets')).toBe(0);
    await expectStoreConsistent(ws);
  });
});

describe('find, list, trash', () => {
  async function importText(name: string, content: string, project = 'vision') {
    const p = path.join(dir, `${name}-${sha(content).slice(0, 8)}.txt`);
    await writeFile(p, content);
    return (await datasets.import(p, { project, name })).dataset;
  }

  test('refs: id, name, name@version; bad refs are input errors', async () => {
    const v1 = await importText('mnist', 'one');
    const v2 = await importText('mnist', 'two');
    expect((await datasets.get(v1.id)).version).toBe(1);
    expect((await datasets.get('mnist')).id).toBe(v2.id);
    expect((await datasets.get('mnist@1')).id).toBe(v1.id);
    await expect(datasets.get('mnist@3')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(datasets.get('../mnist')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(datasets.get('../../etc/passwd')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(datasets.get('mnist@0')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(datasets.get('mnist@x')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(datasets.get('')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(datasets.preview('mnist', { file: '../../../etc/passwd' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  test('list shows the latest live version per name; a name in two projects is ambiguous', async () => {
    await importText('mnist', 'one');
    await importText('mnist', 'two');
    await importText('cifar', 'three');
    expect((await datasets.list()).map((d) => `${d.name}@${d.version}`)).toEqual(['cifar@1', 'mnist@2']);
    expect((await datasets.list({ allVersions: true })).map((d) => `${d.name}@${d.version}`)).toEqual(['cifar@1', 'mnist@2', 'mnist@1']);
    await new Projects(ws).create('nlp');
    await importText('mnist', 'four', 'nlp');
    await expect(datasets.get('mnist')).rejects.toMatchObject({ code: 'AMBIGUOUS', message: expect.stringContaining('nlp, vision') });
    expect((await datasets.get('mnist', { project: 'nlp' })).version).toBe(1);
    expect((await datasets.list({ project: 'nlp' })).map((d) => d.name)).toEqual(['mnist']);
  });

  test('a dataset not found says when it is in the trash or in another project', async () => {
    const d = await importText('mnist', 'one');
    await new Projects(ws).create('nlp');
    await expect(datasets.get('mnist', { project: 'nlp' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      hint: 'it is in project vision, not this one: import it into this project too (the same content is stored only once)',
    });
    await expect(datasets.get('mnist@7')).rejects.toMatchObject({ code: 'NOT_FOUND', hint: 'mnist has version 1: see wb dataset list --all-versions' });
    await datasets.remove('mnist');
    await expect(datasets.get('mnist')).rejects.toMatchObject({ code: 'NOT_FOUND', hint: `it is in the trash: wb dataset restore ${d.id}` });
    await expect(datasets.get('mnist@1', { project: 'vision' })).rejects.toMatchObject({ hint: `it is in the trash: wb dataset restore ${d.id}` });
    await expect(datasets.get('never')).rejects.toMatchObject({ hint: 'see the datasets: wb dataset list, or import one: wb dataset import <path>' });
  });

  test('remove puts every version of a name in the trash; name@v just that one; restore brings them back', async () => {
    const v1 = await importText('mnist', 'one');
    const v2 = await importText('mnist', 'two');
    const removed = await datasets.remove('mnist');
    expect(removed.map((d) => d.version)).toEqual([1, 2]);
    expect(await datasets.list()).toEqual([]);
    expect((await datasets.list({ deleted: true, allVersions: true })).map((d) => d.version)).toEqual([2, 1]);
    await expect(datasets.get('mnist')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(datasets.get(v1.id)).rejects.toMatchObject({ code: 'NOT_FOUND', hint: expect.stringContaining('restore') });
    const restored = await datasets.restore('mnist');
    expect(restored.map((d) => d.version)).toEqual([1, 2]);
    expect((await datasets.get('mnist')).id).toBe(v2.id);

    await datasets.remove('mnist@2');
    expect((await datasets.get('mnist')).id).toBe(v1.id);
    await datasets.restore(v2.id);
    expect((await datasets.get('mnist')).id).toBe(v2.id);
    const types = (await listEvents(ws.db)).map((e) => e.type).filter((t) => t !== 'project.created' && t !== 'dataset.imported');
    expect(types).toEqual(['dataset.deleted', 'dataset.deleted', 'dataset.restored', 'dataset.restored', 'dataset.deleted', 'dataset.restored']);
  });

  test('a dataset of a project in the trash is restored with the project', async () => {
    await importText('mnist', 'one');
    await new Projects(ws).delete('vision');
    await expect(datasets.restore('mnist')).rejects.toMatchObject({ code: 'CONFLICT', hint: expect.stringContaining('wb project restore vision') });
    expect((await datasets.list({ project: 'vision', deleted: true })).map((d) => d.name)).toEqual(['mnist']);
    await new Projects(ws).restore('vision');
    expect((await datasets.get('mnist')).version).toBe(1);
  });
});

describe('verify', () => {
  test('re-hashes the blobs and names missing and corrupt files', async () => {
    await writeTree(path.join(dir, 'set'), { 'a.txt': 'alpha', 'b.txt': 'beta', 'c.txt': 'gamma' });
    const { dataset } = await datasets.import(path.join(dir, 'set'), { project: 'vision' });
    expect(await datasets.verify('set')).toMatchObject({ ok: true, filesChecked: 3, blobsChecked: 4, missing: [], corrupt: [], manifestOk: true });
    const bBlob = ws.blobs.pathFor(sha('beta'));
    await chmod(bBlob, 0o644);
    await writeFile(bBlob, 'BETA');
    await unlink(ws.blobs.pathFor(sha('gamma')));
    const r = await datasets.verify(dataset.id);
    expect(r).toMatchObject({ ok: false, missing: ['c.txt'], corrupt: ['b.txt'], manifestOk: true });
  });

  test('repair puts damaged stored copies back from the originals, and only from bytes that hash right', async () => {
    const set = path.join(dir, 'set');
    await writeTree(set, { 'a.txt': 'alpha', 'b.txt': 'beta', 'sub/c.txt': 'gamma' });
    const { dataset } = await datasets.import(set, { project: 'vision' });
    expect((await datasets.repair('set')).repaired).toEqual([]);
    const bBlob = ws.blobs.pathFor(sha('beta'));
    await chmod(bBlob, 0o644);
    await writeFile(bBlob, 'BETA');
    await unlink(ws.blobs.pathFor(sha('gamma')));
    // The original of b.txt changed since: it must not become the stored copy.
    await writeFile(path.join(set, 'b.txt'), 'beta, edited');
    const partial = await datasets.repair('set');
    expect(partial.repaired).toEqual(['sub/c.txt']);
    expect(partial.failed).toEqual([{ path: 'b.txt', reason: `${path.join(set, 'b.txt')} has changed since it was imported` }]);
    expect(partial.after).toMatchObject({ ok: false, missing: [], corrupt: ['b.txt'] });
    expect(await readFile(bBlob, 'utf8')).toBe('BETA');
    // The originals, moved elsewhere: --from.
    const moved = path.join(dir, 'moved');
    await writeTree(moved, { 'b.txt': 'beta' });
    const fixed = await datasets.repair(dataset.id, { from: moved });
    expect(fixed).toMatchObject({ repaired: ['b.txt'], failed: [], after: { ok: true } });
    expect(await readFile(bBlob, 'utf8')).toBe('beta');
    expect((await lstat(bBlob)).mode & 0o222).toBe(0);
  });

  test('repair of a file dataset reads the original file, and says when it is gone', async () => {
    const src = path.join(dir, 'train.csv');
    await writeFile(src, 'a,b\n1,2\n');
    const { dataset } = await datasets.import(src, { project: 'vision', name: 'train' });
    const blob = ws.blobs.pathFor(dataset.fingerprint);
    await chmod(blob, 0o644);
    await writeFile(blob, 'a,b\n1,3\n');
    expect(await datasets.repair('train')).toMatchObject({ repaired: ['train.csv'], failed: [], after: { ok: true } });
    await unlink(blob);
    await unlink(src);
    const gone = await datasets.repair('train');
    expect(gone.failed).toEqual([{ path: 'train.csv', reason: expect.stringContaining(`no original at ${src}`) }]);
    expect(gone.after.ok).toBe(false);
  });
});

describe('materialize', () => {
  test('a file dataset is a read-only link named like the original file', async () => {
    await writeFile(path.join(dir, 'train.csv'), 'a,b\n1,2\n');
    const { dataset } = await datasets.import(path.join(dir, 'train.csv'), { project: 'vision', name: 'train' });
    const p = await datasets.materialize(dataset.id);
    expect(p).toBe(path.join(ws.datasetsDir, dataset.id, 'train.csv'));
    expect(await readFile(p, 'utf8')).toBe('a,b\n1,2\n');
    expect((await lstat(p)).isSymbolicLink()).toBe(true);
    expect(await realpath(p)).toBe(await realpath(ws.blobs.pathFor(dataset.fingerprint)));
    expect(await datasets.materialize(dataset.id)).toBe(p);
  });

  test('a folder dataset mirrors its paths; concurrent calls agree and leave nothing behind', async () => {
    const tree = { 'train/cat.jpg': 'meow', 'train/deep/dog.jpg': 'woof', 'labels.csv': 'x\n' };
    await writeTree(path.join(dir, 'pets'), tree);
    const { dataset } = await datasets.import(path.join(dir, 'pets'), { project: 'vision' });
    const paths = await Promise.all(Array.from({ length: 6 }, () => datasets.materialize(dataset.id)));
    const root = path.join(ws.datasetsDir, dataset.id, 'pets');
    expect(new Set(paths)).toEqual(new Set([root]));
    for (const [rel, content] of Object.entries(tree)) expect(await readFile(path.join(root, rel), 'utf8')).toBe(content);
    expect(path.isAbsolute(await readlink(path.join(root, 'labels.csv')))).toBe(false);
    expect(await readdir(ws.datasetsDir)).toEqual([dataset.id]);
    expect((await lstat(root)).mode & 0o222).toBe(0);
    // (root ignores permissions, so only an unprivileged run can show the write refused)
    if (process.getuid?.() !== 0) await expect(writeFile(path.join(root, 'new.txt'), 'x')).rejects.toMatchObject({ code: 'EACCES' });
  });

  test('unknown and deleted datasets are refused', async () => {
    await expect(datasets.materialize('0000000000nothing0')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await writeFile(path.join(dir, 'x.csv'), 'a\n');
    const { dataset } = await datasets.import(path.join(dir, 'x.csv'), { project: 'vision' });
    await datasets.remove(dataset.id);
    await expect(datasets.materialize(dataset.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('preview', () => {
  test('a folder previews its first previewable file, or the one asked for', async () => {
    await writeTree(path.join(dir, 'mixed'), { 'README.md': '# hi', 'b.jsonl': '{"x":1}\n', 'a/data.csv': 'x,y\n1,2\n3,4\n' });
    await datasets.import(path.join(dir, 'mixed'), { project: 'vision' });
    expect(await datasets.preview('mixed')).toEqual({ format: 'csv', file: 'a/data.csv', columns: ['x', 'y'], rows: [['1', '2'], ['3', '4']], truncated: false });
    expect(await datasets.preview('mixed', { file: 'b.jsonl' })).toMatchObject({ format: 'jsonl', columns: ['x'], rows: [[1]] });
    await expect(datasets.preview('mixed', { file: 'README.md' })).rejects.toMatchObject({ code: 'INVALID_INPUT', hint: expect.stringContaining('.parquet') });
    await expect(datasets.preview('mixed', { limit: 5000 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await writeTree(path.join(dir, 'docs'), { 'README.md': '# hi' });
    await datasets.import(path.join(dir, 'docs'), { project: 'vision' });
    await expect(datasets.preview('docs')).rejects.toMatchObject({ code: 'INVALID_INPUT', hint: expect.stringContaining('.csv') });
  });
});
