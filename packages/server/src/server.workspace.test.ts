import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@workbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test/helpers.js';

describe('GET /workspace', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.close();
  });

  it('reports what the stored datasets add up to beside what the blob store holds (the same content is stored once)', async () => {
    const empty = await t.json('/workspace');
    expect(empty.sizes).toMatchObject({ blobBytes: 0, referencedBytes: 0 });
    await t.json('/projects', { method: 'POST', json: { name: 'dedup' } });
    const data = await tempDir('wb-ws-');
    const file = path.join(data.dir, 'rows.csv');
    await writeFile(file, 'x,y\n' + '1,2\n'.repeat(1000));
    for (const name of ['first', 'second']) expect((await t.api('/datasets/import', { method: 'POST', json: { path: file, project: 'dedup', name } })).status).toBe(201);
    const w = await t.json('/workspace');
    expect(w.sizes.blobBytes).toBeGreaterThan(4000);
    // Two datasets of the same bytes: referenced twice, stored once (plus each one's manifest).
    expect(w.sizes.referencedBytes).toBe(2 * 4004);
    expect(w.sizes.blobBytes).toBeLessThan(w.sizes.referencedBytes);
    await data.dispose();
  });
});
