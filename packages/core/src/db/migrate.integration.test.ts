import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Projects } from '../projects.js';
import { Runs } from '../runs/runs.js';
import { tempDir } from '../testing/temp-workspace.js';
import { Workspace } from '../workspace.js';
import { migrations, schemaVersion } from './migrate.js';

let dir: string;
let dispose: () => Promise<void>;
beforeEach(async () => ({ dir, dispose } = await tempDir()));
afterEach(async () => dispose());

const appliedNames = async (ws: Workspace) =>
  (await ws.db.selectFrom('kysely_migration' as never).select('name' as never).orderBy('name' as never).execute()).map((r) => (r as { name: string }).name);

describe('migrations', () => {
  test('an empty file is brought to the latest schema', async () => {
    const ws = await Workspace.open(dir);
    expect(await appliedNames(ws)).toEqual(Object.keys(migrations));
    expect(schemaVersion).toBe(Object.keys(migrations).length);
    const tables = (await ws.db.introspection.getTables()).map((t) => t.name);
    for (const t of ['projects', 'runs', 'metric_chunks', 'run_metrics', 'log_lines', 'events', 'hash_cache']) expect(tables).toContain(t);
    await ws.close();
  });

  test('a workspace at the previous schema upgrades and keeps its data', async () => {
    const old = await Workspace.open(dir, { schemaUpTo: schemaVersion - 1 });
    expect(await appliedNames(old)).toEqual(Object.keys(migrations).slice(0, -1));
    const p = await new Projects(old).create('kept');
    const r = await new Runs(old).create({ project: 'kept', command: ['x'], params: { lr: 0.1 } });
    await new Runs(old).ingest(r.id, { metrics: [{ key: 'loss', step: 0, value: 1, ts: 0, attempt: 1 }], logs: [{ ts: 0, stream: 'stdout', level: 'INFO', text: 'hello' }] });
    await old.close();

    const ws = await Workspace.open(dir);
    expect(await appliedNames(ws)).toEqual(Object.keys(migrations));
    expect((await new Projects(ws).get('kept')).id).toBe(p.id);
    const again = await new Runs(ws).get(r.id);
    expect(again.params).toEqual({ lr: 0.1 });
    expect(again.metrics?.[0]).toMatchObject({ key: 'loss', count: 1 });
    // The upgrade is idempotent: opening again applies nothing.
    await ws.close();
    const third = await Workspace.open(dir);
    expect(await appliedNames(third)).toEqual(Object.keys(migrations));
    await third.close();
  });

  test('a schema step this version does not know is refused, and the file is left untouched', async () => {
    const ws = await Workspace.open(dir);
    await ws.db.insertInto('kysely_migration' as never).values({ name: '9999-future', timestamp: new Date().toISOString() } as never).execute();
    await ws.close();
    await expect(Workspace.open(dir)).rejects.toMatchObject({ code: 'WORKSPACE_TOO_NEW' });
    const raw = await Workspace.open(path.join(dir, 'other'));
    await raw.close();
  });
});
