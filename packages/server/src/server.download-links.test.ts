import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@workbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitUntil, type TestServer } from '../test/helpers.js';
import { DOWNLOAD_LINK_MS, downloadLinkValid, signDownloadLink } from './download-links.js';

describe('short-lived artifact links', () => {
  let t: TestServer;
  let runId = '';
  const work = tempDir('wb-links-');
  beforeAll(async () => {
    t = await startTestServer();
    const w = await work;
    await writeFile(path.join(w.dir, 'w.bin'), 'weights 42');
    await t.json('/projects', { method: 'POST', json: { name: 'p' } });
    const script = `require('fs').writeSync(3, JSON.stringify({ type: 'artifact', path: 'w.bin', name: 'models/best (1).bin', kind: 'model' }) + '\\n');`;
    const run = await t.json('/runs', { method: 'POST', json: { project: 'p', command: [process.execPath, '-e', script], cwd: w.dir } });
    runId = run.id;
    await waitUntil(async () => (await t.json(`/runs/${run.id}`)).status === 'succeeded');
  });
  afterAll(async () => {
    await t.close();
    await (await work).dispose();
  });

  it('a link opens its artifact without the token; tampered, other or token-less paths are refused', async () => {
    const link = await t.json(`/runs/${runId}/artifact-links`, { method: 'POST', json: { name: 'models/best (1).bin' } });
    expect(link.expiresAt).toBeGreaterThan(Date.now());
    const res = await fetch(`${t.server.url}${link.url}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('weights 42');
    expect(res.headers.get('content-disposition')).toContain('attachment');
    // Changing the path, the expiry or the signature loses it.
    const u = new URL(link.url, t.server.url);
    const tamper = async (f: (x: URL) => void) => {
      const x = new URL(u);
      f(x);
      return (await fetch(x)).status;
    };
    expect(await tamper((x) => (x.pathname = x.pathname.replace('best', 'worst')))).toBe(401);
    expect(await tamper((x) => x.searchParams.set('exp', String(Number(x.searchParams.get('exp')) + 1)))).toBe(401);
    expect(await tamper((x) => x.searchParams.set('sig', 'A'.repeat(43)))).toBe(401);
    expect(await tamper((x) => (x.pathname = `/api/v1/runs/${runId}`))).toBe(401);
    expect(await tamper((x) => x.searchParams.delete('sig'))).toBe(401);
    // A link for an artifact that does not exist is not made.
    expect((await t.api(`/runs/${runId}/artifact-links`, { method: 'POST', json: { name: 'nope.bin' } })).status).toBe(404);
    expect((await t.api(`/runs/${runId}/artifact-links`, { method: 'POST', json: { name: '../../token' } })).status).toBeGreaterThanOrEqual(400);
  });

  it('links expire', () => {
    const p = `/api/v1/runs/r1/artifacts/a.bin`;
    const now = 1_000_000_000_000;
    const { url } = signDownloadLink(p, now);
    expect(downloadLinkValid(url, now + 1000)).toBe(true);
    expect(downloadLinkValid(url, now + DOWNLOAD_LINK_MS + 1)).toBe(false);
    expect(downloadLinkValid(url.replace('/r1/', '/r2/'), now)).toBe(false);
    expect(downloadLinkValid(p, now)).toBe(false);
  });
});
