// What a new user meets in the first minutes: the README's commands, typos and slips of the
// keyboard. Each case here was once wrong in a way a first-time user would notice.
import { appendFile, chmod, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { tempDir } from '@workbench/core';
import { wb, wbJson, workspaceOf } from './testing/wb.js';

let home: string;
let dispose: () => Promise<void>;
beforeEach(async () => ({ dir: home, dispose } = await tempDir('wb-first-use-')));
afterEach(async () => dispose());

const csv = 'amount,hour,is_fraud\n12.5,3,0\n990,2,1\n40,14,0\n';

async function projectWithDataset(): Promise<void> {
  expect((await wb(home, ['project', 'create', 'fraud-detection'])).code).toBe(0);
  await writeFile(path.join(home, 'transactions.csv'), csv);
  expect((await wb(home, ['dataset', 'import', './transactions.csv', '--project', 'fraud-detection', '--name', 'transactions'])).code).toBe(0);
}

describe('first use', () => {
  test('dataset verify speaks plainly when intact, and fails with exit 10 when a stored file changed', async () => {
    await projectWithDataset();
    const ok = await wb(home, ['dataset', 'verify', 'transactions']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok: transactions@1, 1 file \(\d+ B\) match sha256 [0-9a-f]{64}\n$/);

    const d = await wbJson<{ fingerprint: string }>(home, ['dataset', 'show', 'transactions']);
    const blob = path.join(workspaceOf(home), 'blobs', 'sha256', d.fingerprint.slice(0, 2), d.fingerprint.slice(2, 4), d.fingerprint);
    await chmod(blob, 0o644);
    await appendFile(blob, '1,1,1\n');
    const bad = await wb(home, ['dataset', 'verify', 'transactions']);
    expect(bad.code).toBe(10);
    expect(bad.stdout).toBe('changed: transactions.csv\n');
    expect(bad.stderr).toContain('does not match what was imported (0 missing, 1 changed)');
    expect(bad.stderr).toContain('hint: ');
    const json = await wb(home, ['dataset', 'verify', 'transactions', '--json']);
    expect(json.code).toBe(10);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, corrupt: ['transactions.csv'], missing: [] });
  });

  test('a preview of a file the dataset does not have points at a command that exists', async () => {
    await projectWithDataset();
    const r = await wb(home, ['dataset', 'preview', 'transactions', '--file', '../../workbench.db']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('wb dataset show transactions@1');
    const rows = await wb(home, ['dataset', 'preview', 'transactions', '--rows', '0']);
    expect(rows.code).toBe(2);
    expect(rows.stderr).toContain("--rows must be a whole number from 1 to 1000, got '0'");
  });
});
