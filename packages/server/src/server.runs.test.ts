import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Runs, Workspace, tempDir } from '@workbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WsClient, sleep, startTestServer, waitUntil, type TestServer } from '../test/helpers.js';

const node = process.execPath;

/** Check log lines arrived in seq order with no gap and no duplicate. */
function expectContiguous(seqs: number[], from = 1): void {
  for (let i = 0; i < seqs.length; i++) if (seqs[i] !== from + i) throw new Error(`seq ${seqs[i]} at position ${i}, expected ${from + i}`);
}

const logLines = (c: WsClient, runId: string) => c.messages.filter((m) => m.type === 'logs' && m.runId === runId).flatMap((m) => m.lines);
const metricPoints = (c: WsClient, runId: string) => c.messages.filter((m) => m.type === 'metrics' && m.runId === runId).flatMap((m) => m.points);

describe('runs over HTTP and WebSocket', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    await t.json('/projects', { method: 'POST', json: { name: 'p' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('starts a run and streams its logs and metrics live, in order, then its end', async () => {
    const script = `
      const fs = require('fs');
      let i = 0;
      const timer = setInterval(() => {
        for (let k = 0; k < 5; k++, i++) {
          console.log('line ' + i);
          fs.writeSync(3, JSON.stringify({ type: 'metric', key: 'loss', value: 1 / (i + 1), step: i }) + '\\n');
        }
        if (i >= 200) { clearInterval(timer); fs.writeSync(3, JSON.stringify({ type: 'progress', current: 200, total: 200 }) + '\\n'); }
      }, 2);`;
    const c = await WsClient.connect(t.server);
    const res = await t.api('/runs', { method: 'POST', json: { project: 'p', name: 'live', command: [node, '-e', script], params: { lr: 0.1 }, tags: { who: 'test' } } });
    expect(res.status).toBe(201);
    const run = await res.json();
    expect(run).toMatchObject({ name: 'live', status: 'queued', params: { lr: 0.1 }, tags: { who: 'test' } });
    c.send({ op: 'subscribe', runId: run.id, afterLogSeq: 0, afterMetricSeq: 0 });

    const final = await c.waitFor((m) => m.type === 'run' && m.run.status === 'succeeded');
    expect(final.run).toMatchObject({ id: run.id, exitCode: 0, progress: { current: 200, total: 200 } });
    const finalAt = c.messages.indexOf(final);
    // Nothing of the run's output comes after the message that says it ended.
    expect(c.messages.slice(finalAt + 1).filter((m) => m.type === 'logs' || m.type === 'metrics')).toEqual([]);

    const lines = logLines(c, run.id);
    expectContiguous(lines.map((l: { seq: number }) => l.seq));
    const stdout = lines.filter((l: { stream: string }) => l.stream === 'stdout').map((l: { text: string }) => l.text);
    expect(stdout).toEqual(Array.from({ length: 200 }, (_, i) => `line ${i}`));
    const stored = await t.json(`/runs/${run.id}/logs?limit=10000`);
    expect(lines).toEqual(stored.lines);

    const points = metricPoints(c, run.id);
    expectContiguous(points.map((p: { seq: number }) => p.seq));
    expect(points.map((p: { step: number }) => p.step)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(points[9]).toMatchObject({ key: 'loss', step: 9, value: 0.1 });
    // The run was seen running before it ended.
    expect(c.messages.some((m) => m.type === 'run' && m.run.status === 'running')).toBe(true);
    c.close();
  });

  it('catches up from given seqs, pages, and tails the log over HTTP', async () => {
    const script = `for (let i = 0; i < 50; i++) console.log(i % 10 === 0 ? 'tenth ' + i : 'line ' + i); console.error('oops');`;
    const run = await t.json('/runs', { method: 'POST', json: { project: 'p', command: [node, '-e', script] } });
    await waitUntil(async () => (await t.json(`/runs/${run.id}`)).status === 'succeeded');
    const all = await t.json(`/runs/${run.id}/logs`);
    expect(all.lines.length).toBeGreaterThanOrEqual(53); // + started / ended system lines
    const page = await t.json(`/runs/${run.id}/logs?after=10&limit=5`);
    expect(page.lines.map((l: { seq: number }) => l.seq)).toEqual([11, 12, 13, 14, 15]);
    expect(page.lastSeq).toBe(15);
    const tail = await t.json(`/runs/${run.id}/logs?tail=1&limit=2`);
    expect(tail.lines.map((l: { seq: number }) => l.seq)).toEqual([all.lastSeq - 1, all.lastSeq]);
    expect((await t.json(`/runs/${run.id}/logs?search=tenth&stream=stdout`)).lines).toHaveLength(5);
    expect((await t.json(`/runs/${run.id}/logs?stream=stderr`)).lines.map((l: { text: string }) => l.text)).toEqual(['oops']);

    const c = await WsClient.connect(t.server);
    c.send({ op: 'subscribe', runId: run.id.slice(0, 10), afterLogSeq: 40 });
    await c.waitFor((m) => m.type === 'run');
    const got = logLines(c, run.id);
    expect(got[0].seq).toBe(41);
    expectContiguous(got.map((l: { seq: number }) => l.seq), 41);
    expect(got.at(-1).seq).toBe(all.lastSeq);
    c.close();
  });

  it('delivers writes made by another connection (another process) through data_version polling', async () => {
    const ws2 = await Workspace.open(t.dir, { actor: 'cli:test' });
    try {
      const runs2 = new Runs(ws2);
      const run = await runs2.create({ project: 'p', name: 'external', command: ['external'] });
      const c = await WsClient.connect(t.server);
      c.send({ op: 'subscribe', runId: run.id });
      await c.waitFor((m) => m.type === 'run' && m.run.status === 'queued');
      await runs2.transition(run.id, 'running');
      for (let i = 1; i <= 100; i++) {
        await runs2.ingest(run.id, { logs: [{ ts: Date.now(), stream: 'stdout', level: 'INFO', text: `external ${i}` }], metrics: i % 10 === 0 ? [{ key: 'acc', step: i, value: i / 100, ts: Date.now(), attempt: 1 }] : [] });
        await c.waitFor(() => logLines(c, run.id).length >= i, 5000);
      }
      await runs2.transition(run.id, 'succeeded', { exitCode: 0 });
      await c.waitFor((m) => m.type === 'run' && m.run.status === 'succeeded');
      const lines = logLines(c, run.id);
      expectContiguous(lines.map((l: { seq: number }) => l.seq));
      expect(lines.map((l: { text: string }) => l.text)).toEqual(Array.from({ length: 100 }, (_, i) => `external ${i + 1}`));
      expect(metricPoints(c, run.id).map((p: { value: number }) => p.value)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
      c.close();
    } finally {
      await ws2.close();
    }
  });

  it('streams domain events, live', async () => {
    const c = await WsClient.connect(t.server);
    c.send({ op: 'subscribe-events', afterSeq: 0 });
    await c.waitFor((m) => m.type === 'events');
    const before = c.messages.filter((m) => m.type === 'events').flatMap((m) => m.events);
    expectContiguous(before.map((e: { seq: number }) => e.seq));
    await t.json('/projects', { method: 'POST', json: { name: 'evented' } });
    const e = await c.waitFor((m) => m.type === 'events' && m.events.some((x: { type: string; payload: { name?: string } }) => x.type === 'project.created' && x.payload.name === 'evented'));
    expect(e.events.at(-1).seq).toBeGreaterThan(before.at(-1).seq);
    // A description change (no notification from core) still reaches subscribers at once.
    await t.json('/projects/evented', { method: 'PATCH', json: { description: 'changed' } });
    await c.waitFor((m) => m.type === 'events' && m.events.some((x: { type: string }) => x.type === 'project.updated'), 2000);
    const all = c.messages.filter((m) => m.type === 'events').flatMap((m) => m.events);
    expectContiguous(all.map((x: { seq: number }) => x.seq));
    c.close();
  });

  it('stops reading for a slow client over ~8 MB unsent, and resumes without losing a line', async () => {
    const runs = new Runs(t.server.workspace);
    const run = await runs.create({ project: 'p', name: 'flood', command: ['x'] });
    const c = await WsClient.connect(t.server);
    const tcp = (c.socket as unknown as { _socket: import('node:net').Socket })._socket;
    c.send({ op: 'subscribe', runId: run.id });
    await c.waitFor((m) => m.type === 'run');
    tcp.pause(); // the client stops reading: the server's socket buffer fills
    const text = 'x'.repeat(300);
    const total = 80_000; // ~25 MB of log messages
    for (let i = 0; i < total; i += 10_000) {
      await runs.ingest(run.id, { logs: Array.from({ length: 10_000 }, (_, k) => ({ ts: Date.now(), stream: 'stdout' as const, level: 'INFO', text: `${i + k} ${text}` })) });
    }
    await waitUntil(async () => t.server.app.workbench.hub.stats().paused === 1, 10_000);
    await sleep(200);
    const { HIGH_WATER_BYTES } = await import('./stream.js');
    // Paused: what it holds for this client stays near the high-water mark, not the 25 MB stored.
    const buffered = (t.server.app.workbench.hub as unknown as { clients: Set<{ socket: { bufferedAmount: number } }> }).clients.values().next().value!.socket.bufferedAmount;
    expect(buffered).toBeLessThan(HIGH_WATER_BYTES + 4 * 1024 * 1024);
    tcp.resume();
    await c.waitFor(() => logLines(c, run.id).length >= total, 30_000);
    const lines = logLines(c, run.id);
    expect(lines).toHaveLength(total);
    expectContiguous(lines.map((l: { seq: number }) => l.seq));
    expect(t.server.app.workbench.hub.stats().paused).toBe(0);
    c.close();
  });

  it('answers malformed messages with an error and keeps the connection', async () => {
    const c = await WsClient.connect(t.server);
    c.send('not json');
    await c.waitFor((m) => m.type === 'error');
    c.send({ op: 'dance' });
    c.send({ op: 'subscribe' });
    c.send({ op: 'subscribe', runId: 'zzzzzzzzzz' });
    await c.waitFor((m) => m.type === 'error' && m.runId === 'zzzzzzzzzz');
    expect(c.messages.filter((m) => m.type === 'error').map((m) => m.error.code)).toEqual(['INVALID_INPUT', 'INVALID_INPUT', 'INVALID_INPUT', 'NOT_FOUND']);
    c.send({ op: 'subscribe-events' });
    await c.waitFor((m) => m.type === 'events');
    expect(c.socket.readyState).toBe(c.socket.OPEN);
    c.close();
  });

  it('cancels a running process (it really stops) and a run cancelled right after it was started', async () => {
    const sleeper = [node, '-e', 'console.log("sleeping"); setTimeout(() => {}, 60000)'];
    const run = await t.json('/runs', { method: 'POST', json: { project: 'p', command: sleeper } });
    await waitUntil(async () => (await t.json(`/runs/${run.id}/logs?search=sleeping`)).lines.length > 0);
    const row = await t.server.workspace.db.selectFrom('runs').select('child_pid').where('id', '=', run.id).executeTakeFirstOrThrow();
    expect(row.child_pid).toBeGreaterThan(0);
    const started = Date.now();
    const cancelled = await t.json(`/runs/${run.id}/cancel`, { method: 'POST' });
    expect(['running', 'cancelled']).toContain(cancelled.status);
    const ended = await waitUntil(async () => {
      const r = await t.json(`/runs/${run.id}`);
      return r.status === 'cancelled' ? r : null;
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(ended.statusReason).toContain('cancel');
    expect(() => process.kill(row.child_pid!, 0)).toThrow();
    // Cancelling again: it has ended.
    expect((await t.api(`/runs/${run.id}/cancel`, { method: 'POST' })).status).toBe(409);

    // Cancel at once, before its process exists.
    const quick = await t.json('/runs', { method: 'POST', json: { project: 'p', command: sleeper } });
    await t.json(`/runs/${quick.id}/cancel`, { method: 'POST' });
    const q = await waitUntil(async () => {
      const r = await t.json(`/runs/${quick.id}`);
      return r.status === 'cancelled' ? r : null;
    }, 5000);
    expect(q.status).toBe('cancelled');
  });

  it('resumes a failed run as its next attempt, supervised by the server', async () => {
    const script = `const a = Number(process.env.WB_ATTEMPT); require('fs').writeSync(3, JSON.stringify({ type: 'metric', key: 'x', value: a, step: 0 }) + '\\n'); process.exit(a === 1 ? 2 : 0);`;
    const run = await t.json('/runs', { method: 'POST', json: { project: 'p', command: [node, '-e', script] } });
    await waitUntil(async () => ((await t.json(`/runs/${run.id}`)).status === 'failed' ? true : null));
    const resumed = await t.json(`/runs/${run.id}/resume`, { method: 'POST' });
    expect(resumed).toMatchObject({ status: 'queued', attempt: 2 });
    const done = await waitUntil(async () => {
      const r = await t.json(`/runs/${run.id}`);
      return r.status === 'succeeded' ? r : null;
    });
    expect(done.attempt).toBe(2);
    const series = await t.json(`/runs/${run.id}/metrics/x?all=1`);
    expect(JSON.stringify(series)).toContain('"attempt":2');
    expect((await t.api(`/runs/${run.id}/resume`, { method: 'POST' })).status).toBe(409);
  });

  it('returns NaN and ±Infinity as strings, and downsamples a 100k-point series', async () => {
    const lines = [
      '{"type":"metric","key":"loss","value":"NaN","step":0}',
      '{"type":"metric","key":"loss","value":"Infinity","step":1}',
      '{"type":"metric","key":"loss","value":-Infinity,"step":2}',
      '{"type":"metric","key":"loss","value":0.5,"step":3}',
    ];
    const script = `const fs = require('fs'); for (const l of ${JSON.stringify(lines)}) fs.writeSync(3, l + '\\n');`;
    const run = await t.json('/runs', { method: 'POST', json: { project: 'p', command: [node, '-e', script] } });
    await waitUntil(async () => (await t.json(`/runs/${run.id}`)).status === 'succeeded');
    const summaries = await t.json(`/runs/${run.id}/metrics`);
    expect(summaries.metrics).toEqual([{ key: 'loss', last: 0.5, lastStep: 3, min: '-Infinity', max: 'Infinity', count: 4 }]);
    const all = await t.json(`/runs/${run.id}/metrics/loss?all=1`);
    expect(all).toMatchObject({ mode: 'all', total: 4, nonFinite: 3 });
    expect(all.points.map((p: { value: unknown }) => p.value)).toEqual(['NaN', 'Infinity', '-Infinity', 0.5]);
    const chart = await t.json(`/runs/${run.id}/metrics/loss`);
    expect(chart).toMatchObject({ mode: 'series', total: 4, nonFinite: 3, points: [{ step: 3, value: 0.5 }] });
    const detail = await t.json(`/runs/${run.id}`);
    expect(detail.metrics[0]).toMatchObject({ key: 'loss', min: null, max: null, last: 0.5 });
    // The stream carries them as strings too.
    const c = await WsClient.connect(t.server);
    c.send({ op: 'subscribe', runId: run.id });
    await c.waitFor((m) => m.type === 'run');
    expect(metricPoints(c, run.id).map((p: { value: unknown }) => p.value)).toEqual(['NaN', 'Infinity', '-Infinity', 0.5]);
    c.close();
    expect((await t.api(`/runs/${run.id}/metrics/nope`)).status).toBe(404);

    // 100k points, with one spike up and one down that a chart must keep.
    const runs = new Runs(t.server.workspace);
    const big = await runs.create({ project: 'p', command: ['x'] });
    const n = 100_000;
    const pts = Array.from({ length: n }, (_, i) => ({ key: 'train/loss', step: i, value: i === 54_321 ? 100 : i === 77_777 ? -100 : Math.sin(i / 1000), ts: 1_700_000_000_000 + i, attempt: 1 }));
    for (let i = 0; i < n; i += 25_000) await runs.ingest(big.id, { metrics: pts.slice(i, i + 25_000) });
    const started = performance.now();
    const ds = await t.json(`/runs/${big.id}/metrics/${encodeURIComponent('train/loss')}?maxPoints=500`);
    const ms = performance.now() - started;
    expect(ds).toMatchObject({ key: 'train/loss', mode: 'series', total: n, nonFinite: 0, downsampled: true });
    expect(ds.points.length).toBeLessThanOrEqual(500);
    expect(ds.points.length).toBeGreaterThan(400);
    const values = ds.points.map((p: { value: number }) => p.value);
    expect(values).toContain(100);
    expect(values).toContain(-100);
    expect(ds.points[0].step).toBe(0);
    expect(ds.points.at(-1).step).toBe(n - 1);
    const steps = ds.points.map((p: { step: number }) => p.step);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    expect((await t.json(`/runs/${big.id}/metrics/train/loss`)).points.length).toBeLessThanOrEqual(2000);
    const raw = await t.json(`/runs/${big.id}/metrics/train/loss?all=1`);
    expect(raw.points).toHaveLength(n);
    console.log(`100k-point series → ${ds.points.length} points over HTTP in ${ms.toFixed(1)} ms`);
  });

  it('stores artifacts and downloads them byte for byte', async () => {
    const work = await tempDir('wb-art-');
    try {
      const bytes = randomBytes(1024 * 1024 + 123);
      await writeFile(path.join(work.dir, 'model.bin'), bytes);
      await writeFile(path.join(work.dir, 'plot.txt'), 'π ≈ 3.14159\n');
      const script = `
        const fs = require('fs');
        fs.writeSync(3, JSON.stringify({ type: 'artifact', path: 'model.bin', name: 'models/best model.bin', kind: 'model' }) + '\\n');
        fs.writeSync(3, JSON.stringify({ type: 'artifact', path: 'plot.txt', name: 'plots/loss-π.txt', kind: 'plot' }) + '\\n');`;
      const run = await t.json('/runs', { method: 'POST', json: { project: 'p', command: [node, '-e', script], cwd: work.dir } });
      await waitUntil(async () => (await t.json(`/runs/${run.id}`)).status === 'succeeded');
      const detail = await t.json(`/runs/${run.id}`);
      expect(detail.artifacts.map((a: { name: string }) => a.name)).toEqual(['models/best model.bin', 'plots/loss-π.txt']);
      expect((await t.json(`/runs/${run.id}/artifacts`)).artifacts).toHaveLength(2);

      const r = await t.api(`/runs/${run.id}/artifacts/models/${encodeURIComponent('best model.bin')}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-length')).toBe(String(bytes.length));
      expect(r.headers.get('content-disposition')).toBe(`attachment; filename="best model.bin"; filename*=UTF-8''best%20model.bin`);
      const got = Buffer.from(await r.arrayBuffer());
      expect(got.equals(bytes)).toBe(true);
      expect(r.headers.get('x-workbench-sha256')).toBe(createHash('sha256').update(bytes).digest('hex'));

      const p = await t.api(`/runs/${run.id}/artifacts/${encodeURIComponent('plots/loss-π.txt')}`);
      expect(await p.text()).toBe('π ≈ 3.14159\n');
      expect(p.headers.get('content-disposition')).toContain("filename*=UTF-8''loss-%CF%80.txt");
      expect((await t.api(`/runs/${run.id}/artifacts/nope.bin`)).status).toBe(404);
      expect((await t.api(`/runs/${run.id}/artifacts/../../token`)).status).toBe(404);
    } finally {
      await work.dispose();
    }
  });

  it('moves, tags, deletes and restores a run; lists with filters', async () => {
    const run = await t.json('/runs', { method: 'POST', json: { project: 'p', name: 'tagme', command: [node, '-e', '0'], params: { lr: 0.5 } } });
    expect((await t.api(`/runs/${run.id}`, { method: 'DELETE' })).status).toBe(409); // still queued or running
    await waitUntil(async () => (await t.json(`/runs/${run.id}`)).status === 'succeeded');
    // Besides the new tag, the git.commit/git.dirty tags recorded at launch (the server runs in this checkout).
    expect((await t.json(`/runs/${run.id}/tags`, { method: 'PATCH', json: { tags: { stage: 'tuning' } } })).tags).toMatchObject({ stage: 'tuning' });
    await t.json('/projects', { method: 'POST', json: { name: 'other' } });
    expect((await t.json(`/runs/${run.id}/move`, { method: 'POST', json: { project: 'other' } })).projectName).toBe('other');
    const listed = await t.json('/runs?project=other&details=1&where=param:lr>0.1&status=succeeded,failed');
    expect(listed.total).toBe(1);
    expect(listed.runs[0]).toMatchObject({ id: run.id, params: { lr: 0.5 }, tags: { stage: 'tuning' } });
    expect((await t.json('/runs?project=other&where=param:lr>0.9')).total).toBe(0);
    expect((await t.api('/runs?where=bogus')).status).toBe(400);
    expect((await t.json(`/runs/${run.id}`, { method: 'DELETE' })).deletedAt).not.toBeNull();
    expect((await t.api(`/runs/${run.id}`)).status).toBe(404);
    expect((await t.json(`/runs/${run.id}?deleted=1`)).id).toBe(run.id);
    expect((await t.json(`/runs/${run.id}/restore`, { method: 'POST' })).deletedAt).toBeNull();
    const bad = await t.api('/runs', { method: 'POST', json: { project: 'p' } });
    expect(bad.status).toBe(400);
    expect((await t.api('/runs', { method: 'POST', json: { project: 'nope', command: ['x'] } })).status).toBe(404);
  });

  it('refuses a relative working folder and param or tag names that are empty or hold control characters, recording no run', async () => {
    const before = (await t.json('/runs?limit=10000')).total;
    for (const [body, message] of [
      [{ cwd: '../../' }, 'is not an absolute path'],
      [{ params: { '': 1 } }, 'a param name must be 1-256 characters'],
      [{ params: { 'a\nb': 1 } }, 'a param name must not contain control characters'],
      [{ tags: { 'x\ty': 'v' } }, 'a tag name must not contain control characters'],
      [{ params: { lr: 'PLACEHOLDER_INF' } }, "param 'lr' holds NaN or Infinity"],
    ] as const) {
      // Raw JSON: 1e999 parses to Infinity, which JSON.stringify cannot write.
      const raw = JSON.stringify({ project: 'p', command: [node, '-e', '1'], ...body }).replace('"PLACEHOLDER_INF"', '1e999');
      const res = await t.api('/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
      expect(res.status, raw).toBe(400);
      expect((await res.json()).error.message).toContain(message);
    }
    expect((await t.json('/runs?limit=10000')).total).toBe(before);
    const r = await t.json('/runs', { method: 'POST', json: { project: 'p', command: [node, '-e', '1'] } });
    const tag = await t.api(`/runs/${r.id}/tags`, { method: 'PATCH', json: { tags: { 'a\rb': 'v' } } });
    expect(tag.status).toBe(400);
    expect((await tag.json()).error.message).toContain('a tag name must not contain control characters');
  });
});

describe('the run queue', () => {
  it('runs at most WB_MAX_CONCURRENT_RUNS at once; the rest wait in order; a cancelled queued run is skipped', async () => {
    const saved = process.env.WB_MAX_CONCURRENT_RUNS;
    process.env.WB_MAX_CONCURRENT_RUNS = '1';
    const t = await startTestServer();
    if (saved === undefined) delete process.env.WB_MAX_CONCURRENT_RUNS;
    else process.env.WB_MAX_CONCURRENT_RUNS = saved;
    try {
      await t.json('/projects', { method: 'POST', json: { name: 'q' } });
      const flag = path.join(t.dir, 'go');
      const waiter = [node, '-e', 'const fs = require("fs"); const t = setInterval(() => { if (fs.existsSync(process.argv[1])) clearInterval(t); }, 10);', flag];
      const a = await t.json('/runs', { method: 'POST', json: { project: 'q', name: 'a', command: waiter } });
      const b = await t.json('/runs', { method: 'POST', json: { project: 'q', name: 'b', command: [node, '-e', '0'] } });
      const c = await t.json('/runs', { method: 'POST', json: { project: 'q', name: 'c', command: [node, '-e', '0'] } });
      await waitUntil(async () => (await t.json(`/runs/${a.id}`)).status === 'running');
      await sleep(150);
      expect((await t.json(`/runs/${b.id}`)).status).toBe('queued');
      expect((await t.json(`/runs/${c.id}`)).status).toBe('queued');
      expect((await t.json(`/runs/${c.id}/cancel`, { method: 'POST' })).status).toBe('cancelled');
      await writeFile(flag, '');
      const bDone = await waitUntil(async () => {
        const r = await t.json(`/runs/${b.id}`);
        return r.status === 'succeeded' ? r : null;
      });
      const aDone = await t.json(`/runs/${a.id}`);
      expect(aDone.status).toBe('succeeded');
      expect(Date.parse(bDone.startedAt)).toBeGreaterThanOrEqual(Date.parse(aDone.endedAt));
      const cDone = await t.json(`/runs/${c.id}`);
      expect(cDone).toMatchObject({ status: 'cancelled', startedAt: null });
    } finally {
      await t.close();
    }
  });

  it('cancels queued runs and stops running ones when the server closes', async () => {
    const t = await startTestServer({ maxConcurrentRuns: 1 });
    await t.json('/projects', { method: 'POST', json: { name: 'q' } });
    const sleeper = [node, '-e', 'console.log("up"); setTimeout(() => {}, 60000)'];
    const a = await t.json('/runs', { method: 'POST', json: { project: 'q', command: sleeper } });
    const b = await t.json('/runs', { method: 'POST', json: { project: 'q', command: sleeper } });
    await waitUntil(async () => (await t.json(`/runs/${a.id}/logs?search=up`)).lines.length > 0);
    const ws = await Workspace.open(t.dir);
    try {
      await t.server.close();
      const runs = new Runs(ws);
      expect((await runs.get(a.id)).status).toBe('cancelled');
      expect((await runs.get(b.id)).status).toBe('cancelled');
    } finally {
      await ws.close();
      await t.close();
    }
  });
});
