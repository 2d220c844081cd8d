import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Datasets } from './datasets/datasets.js';
import { listEvents } from './events.js';
import { collectBlobs, purge } from './gc.js';
import { SqliteHashCache } from './datasets/hash-cache.js';
import { Projects } from './projects.js';
import { Artifacts } from './runs/artifacts.js';
import { Runs } from './runs/runs.js';
import { tempDir, tempWorkspace } from './testing/temp-workspace.js';
import type { Workspace } from './workspace.js';
import { createHash } from 'node:crypto';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const LONG_AGO = new Date(Date.now() - 24 * 3600_000);

let ws: Workspace;
let disposeWs: () => Promise<void>;
let dir: string;
let disposeDir: () => Promise<void>;
let datasets: Datasets;
beforeEach(async () => {
  ({ ws, dispose: disposeWs } = await tempWorkspace());
  ({ dir, dispose: disposeDir } = await tempDir('wb-gc-'));
  await new Projects(ws).create('p1');
  await new Projects(ws).create('p2');
  datasets = new Datasets(ws);
});
afterEach(async () => {
  await disposeWs();
  await disposeDir();
});

async function tree(name: string, files: Record<string, string>): Promise<string> {
  const root = path.join(dir, name);
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), content);
  }
  return root;
}

/** Make every blob look old, as if imported long ago (past the grace period). */
async function ageBlobs(): Promise<void> {
  const base = path.join(ws.blobs.root, 'sha256');
  for (const a of await readdir(base)) for (const b of await readdir(path.join(base, a))) for (const f of await readdir(path.join(base, a, b))) await utimes(path.join(base, a, b, f), LONG_AGO, LONG_AGO);
}

