import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { tempDir } from '@workbench/core';
import { wb, wbJson } from './testing/wb.js';

let home: string;
let dispose: () => Promise<void>;
beforeEach(async () => ({ dir: home, dispose } = await tempDir('wb-cli-')));
afterEach(async () => dispose());

describe('wb basics', () => {
  test('--version and --help', async () => {
    const v = await wb(home, ['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const h = await wb(home, ['--help']);
    for (const c of ['project', 'dataset', 'run', 'template', 'serve', 'gc']) expect(h.stdout).toContain(c);
  });

  test('project lifecycle: create, list, show, rename, delete refused with runs, --force, restore', async () => {
    expect((await wb(home, ['project', 'create', 'fraud-detection'])).stdout).toContain('created project fraud-detection');
    const dup = await wb(home, ['project', 'create', 'fraud-detection']);
    expect(dup.code).toBe(4);
    expect(dup.stderr).toContain("a project named 'fraud-detection' already exists");
    expect(dup.stderr).toContain('hint:');
    const list = await wbJson<Array<{ name: string; runCount: number }>>(home, ['project', 'list']);
    expect(list.map((p) => p.name)).toEqual(['fraud-detection']);
    expect((await wb(home, ['project', 'list'])).stdout).toMatch(/NAME\s+RUNS/);
    const r = await wb(home, ['run', '--project', 'fraud-detection', '--quiet', '--', process.execPath, '-e', '1']);
    expect(r.code).toBe(0);
    const refused = await wb(home, ['project', 'delete', 'fraud-detection']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('--force');
    expect((await wb(home, ['project', 'rename', 'fraud-detection', 'fraud'])).code).toBe(0);
    const shown = await wbJson<{ name: string; runs: unknown[] }>(home, ['project', 'show', 'fraud']);
    expect(shown.name).toBe('fraud');
    expect(shown.runs).toHaveLength(1);
    expect((await wb(home, ['project', 'delete', 'fraud', '--force'])).code).toBe(0);
    expect(await wbJson(home, ['project', 'list'])).toEqual([]);
    expect(await wbJson(home, ['run', 'list'])).toMatchObject({ total: 0 });
    expect((await wb(home, ['project', 'restore', 'fraud'])).code).toBe(0);
    expect(await wbJson(home, ['run', 'list'])).toMatchObject({ total: 1 });
  });

  test('bad names and unknown things get clear errors and exit codes', async () => {
    const bad = await wb(home, ['project', 'create', '../etc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid project name/);
    const missing = await wb(home, ['project', 'show', 'nope']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("project 'nope' not found");
    const noRun = await wb(home, ['run', 'show', 'abcdef']);
    expect(noRun.code).toBe(3);
  });

  test('a numeric option that does not parse is refused, never read as a default: gc keeps the trash', async () => {
    expect((await wb(home, ['project', 'create', 'old'])).code).toBe(0);
    expect((await wb(home, ['project', 'delete', 'old'])).code).toBe(0);
    const bad = await wb(home, ['gc', '--older-than', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--older-than must be a number from 0 up, got 'abc'");
    expect((await wbJson<Array<{ name: string }>>(home, ['project', 'list', '--deleted'])).map((p) => p.name)).toEqual(['old']);
    for (const args of [['run', 'list', '--limit', '0'], ['run', 'list', '--offset', '-1'], ['serve', '--port', '70000']]) {
      const r = await wb(home, args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/must be a whole number from/);
    }
  });

  test('datasets: import a file twice stores nothing new; folders; preview; rm', async () => {
    await wb(home, ['project', 'create', 'p']);
    const csv = path.join(home, 'transactions.csv');
    await writeFile(csv, 'amount,merchant,is_fraud\n10.5,shop,0\n999,"odd, inc",1\n');
    const first = await wbJson<{ created: boolean; dataset: { name: string; fingerprint: string; fileCount: number } }>(home, ['dataset', 'import', csv, '--project', 'p']);
    expect(first.created).toBe(true);
    expect(first.dataset.name).toBe('transactions.csv');
    expect(first.dataset.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const again = await wb(home, ['dataset', 'import', csv, '--project', 'p']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing new stored');
    const named = await wbJson<{ dataset: { name: string } }>(home, ['dataset', 'import', csv, '--project', 'p', '--name', 'transactions']);
    expect(named.dataset.name).toBe('transactions');
    const folder = path.join(home, 'images');
    await mkdir(path.join(folder, 'a'), { recursive: true });
    await writeFile(path.join(folder, 'a', '1.txt'), 'one');
    await writeFile(path.join(folder, '2.txt'), 'two');
    const f = await wbJson<{ dataset: { kind: string; fileCount: number } }>(home, ['dataset', 'import', folder, '--project', 'p']);
    expect(f.dataset).toMatchObject({ kind: 'folder', fileCount: 2 });
    const list = await wbJson<Array<{ name: string }>>(home, ['dataset', 'list', '--project', 'p']);
    expect(list.map((d) => d.name).sort()).toEqual(['images', 'transactions', 'transactions.csv']);
    const prev = await wbJson<{ columns: string[]; rows: unknown[][] }>(home, ['dataset', 'preview', 'transactions']);
    expect(prev.columns).toEqual(['amount', 'merchant', 'is_fraud']);
    expect(prev.rows[1]).toContain('odd, inc');
    const missing = await wb(home, ['dataset', 'import', path.join(home, 'nope.csv'), '--project', 'p']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nope\.csv/);
    expect((await wb(home, ['dataset', 'rm', 'images'])).code).toBe(0);
    expect((await wbJson<unknown[]>(home, ['dataset', 'list'])).length).toBe(2);
  });
});
