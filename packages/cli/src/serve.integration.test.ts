import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { isAlive, tempDir } from '@workbench/core';
import { python, spawnWb, waitFor, wb, wbJson, workspaceOf } from './testing/wb.js';

let home: string;
let dispose: () => Promise<void>;
beforeEach(async () => ({ dir: home, dispose } = await tempDir('wb-serve-')));
afterEach(async () => dispose());

async function serve() {
  const child = spawnWb(home, ['serve', '--port', '0', '--json']);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const info = await waitFor(async () => {
    const line = out.split('\n').find((l) => l.startsWith('{'));
    return line ? (JSON.parse(line) as { url: string; tokenUrl: string; port: number }) : null;
  }, 20_000, 'wb serve to start');
  const token = (await readFile(path.join(workspaceOf(home), 'token'), 'utf8')).trim();
  const api = async (method: string, url: string, body?: unknown) => {
    const r = await fetch(info.url + url, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: r.status, body: (await r.json()) as any };
  };
  return { child, info, token, api };
}

describe('wb serve', () => {
  test('prints a local URL with the token; refuses a second server on the workspace', async () => {
    const s = await serve();
    expect(s.info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.info.tokenUrl).toContain(`token=${s.token}`);
    expect((await s.api('GET', '/api/v1/projects')).status).toBe(200);
    const second = await wb(home, ['serve', '--port', '0']);
    expect(second.code).toBe(6);
    expect(second.stderr).toContain('already running');
    expect((await wbJson<{ server: string }>(home, ['workspace'])).server).toBe(s.info.url);
    s.child.kill('SIGTERM');
    expect((await s.child.result).code).toBe(0);
  });

  test('runs from the server and from the CLI at the same time on one workspace lose nothing', async () => {
    const s = await serve();
    await s.api('POST', '/api/v1/projects', { name: 'p' });
    const script = path.join(home, 'many.py');
    await writeFile(script, 'import workbench as wb\nfor i in range(20000):\n    wb.log_metric("x", float(i), step=i)\n    if i % 1000 == 0: print("line", i)\n');
    const fromServer = await Promise.all([0, 1].map(() => s.api('POST', '/api/v1/runs', { project: 'p', command: [python, script] })));
    const fromCli = await Promise.all([0, 1].map(() => wb(home, ['run', '--project', 'p', '--quiet', '--', python, script])));
    for (const r of fromCli) expect(r.code).toBe(0);
    const ids = fromServer.map((r) => r.body.id as string);
    await waitFor(async () => {
      const runs = await Promise.all(ids.map((id) => s.api('GET', `/api/v1/runs/${id}`)));
      return runs.every((r) => r.body.status === 'succeeded');
    }, 60_000, 'the server runs to finish');
    const { runs } = await wbJson<{ runs: Array<{ id: string; metrics: Array<{ key: string; count: number }> }> }>(home, ['run', 'list']);
    expect(runs).toHaveLength(4);
    for (const r of runs) expect(r.metrics).toEqual([expect.objectContaining({ key: 'x', count: 20000 })]);
    for (const r of runs) {
      const logs = await s.api('GET', `/api/v1/runs/${r.id}/logs?limit=1000`);
      expect((logs.body.lines as Array<{ text: string }>).filter((l) => l.text.startsWith('line ')).length).toBe(20);
    }
    s.child.kill('SIGTERM');
    await s.child.result;
  });

  test('SIGKILL the server mid-run: the next start marks the run lost, stops the orphan, keeps what was stored', async () => {
    const s = await serve();
    expect((await s.api('POST', '/api/v1/projects', { name: 'p' })).status).toBe(201);
    const started = await s.api('POST', '/api/v1/runs', { project: 'p', command: [process.execPath, '-e', "console.log('pid ' + process.pid); setInterval(() => {}, 1000)"] });
    expect(started.status).toBe(201);
    const id = started.body.id as string;
    const pid = await waitFor(async () => {
      const logs = await s.api('GET', `/api/v1/runs/${id}/logs`);
      const line = (logs.body.lines as Array<{ text: string }>).find((l) => l.text.startsWith('pid '));
      return line ? Number(line.text.slice(4)) : null;
    }, 15_000, 'the run to log its pid');
    s.child.kill('SIGKILL');
    await s.child.result;
    expect(isAlive(pid)).toBe(true);

    const again = await serve();
    const run = await again.api('GET', `/api/v1/runs/${id}`);
    expect(run.body.status).toBe('lost');
    await waitFor(async () => !isAlive(pid), 5000, 'the orphan to stop');
    const logs = await again.api('GET', `/api/v1/runs/${id}/logs`);
    expect((logs.body.lines as Array<{ text: string }>).some((l) => l.text === `pid ${pid}`)).toBe(true);
    again.child.kill('SIGINT');
    await again.child.result;
  });
});

describe('npm start', () => {
  test('the start script builds what is stale, creates the workspace and prints the token URL', async () => {
    const { spawn } = await import('node:child_process');
    const { repoRoot } = await import('./testing/wb.js');
    const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'start.mjs'), '--port', '0'], {
      cwd: repoRoot,
      env: { ...process.env, WB_HOME: workspaceOf(home) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const tokenUrl = await waitFor(async () => /web app:\s+(http:\/\/127\.0\.0\.1:\d+\/\S*token=\S+)/.exec(out)?.[1], 120_000, 'npm start to serve');
    const token = (await readFile(path.join(workspaceOf(home), 'token'), 'utf8')).trim();
    expect(tokenUrl).toContain(token);
    const page = await fetch(tokenUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
  }, 180_000);
});