async function rowCount(table: 'blobs' | 'blob_refs' | 'datasets' | 'dataset_files' | 'runs' | 'artifacts' | 'projects' | 'run_params' | 'run_tags'): Promise<number> {
  return Number((await ws.db.selectFrom(table).select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
}

describe('collectBlobs', () => {
  test('removes old unreferenced blobs, keeps referenced and recent ones', async () => {
    await writeFile(path.join(dir, 'kept.txt'), 'kept');
    await datasets.import(path.join(dir, 'kept.txt'), { project: 'p1' });
    await writeFile(path.join(dir, 'orphan.txt'), 'orphan');
    await ws.blobs.importFile(path.join(dir, 'orphan.txt')); // a crashed import: blob, no rows
    expect(await collectBlobs(ws)).toMatchObject({ blobsRemoved: 0, blobsKept: 1 });
    await ageBlobs();
    expect(await collectBlobs(ws, { dryRun: true })).toEqual({ blobsRemoved: 1, bytesFreed: 6, blobsKept: 0, dryRun: true });
    expect(await ws.blobs.has(sha('orphan'))).toBe(true);
    expect(await collectBlobs(ws)).toEqual({ blobsRemoved: 1, bytesFreed: 6, blobsKept: 0, dryRun: false });
    expect(await ws.blobs.has(sha('orphan'))).toBe(false);
    expect(await ws.blobs.has(sha('kept'))).toBe(true);
    expect((await datasets.verify('kept.txt')).ok).toBe(true);
  });

  test('a blob an import finds already stored is protected until the import commits', async () => {
    await writeFile(path.join(dir, 'x.txt'), 'xx');
    await ws.blobs.importFile(path.join(dir, 'x.txt'));
    await ageBlobs(); // old and unreferenced: garbage, until an import claims it
    let gc: Promise<unknown> | undefined;
    const root = await tree('claim', { 'x.txt': 'xx', 'y.txt': 'yy' });
    const r = await datasets.import(root, {
      project: 'p1',
      onProgress: (p) => {
        if (p.phase === 'copy' && p.filesDone === p.filesTotal && !gc) gc = collectBlobs(ws);
      },
    });
    await gc;
    expect(r.filesStored).toBe(1); // x.txt was already stored
    expect((await datasets.verify(r.dataset.id)).ok).toBe(true);
  });
});

describe('purge', () => {
  test('a blob shared with a live dataset in another project is kept; an unshared one goes', async () => {
    const a = await tree('a', { 'shared.txt': 'shared content', 'only-a.txt': 'only in a' });
    const b = await tree('b', { 'shared.txt': 'shared content', 'only-b.txt': 'only in b' });
    const da = (await datasets.import(a, { project: 'p1' })).dataset;
    await datasets.import(b, { project: 'p2' });
    await datasets.materialize(da.id);
    await datasets.remove('a', { project: 'p1' });
    await ageBlobs();

    const dry = await purge(ws, { dryRun: true });
    expect(dry.datasets.map((d) => d.id)).toEqual([da.id]);
    expect(dry).toMatchObject({ blobsRemoved: 2, dryRun: true }); // only-a.txt and a's manifest
    expect(await rowCount('datasets')).toBe(2);

    const r = await purge(ws);
    expect(r).toMatchObject({ blobsRemoved: 2, dryRun: false });
    expect(r.datasets.map((d) => d.id)).toEqual([da.id]);
    expect(await ws.blobs.has(sha('only in a'))).toBe(false);
    expect(await ws.blobs.has(sha('shared content'))).toBe(true);
    expect(await ws.blobs.has(sha('only in b'))).toBe(true);
    expect((await datasets.verify('b')).ok).toBe(true);
    expect(await ws.db.selectFrom('dataset_files').select('dataset_id').distinct().execute()).toHaveLength(1);
    expect(await ws.db.selectFrom('blob_refs').selectAll().where('owner_id', '=', da.id).execute()).toEqual([]);
    expect(await readdir(ws.datasetsDir)).toEqual([]);
    expect((await listEvents(ws.db, { entityId: da.id })).map((e) => e.type)).toEqual(['dataset.imported', 'dataset.deleted', 'dataset.purged']);
    await expect(datasets.get(da.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  test('the same content in two versions: purging one keeps what the other holds', async () => {
    const root = await tree('v', { 'a.txt': 'same', 'b.txt': 'first' });
    await datasets.import(root, { project: 'p1' });
    await writeFile(path.join(root, 'b.txt'), 'second');
    await datasets.import(root, { project: 'p1' });
    await datasets.remove('v@1');
    await ageBlobs();
    await purge(ws);
    expect(await ws.blobs.has(sha('same'))).toBe(true);
    expect(await ws.blobs.has(sha('first'))).toBe(false);
    expect((await datasets.verify('v@2')).ok).toBe(true);
  });

  test('a blob that is also a run artifact is never removed; purging the run releases it', async () => {
    await writeFile(path.join(dir, 'model.bin'), 'weights');
    const runs = new Runs(ws);
    const run = await runs.create({ project: 'p2', command: ['python', 'train.py'], params: { lr: 0.1 }, tags: { team: 'x' } });
    await new Artifacts(ws).add(run.id, { name: 'model.bin', file: path.join(dir, 'model.bin') });
    await datasets.import(path.join(dir, 'model.bin'), { project: 'p1', name: 'weights' });
    await datasets.remove('weights');
    await ageBlobs();
    await purge(ws);
    expect(await ws.blobs.has(sha('weights'))).toBe(true);
    expect(await rowCount('datasets')).toBe(0);

    await ws.db.updateTable('runs').set({ status: 'succeeded', deleted_at: Date.now() - 1000 }).where('id', '=', run.id).execute();
    const dry = await purge(ws, { dryRun: true });
    expect(dry).toMatchObject({ blobsRemoved: 1, runs: [{ id: run.id }] });
    const r = await purge(ws);
    expect(r).toMatchObject({ blobsRemoved: 1, bytesFreed: 7 });
    expect(await ws.blobs.has(sha('weights'))).toBe(false);
    for (const t of ['runs', 'artifacts', 'run_params', 'run_tags', 'blob_refs', 'blobs'] as const) expect(await rowCount(t)).toBe(0);
    expect((await listEvents(ws.db, { entityId: run.id })).at(-1)!.type).toBe('run.purged');
  });

  test('a purged project takes its runs and datasets along; older-than spares recent trash', async () => {
    const root = await tree('d', { 'a.txt': 'a' });
    await datasets.import(root, { project: 'p1' });
    await new Runs(ws).create({ project: 'p1', command: ['echo'] });
    await ws.db.updateTable('runs').set({ status: 'succeeded' }).execute();
    await new Projects(ws).delete('p1', { force: true });

    expect(await purge(ws, { olderThanDays: 1 })).toMatchObject({ projects: [], runs: [], datasets: [] });
    expect(await rowCount('projects')).toBe(2);

    await ageBlobs();
    const r = await purge(ws);
    expect(r.projects.map((p) => p.name)).toEqual(['p1']);
    expect(r.runs).toHaveLength(1);
    expect(r.datasets).toHaveLength(1);
    expect(r.blobsRemoved).toBe(2);
    expect(await rowCount('projects')).toBe(1);
    expect(await rowCount('runs')).toBe(0);
    expect(await rowCount('datasets')).toBe(0);
    expect(await rowCount('blobs')).toBe(0);
    const types = (await listEvents(ws.db)).map((e) => e.type);
    expect(types.slice(-3)).toEqual(['run.purged', 'dataset.purged', 'project.purged']);
    await expect(purge(ws, { olderThanDays: -1 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('remembered file hashes', () => {
  const DAY = 86_400_000;
  const entry = (ino: string) => ({ dev: '1', ino, size: 10, mtimeNs: '5', sha256: sha(ino) });

  test('wb gc forgets rows no lookup has used for 90 days; a lookup keeps a row alive', async () => {
    const cache = new SqliteHashCache(ws.db);
    await cache.store([entry('100'), entry('200'), entry('300')]);
    // Rows checked long ago: 100 and 200 untouched for 100 days, 300 for 10 days.
    await ws.db.updateTable('hash_cache').set({ checked_at: Date.now() - 100 * DAY }).where('ino', 'in', ['100', '200']).execute();
    await ws.db.updateTable('hash_cache').set({ checked_at: Date.now() - 10 * DAY }).where('ino', '=', '300').execute();

    // A check that still finds file 100 refreshes it (and answers from the cache as before).
    const hits = await cache.lookup([{ dev: '1', ino: '100' }, { dev: '1', ino: '999' }]);
    expect([...hits.keys()]).toEqual(['1:100']);

    const dry = await purge(ws, { dryRun: true });
    expect(dry.hashCacheRowsRemoved).toBe(1);
    expect((await ws.db.selectFrom('hash_cache').select('ino').execute()).length).toBe(3);

    const res = await purge(ws);
    expect(res.hashCacheRowsRemoved).toBe(1);
    const left = (await ws.db.selectFrom('hash_cache').select('ino').orderBy('ino').execute()).map((r) => r.ino);
    expect(left).toEqual(['100', '300']);
    expect((await cache.lookup([{ dev: '1', ino: '300' }])).get('1:300')?.sha256).toBe(sha('300'));
  });

  test('a recent hit does not write: checked_at moves at most once a day', async () => {
    const cache = new SqliteHashCache(ws.db);
    await cache.store([entry('1')]);
    const before = Date.now() - 3_600_000;
    await ws.db.updateTable('hash_cache').set({ checked_at: before }).execute();
    await cache.lookup([{ dev: '1', ino: '1' }]);
    const row = await ws.db.selectFrom('hash_cache').select('checked_at').executeTakeFirstOrThrow();
    expect(Number(row.checked_at)).toBe(before);
  });
});
