import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Projects } from '../projects.js';
import { listEvents } from '../events.js';
import { processStartTime } from '../process-info.js';
import { tempWorkspace } from '../testing/temp-workspace.js';
import type { Workspace } from '../workspace.js';
import { Artifacts, checkArtifactName } from './artifacts.js';
import { readLogs } from './logs.js';
import { readRawSeries, readSeries } from './metrics.js';
import { Runs } from './runs.js';

let ws: Workspace;
let dir: string;
let dispose: () => Promise<void>;
beforeEach(async () => {
  ({ ws, dir, dispose } = await tempWorkspace());
  await new Projects(ws).create('p');
});
afterEach(async () => dispose());

describe('runs', () => {
  test('create, transition and every change is an event', async () => {
    const runs = new Runs(ws);
    const run = await runs.create({ project: 'p', command: ['python3', 'train.py'], params: { lr: 0.01, opt: 'adam' }, tags: { team: 'a' } });
    expect(run.status).toBe('queued');
    expect(run.name).toBe('run-1');
    expect(run.params).toEqual({ lr: 0.01, opt: 'adam' });
    await runs.transition(run.id, 'running');
    const done = await runs.transition(run.id, 'succeeded', { exitCode: 0 });
    expect(done.status).toBe('succeeded');
    expect(done.endedAt).not.toBeNull();
    await expect(runs.transition(run.id, 'running')).rejects.toMatchObject({ code: 'CONFLICT' });
    const types = (await listEvents(ws.db, { entityId: run.id })).map((e) => e.type);
    expect(types).toEqual(['run.created', 'run.status', 'run.status']);
    expect((await runs.get(run.id.slice(0, 12))).id).toBe(run.id);
    await expect(runs.get('zzzz')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(runs.get('../x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  test('metrics: every point kept, summaries maintained, NaN and Infinity survive', async () => {
    const runs = new Runs(ws);
    const run = await runs.create({ project: 'p', command: ['x'] });
    const pts = (xs: Array<[number, number, number?]>) => xs.map(([step, value, attempt]) => ({ key: 'loss', step, value, ts: Date.now(), attempt: attempt ?? 1 }));
    await runs.ingest(run.id, { metrics: pts([[0, 1], [1, 0.5], [2, NaN], [3, Infinity]]) });
    await runs.ingest(run.id, { metrics: pts([[1, 0.4, 2], [2, 0.3, 2]]) });
    const raw = await readRawSeries(ws.db, run.id, 'loss');
    expect(raw.step.length).toBe(6);
    expect(Array.from(raw.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    const latest = await readSeries(ws.db, run.id, 'loss');
    expect(Array.from(latest.step)).toEqual([0, 1, 2, 3]);
    expect(Array.from(latest.value)).toEqual([1, 0.4, 0.3, Infinity]);
    const got = await runs.get(run.id);
    expect(got.metrics).toEqual([{ key: 'loss', last: 0.3, lastStep: 2, min: 0.3, max: Infinity, count: 6 }]);
  });

  test('list sorts and filters by params and metric summaries', async () => {
    const runs = new Runs(ws);
    const ids: string[] = [];
    for (const [lr, loss] of [[0.1, 0.5], [0.01, 0.2], [0.001, 0.9]] as const) {
      const r = await runs.create({ project: 'p', command: ['x'], params: { lr, opt: lr > 0.005 ? 'adam' : 'sgd' } });
      await runs.ingest(r.id, { metrics: [{ key: 'loss', step: 0, value: loss, ts: 0, attempt: 1 }] });
      ids.push(r.id);
    }
    const byLoss = await runs.list({ sort: 'metric:loss', desc: false });
    expect(byLoss.runs.map((r) => r.id)).toEqual([ids[1], ids[0], ids[2]]);
    const byLr = await runs.list({ sort: 'param:lr', desc: true });
    expect(byLr.runs.map((r) => r.id)).toEqual([ids[0], ids[1], ids[2]]);
    const filtered = await runs.list({ where: ['param:lr>=0.01', 'metric:loss:min<0.6'] });
    expect(filtered.runs.map((r) => r.id).sort()).toEqual([ids[0], ids[1]].sort());
    expect(filtered.total).toBe(2);
    const sgd = await runs.list({ where: ['param:opt=sgd'], details: true });
    expect(sgd.runs.map((r) => r.id)).toEqual([ids[2]]);
    expect(sgd.runs[0]!.params).toEqual({ lr: 0.001, opt: 'sgd' });
    await expect(runs.list({ where: ['nonsense'] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(runs.list({ sort: 'color' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  test('a run asked for by its name, or by too short a prefix, gets a hint with the id', async () => {
    const runs = new Runs(ws);
    const one = await runs.create({ project: 'p', name: 'baseline', command: ['x'] });
    await expect(runs.get('baseline')).rejects.toMatchObject({ code: 'NOT_FOUND', hint: `'baseline' is the name of run ${one.id} (p); runs are named by id: wb run show ${one.id}` });
    await runs.create({ project: 'p', name: 'sweep 1', command: ['x'] });
    await runs.create({ project: 'p', name: 'sweep 1', command: ['x'] });
    await expect(runs.get('sweep 1')).rejects.toMatchObject({ hint: "several runs are named 'sweep 1'; runs are named by id: wb run list --name 'sweep 1'" });
    await expect(runs.get('01m')).rejects.toMatchObject({ hint: 'give at least 4 characters of the run id: see wb run list' });
    await expect(runs.get('zzzzzz')).rejects.toMatchObject({ hint: 'see wb run list' });
  });

  test('an ordering filter against NaN is refused; text is ordered against text only', async () => {
    const runs = new Runs(ws);
    const num = await runs.create({ project: 'p', command: ['x'], params: { lr: 0.01, day: 3 } });
    const text = await runs.create({ project: 'p', command: ['x'], params: { lr: 'auto', day: '2026-11-20' } });
    for (const w of ['param:lr>NaN', 'param:lr<=Infinity', 'param:lr>-inf']) {
      await expect(runs.list({ where: [w] }), w).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('has no order') });
    }
    // Before: numbers' JSON text ('0.01') sorted after any quoted string, so this matched the numeric run.
    expect((await runs.list({ where: ['param:day>2026-11-01'] })).runs.map((r) => r.id)).toEqual([text.id]);
    expect((await runs.list({ where: ['param:lr!=NaN'] })).total).toBe(2);
    expect((await runs.list({ where: ['param:lr>0.001'] })).runs.map((r) => r.id)).toEqual([num.id]);
  });

  test('logs keep order, stream and level; search escapes wildcards', async () => {
    const runs = new Runs(ws);
    const run = await runs.create({ project: 'p', command: ['x'] });
    await runs.ingest(run.id, { logs: [
      { ts: 1, stream: 'stdout', level: 'INFO', text: 'epoch 1 100%' },
      { ts: 2, stream: 'stderr', level: 'ERROR', text: 'boom' },
      { ts: 3, stream: 'stdout', level: 'INFO', text: 'epoch 2 50_x' },
    ] });
    expect((await readLogs(ws.db, run.id)).map((l) => l.seq)).toEqual([1, 2, 3]);
    expect((await readLogs(ws.db, run.id, { stream: 'stderr' })).map((l) => l.text)).toEqual(['boom']);
    expect((await readLogs(ws.db, run.id, { search: '100%' })).map((l) => l.seq)).toEqual([1]);
    expect((await readLogs(ws.db, run.id, { search: '_x' })).map((l) => l.seq)).toEqual([3]);
    expect((await readLogs(ws.db, run.id, { afterSeq: 1, limit: 1 })).map((l) => l.seq)).toEqual([2]);
    expect((await readLogs(ws.db, run.id, { tail: true, limit: 2 })).map((l) => l.seq)).toEqual([2, 3]);
  });

  test('artifacts are verified, contained, and replace by name', async () => {
    const runs = new Runs(ws);
    const run = await runs.create({ project: 'p', command: ['x'] });
    const file = path.join(dir, 'model.pkl');
    await writeFile(file, 'weights');
    const arts = new Artifacts(ws);
    const { artifact } = await arts.add(run.id, { name: 'model.pkl', kind: 'model', file });
    expect(artifact.size).toBe(7);
    await expect(arts.add(run.id, { name: 'model.pkl', file, sha256: '0'.repeat(64) })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    for (const bad of ['../x', '/etc/passwd', 'a/../../b', 'C:\\x', '']) expect(() => checkArtifactName(bad)).toThrow();
    expect(checkArtifactName('./ckpt//e1.pt')).toBe('ckpt/e1.pt');
    await writeFile(file, 'weights v2');
    await arts.add(run.id, { name: 'model.pkl', file });
    const list = await arts.list(run.id);
    expect(list).toHaveLength(1);
    expect(list[0]!.size).toBe(10);
    expect(await ws.blobs.verify(list[0]!.sha256)).toBe(true);
  });

  test('a run whose supervisor died is marked lost; a live one is left alone', async () => {
    const runs = new Runs(ws);
    const live = await runs.create({ project: 'p', command: ['x'] });
    const orphan = await runs.create({ project: 'p', command: ['x'] });
    await runs.transition(orphan.id, 'running');
    const child = spawn(process.execPath, ['-e', 'setTimeout(()=>{}, 100000)']);
    await new Promise((r) => child.once('spawn', r));
    const start = processStartTime(child.pid!);
    await runs.attachSupervisor(orphan.id, { pid: child.pid!, start, host: (await runs.get(live.id)).host!, childPid: null });
    expect(await runs.recoverOrphans()).toEqual([]);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(await runs.recoverOrphans()).toEqual([orphan.id]);
    expect((await runs.get(orphan.id)).status).toBe('lost');
    expect((await runs.get(live.id)).status).toBe('queued');
  });

  test('cancel of a queued run ends it; delete is soft and restorable', async () => {
    const runs = new Runs(ws);
    const r = await runs.create({ project: 'p', command: ['x'] });
    await expect(runs.delete(r.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await runs.requestCancel(r.id)).status).toBe('cancelled');
    await runs.delete(r.id);
    expect((await runs.list()).total).toBe(0);
    await runs.restore(r.id);
    expect((await runs.list()).total).toBe(1);
    await new Projects(ws).create('q');
    expect((await runs.move(r.id, 'q')).projectId).toBe((await new Projects(ws).get('q')).id);
  });
});
