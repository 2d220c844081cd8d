import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Projects } from '../projects.js';
import { Runs } from '../runs/runs.js';
import { tempDir } from '../testing/temp-workspace.js';
import { Workspace } from '../workspace.js';
import { openSqlite } from './connect.js';
import { migrations, schemaVersion } from './migrate.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

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

describe('schema upgrades are all-or-nothing', () => {
  test('a step that fails leaves none of the steps before it half-applied', async () => {
    const conn = openSqlite(path.join(dir, 'partial.db'));
    const provider = {
      getMigrations: async () => ({
        '0001-a': { up: async (db: Kysely<any>) => void (await db.schema.createTable('a').addColumn('x', 'integer').execute()) },
        '0002-b': {
          up: async (db: Kysely<any>) => {
            await db.schema.createTable('b').addColumn('x', 'integer').execute();
            throw new Error('killed half-way');
          },
        },
      }),
    };
    const { error } = await new Migrator({ db: conn.db, provider }).migrateToLatest();
    expect(String(error)).toContain('killed half-way');
    const tables = (await conn.db.introspection.getTables()).map((t) => t.name);
    expect(tables).not.toContain('a');
    expect(tables).not.toContain('b');
    await conn.close();
  });

  test('a process killed at any moment of its first open leaves a workspace the next open finishes', async () => {
    const core = path.join(repoRoot, 'packages', 'core', 'dist', 'index.js');
    for (let i = 0; i < 12; i++) {
      const ws = path.join(dir, `killed-${i}`);
      const child = spawn(process.execPath, ['--input-type=module', '-e', `const { Workspace } = await import(${JSON.stringify(pathToFileURL(core).href)}); await Workspace.open(process.argv[1]); process.stdout.write('open');`, ws], { stdio: ['ignore', 'pipe', 'inherit'] });
      // Spread the kills over the child's start-up and its first open.
      await new Promise((r) => setTimeout(r, 40 + i * 25));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
      const reopened = await Workspace.open(ws);
      expect(await appliedNames(reopened)).toEqual(Object.keys(migrations));
      await reopened.close();
    }
  });
});
