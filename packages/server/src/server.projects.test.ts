import { writeFile } from 'node:fs/promises';
import { tempDir } from '@workbench/core';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test/helpers.js';

describe('projects and datasets over HTTP', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates, reads, renames, describes, deletes and restores a project', async () => {
    const created = await t.api('/projects', { method: 'POST', json: { name: 'vision', description: 'cats and dogs' } });
    expect(created.status).toBe(201);
    const p = await created.json();
    expect(p).toMatchObject({ name: 'vision', description: 'cats and dogs', deletedAt: null });

    expect(await t.json(`/projects/${p.id}`)).toMatchObject({ id: p.id, name: 'vision', runCount: 0, datasetCount: 0 });
    expect(await t.json('/projects/vision')).toMatchObject({ id: p.id });

    const renamed = await t.json(`/projects/vision`, { method: 'PATCH', json: { name: 'vision2', description: 'new text' } });
    expect(renamed).toMatchObject({ id: p.id, name: 'vision2', description: 'new text' });
    expect((await t.api('/projects/vision')).status).toBe(404);

    const list = await t.json('/projects');
    expect(list.projects.map((x: { name: string }) => x.name)).toEqual(['vision2']);

    const deleted = await t.json('/projects/vision2', { method: 'DELETE' });
    expect(deleted.deletedAt).not.toBeNull();
    expect((await t.json('/projects')).projects).toEqual([]);
    expect((await t.json('/projects?deleted')).projects.map((x: { name: string }) => x.name)).toEqual(['vision2']);

    const restored = await t.json('/projects/vision2/restore', { method: 'POST' });
    expect(restored).toMatchObject({ name: 'vision2', deletedAt: null });
  });

  it('refuses to delete a project with runs unless forced', async () => {
    await t.json('/projects', { method: 'POST', json: { name: 'busy' } });
    const run = await t.json('/runs', { method: 'POST', json: { project: 'busy', command: [process.execPath, '-e', '0'] } });
    const conflict = await t.api('/projects/busy', { method: 'DELETE' });
    expect(conflict.status).toBe(409);
    expect((await conflict.json()).error.code).toBe('CONFLICT');
    // Let the run end before forcing the delete.
    for (let i = 0; i < 200; i++) {
      const r = await t.json(`/runs/${run.id}`);
      if (r.status === 'succeeded') break;
      await new Promise((res) => setTimeout(res, 25));
    }
    expect((await t.api('/projects/busy?force=1', { method: 'DELETE' })).status).toBe(200);
  });

  it('imports, lists, previews, verifies, deletes and restores a dataset', async () => {
    await t.json('/projects', { method: 'POST', json: { name: 'tabular' } });
    const data = await tempDir('wb-data-');
    const folder = data.dir;
    const csv = path.join(folder, 'iris.csv');
    await writeFile(csv, 'a,b,label\n1,2,x\n3,4,y\n5,6,x\n');

    const rel = await t.api('/datasets/import', { method: 'POST', json: { path: 'iris.csv', project: 'tabular' } });
    expect(rel.status).toBe(400);

    const imported = await t.api('/datasets/import', { method: 'POST', json: { path: csv, project: 'tabular', name: 'iris' } });
    expect(imported.status, await imported.clone().text()).toBe(201);
    const r = await imported.json();
    expect(r).toMatchObject({ created: true, dataset: { name: 'iris', version: 1, kind: 'file', fileCount: 1 } });
    const again = await t.api('/datasets/import', { method: 'POST', json: { path: csv, project: 'tabular', name: 'iris' } });
    expect(again.status).toBe(200);
    expect((await again.json()).created).toBe(false);

    expect((await t.json('/datasets?project=tabular')).datasets.map((d: { name: string }) => d.name)).toEqual(['iris']);
    const detail = await t.json('/datasets/iris?project=tabular');
    expect(detail).toMatchObject({ name: 'iris', files: [{ size: 28, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }] });
    const preview = await t.json('/datasets/iris@1/preview?limit=2');
    expect(preview).toMatchObject({ format: 'csv', columns: ['a', 'b', 'label'], truncated: true });
    expect(preview.rows).toHaveLength(2);
    expect(await t.json('/datasets/iris/verify', { method: 'POST' })).toMatchObject({ ok: true, missing: [], corrupt: [] });

    const removed = await t.json('/datasets/iris', { method: 'DELETE' });
    expect(removed.datasets).toHaveLength(1);
    expect((await t.api('/datasets/iris')).status).toBe(404);
    expect((await t.json('/datasets/iris/restore', { method: 'POST' })).datasets[0]).toMatchObject({ name: 'iris', deletedAt: null });

    expect((await t.api('/datasets/import', { method: 'POST', json: { path: path.join(folder, 'missing.csv'), project: 'tabular' } })).status).toBe(404);
    await data.dispose();
  });

  it('lists events and templates', async () => {
    const e = await t.json('/events?limit=5');
    expect(e.events.length).toBeGreaterThan(0);
    expect(e.events[0]).toMatchObject({ seq: 1, type: 'project.created' });
    const next = await t.json(`/events?after=${e.lastSeq}`);
    expect(next.events[0].seq).toBe(e.lastSeq + 1);
    // headSeq is the newest event wherever the page ends: a live follower starts after it.
    const all = await t.json('/events?limit=10000');
    expect(e.headSeq).toBe(all.events.at(-1).seq);
    expect(next.headSeq).toBe(e.headSeq);
    expect((await t.json(`/events?after=${e.headSeq}`)).events).toEqual([]);
    const tpl = await t.json('/templates');
    expect(Array.isArray(tpl.templates)).toBe(true);
  });
});
