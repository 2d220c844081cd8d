import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@workbench/core';
import { startServer, type RunningServer } from '@workbench/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchApiError, WorkbenchClient, fromWireNumber, type LogLine, type MetricPoint, type Run, type WbEvent } from './index.js';

const node = process.execPath;

describe('WorkbenchClient against a real server', () => {
  let server: RunningServer;
  let dispose: () => Promise<void>;
  let client: WorkbenchClient;
  let dir: string;

  beforeAll(async () => {
    const d = await tempDir('wb-sdk-');
    dir = d.dir;
    dispose = d.dispose;
    server = await startServer({ workspaceDir: dir, port: 0, webDir: null, handleSignals: false, quiet: true });
    client = new WorkbenchClient({ baseUrl: server.url, token: server.token });
  });
  afterAll(async () => {
    await server.close();
    await dispose();
  });

  it('reads health and the workspace', async () => {
    expect(await client.health()).toMatchObject({ ok: true });
    expect((await client.workspace()).dir).toBe(dir);
    const doc = await client.openapi();
    expect(Object.keys(doc.paths as object)).toContain('/api/v1/runs');
  });

  it('manages projects and throws WorkbenchApiError with code, status and hint', async () => {
    const p = await client.createProject('sdk', 'from the SDK');
    expect(p).toMatchObject({ name: 'sdk', description: 'from the SDK' });
    expect((await client.listProjects()).map((x) => x.name)).toContain('sdk');
    expect(await client.updateProject('sdk', { description: 'changed' })).toMatchObject({ description: 'changed' });

    const err = await client.createProject('sdk').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkbenchApiError);
    expect(err).toMatchObject({ code: 'NAME_TAKEN', status: 409, hint: expect.any(String) });
    const missing = await client.getProject('nope').catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'NOT_FOUND', status: 404 });

    const bad = new WorkbenchClient({ baseUrl: server.url, token: 'wrong' });
    await expect(bad.listProjects()).rejects.toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    const down = new WorkbenchClient({ baseUrl: 'http://127.0.0.1:1', token: 'x' });
    await expect(down.health()).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 0, hint: expect.stringContaining('wb serve') });
    expect(() => new WorkbenchClient({ baseUrl: '', token: 'x' })).toThrow(TypeError);
  });

  it('starts a run and follows it live: logs, metrics (NaN as strings), end', async () => {
    const script = `
      const fs = require('fs');
      for (let i = 0; i < 100; i++) {
        console.log('step ' + i);
        fs.writeSync(3, JSON.stringify({ type: 'metric', key: 'train/loss', value: i === 50 ? 'NaN' : 1 / (i + 1), step: i }) + '\\n');
      }`;
    const run = await client.startRun({ project: 'sdk', name: 'followed', command: [node, '-e', script] });
    const lines: LogLine[] = [];
    const points: MetricPoint[] = [];
    const ended = await new Promise<Run>((resolve, reject) => {
      client.subscribe(
        run.id,
        {
          onLogs: (l) => lines.push(...l),
          onMetrics: (p) => points.push(...p),
          onRun: (r) => {
            if (r.status === 'succeeded' || r.status === 'failed') resolve(r);
          },
          onError: reject,
        },
        { untilEnded: true },
      );
    });
    expect(ended.status).toBe('succeeded');
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: lines.length }, (_, i) => i + 1));
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual(Array.from({ length: 100 }, (_, i) => `step ${i}`));
    expect(points).toHaveLength(100);
    expect(points[50]!.value).toBe('NaN');
    expect(Number.isNaN(fromWireNumber(points[50]!.value))).toBe(true);

    expect((await client.getLogs(run.id, { after: 5, limit: 3 })).lines.map((l) => l.seq)).toEqual([6, 7, 8]);
    const metrics = await client.getMetrics(run.id);
    expect(metrics[0]).toMatchObject({ key: 'train/loss', count: 100 });
    const series = await client.getMetricSeries(run.id, 'train/loss', { maxPoints: 10 });
    expect(series).toMatchObject({ key: 'train/loss', total: 100, nonFinite: 1, downsampled: true });
    expect(series.points.length).toBeLessThanOrEqual(10);
    expect((await client.getMetricSeries(run.id, 'train/loss', { all: true })).points).toHaveLength(100);

    const listed = await client.listRuns({ project: 'sdk', status: ['succeeded'], where: 'metric:train/loss:min<0.5', details: true });
    expect(listed.runs.map((r) => r.id)).toContain(run.id);
    const detail = await client.getRun(run.id);
    expect(detail.artifacts).toEqual([]);
  });

  it('waits for a run, cancels one, downloads artifacts', async () => {
    const work = await tempDir('wb-sdk-art-');
    try {
      const bytes = randomBytes(300_000);
      await writeFile(path.join(work.dir, 'w.bin'), bytes);
      const script = `require('fs').writeSync(3, JSON.stringify({ type: 'artifact', path: 'w.bin', name: 'weights/w 1.bin' }) + '\\n');`;
      const run = await client.startRun({ project: 'sdk', command: [node, '-e', script], cwd: work.dir });
      const done = await client.waitForRun(run.id, { timeoutMs: 20_000 });
      expect(done.status).toBe('succeeded');
      const arts = await client.listArtifacts(run.id);
      expect(arts.map((a) => a.name)).toEqual(['weights/w 1.bin']);
      const res = await client.downloadArtifact(run.id, 'weights/w 1.bin');
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
      await expect(client.downloadArtifact(run.id, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });

      const sleeper = await client.startRun({ project: 'sdk', command: [node, '-e', 'setTimeout(() => {}, 60000)'] });
      await client.cancelRun(sleeper.id);
      expect((await client.waitForRun(sleeper.id, { timeoutMs: 20_000 })).status).toBe('cancelled');
      await expect(client.waitForRun('zzzzzzzz')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await work.dispose();
    }
  });

  it('reconnects after the connection drops and resumes without gaps or repeats', async () => {
    const script = `
      let i = 0;
      const t = setInterval(() => { console.log('tick ' + i++); if (i === 300) clearInterval(t); }, 3);`;
    const run = await client.startRun({ project: 'sdk', command: [node, '-e', script] });
    const lines: LogLine[] = [];
    let opens = 0;
    let dropped = false;
    const ended = new Promise<Run>((resolve) => {
      const sub = client.subscribe(
        run.id,
        {
          onOpen: () => opens++,
          onLogs: (l) => {
            lines.push(...l);
            if (!dropped && lines.length > 50) {
              dropped = true;
              // Cut every connection from the server side.
              for (const c of server.app.websocketServer.clients) c.terminate();
            }
          },
          onRun: (r) => {
            if (r.status === 'succeeded') {
              sub.close();
              resolve(r);
            }
          },
        },
        { reconnect: { initialDelayMs: 20 } },
      );
    });
    await ended;
    expect(opens).toBeGreaterThanOrEqual(2);
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: lines.length }, (_, i) => i + 1));
    expect(lines.filter((l) => l.stream === 'stdout')).toHaveLength(300);
  });

  it('follows the event log', async () => {
    const events: WbEvent[] = [];
    const sub = client.subscribeEvents({ onEvents: (e) => events.push(...e) });
    await client.createProject('evented-sdk');
    const deadline = Date.now() + 5000;
    while (!events.some((e) => e.type === 'project.created' && (e.payload as { name: string }).name === 'evented-sdk') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    sub.close();
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    expect(events.some((e) => e.type === 'project.created')).toBe(true);
    expect((await client.listEvents({ after: 0, limit: 2 })).events).toHaveLength(2);
  });

  it('manages datasets', async () => {
    const data = await tempDir('wb-sdk-data-');
    try {
      await writeFile(path.join(data.dir, 'x.jsonl'), '{"a":1}\n{"a":2}\n');
      const r = await client.importDataset({ path: path.join(data.dir, 'x.jsonl'), project: 'sdk', name: 'x' });
      expect(r.created).toBe(true);
      expect((await client.listDatasets({ project: 'sdk' })).map((d) => d.name)).toEqual(['x']);
      expect((await client.getDataset('x')).files).toHaveLength(1);
      expect((await client.previewDataset('x')).rows).toHaveLength(2);
      expect((await client.verifyDataset('x')).ok).toBe(true);
      expect(await client.deleteDataset('x')).toHaveLength(1);
      expect(await client.restoreDataset('x')).toHaveLength(1);
    } finally {
      await data.dispose();
    }
  });

  it('tags, moves, deletes and restores runs; lists templates', async () => {
    const { runs } = await client.listRuns({ project: 'sdk', status: 'succeeded', limit: 1 });
    const id = runs[0]!.id;
    expect((await client.setRunTags(id, { k: 'v' })).tags).toMatchObject({ k: 'v' });
    await client.createProject('sdk2');
    expect((await client.moveRun(id, 'sdk2')).projectName).toBe('sdk2');
    expect((await client.deleteRun(id)).deletedAt).not.toBeNull();
    expect((await client.getRun(id, { deleted: true })).id).toBe(id);
    expect((await client.restoreRun(id)).deletedAt).toBeNull();
    expect(Array.isArray(await client.listTemplates())).toBe(true);
    expect((await client.deleteProject('sdk2', { force: true })).deletedAt).not.toBeNull();
    expect((await client.restoreProject('sdk2')).deletedAt).toBeNull();
  });
});

