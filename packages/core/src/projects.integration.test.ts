import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Projects } from './projects.js';
import { listEvents } from './events.js';
import { tempWorkspace } from './testing/temp-workspace.js';
import type { Workspace } from './workspace.js';

let ws: Workspace;
let dispose: () => Promise<void>;
beforeEach(async () => ({ ws, dispose } = await tempWorkspace()));
afterEach(async () => dispose());

describe('projects', () => {
  test('create, list, show, rename, and each change is an event', async () => {
    const projects = new Projects(ws);
    const p = await projects.create('fraud-detection', 'cards');
    expect(p.name).toBe('fraud-detection');
    expect((await projects.list()).map((x) => x.name)).toEqual(['fraud-detection']);
    expect((await projects.get('fraud-detection')).id).toBe(p.id);
    expect((await projects.get(p.id)).name).toBe('fraud-detection');
    const r = await projects.rename('fraud-detection', 'fraud');
    expect(r.name).toBe('fraud');
    await expect(projects.get('fraud-detection')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const events = await listEvents(ws.db);
    expect(events.map((e) => e.type)).toEqual(['project.created', 'project.renamed']);
    expect(events[1]!.payload).toEqual({ from: 'fraud-detection', to: 'fraud' });
  });

  test('duplicate and invalid names are refused with a clear code', async () => {
    const projects = new Projects(ws);
    await projects.create('a');
    await expect(projects.create('a')).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    await expect(projects.create('../etc')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(projects.create('')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(projects.create('x'.repeat(200))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await projects.create('b');
    await expect(projects.rename('b', 'a')).rejects.toMatchObject({ code: 'NAME_TAKEN' });
  });

  test('delete goes to the trash, frees the name, and restores', async () => {
    const projects = new Projects(ws);
    const p = await projects.create('a');
    await projects.delete('a');
    expect(await projects.list()).toEqual([]);
    expect((await projects.list({ deleted: true })).map((x) => x.id)).toEqual([p.id]);
    const again = await projects.create('a');
    expect(again.id).not.toBe(p.id);
    await expect(projects.restore(p.id)).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    await projects.rename(again.id, 'a2');
    const restored = await projects.restore(p.id);
    expect(restored.deletedAt).toBeNull();
    expect((await projects.list()).map((x) => x.name).sort()).toEqual(['a', 'a2']);
  });

  test('a description longer than the API takes is refused here too, on create and on update', async () => {
    const projects = new Projects(ws);
    await expect(projects.create('long', 'x'.repeat(10_001))).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('at most 10000 characters') });
    expect(await projects.list()).toEqual([]);
    await projects.create('short', 'x'.repeat(10_000));
    await expect(projects.describe('short', 'y'.repeat(20_000))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect((await projects.get('short')).description).toHaveLength(10_000);
  });

  test('a project in the trash is named as such when asked for, with the command that restores it', async () => {
    const projects = new Projects(ws);
    await projects.create('old');
    await projects.delete('old');
    for (const ask of [() => projects.resolve('old'), () => projects.get('old')]) {
      await expect(ask()).rejects.toMatchObject({ code: 'NOT_FOUND', hint: 'it is in the trash: wb project restore old' });
    }
    await expect(projects.resolve('never')).rejects.toMatchObject({ hint: 'see the projects: wb project list, or create it: wb project create never' });
  });
});
