import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ModelStage } from '@workbench/api';
import { listEvents } from '../events.js';
import { collectBlobs, purge } from '../gc.js';
import { Projects } from '../projects.js';
import { Artifacts } from '../runs/artifacts.js';
import { Runs } from '../runs/runs.js';
import { tempWorkspace, writeTree } from '../testing/temp-workspace.js';
import type { Workspace } from '../workspace.js';
import { ModelApprovals } from './approvals.js';
import { Models } from './models.js';
import { parseModelRef } from './refs.js';
import { canChangeStage, stageTransitions } from './stage-machine.js';
import { Webhooks, signWebhookBody } from './webhooks.js';

let ws: Workspace;
let dir: string;
let dispose: () => Promise<void>;
beforeEach(async () => {
  ({ ws, dir, dispose } = await tempWorkspace());
  await new Projects(ws).create('p');
});
afterEach(async () => dispose());

/** A finished run with a params, a metric, tags like the runner and the Python client write, and artifacts. */
async function trainedRun(content = 'onnx-bytes', extra: Record<string, string> = {}): Promise<string> {
  const runs = new Runs(ws);
  const run = await runs.create({ project: 'p', command: ['python3', 'train.py'], params: { lr: 0.01 }, tags: { 'git.commit': 'abc123', 'git.dirty': 'false', 'env.python': '3.11.2', 'env.pkg.numpy': '1.24.2' } });
  await runs.transition(run.id, 'running');
  await runs.ingest(run.id, { metrics: [{ key: 'val_accuracy', value: 0.9, step: 1, ts: Date.now(), attempt: 1 }] });
  const files = { 'model.onnx': content, 'model.schema.json': JSON.stringify({ inputs: [{ name: 'features', dtype: 'float32', shape: [null, 2], columns: ['a', 'b'] }], outputs: [{ name: 'logits', dtype: 'float32', shape: [null, 2] }], labels: ['no', 'yes'] }), ...extra };
  await writeTree(path.join(dir, 'src-' + run.id), files);
  for (const name of Object.keys(files)) await new Artifacts(ws).add(run.id, { name, file: path.join(dir, 'src-' + run.id, name), kind: name.endsWith('.onnx') ? 'model' : 'file' });
  await runs.transition(run.id, 'succeeded', { exitCode: 0 });
  return run.id;
}

describe('stage machine', () => {
  test('walks every legal and illegal transition', () => {
    const stages: ModelStage[] = ['draft', 'staging', 'production', 'archived'];
    for (const from of stages) for (const to of stages) expect(canChangeStage(from, to)).toBe(stageTransitions[from].includes(to));
    expect(canChangeStage('archived', 'production')).toBe(false);
    expect(canChangeStage('draft', 'production')).toBe(true);
  });

  test('reads references', () => {
    expect(parseModelRef('fraud@production').selector).toEqual({ kind: 'stage', stage: 'production' });
    expect(parseModelRef('fraud@3').selector).toEqual({ kind: 'version', version: 3 });
    expect(parseModelRef('fraud@champion').selector).toEqual({ kind: 'alias', alias: 'champion' });
    expect(parseModelRef('fraud').selector).toEqual({ kind: 'latest' });
    expect(() => parseModelRef('../x@1')).toThrow(/invalid model name/);
    expect(() => parseModelRef('fraud@a b')).toThrow(/cannot read the version/);
  });
});

describe('registry', () => {
  test('register numbers versions and freezes lineage from the run', async () => {
    const models = new Models(ws);
    const runId = await trainedRun();
    const v1 = await models.register({ runId, artifact: 'model.onnx', name: 'fraud' });
    const v2 = await models.register({ runId, artifact: 'model.onnx', name: 'fraud' });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(v1.stage).toBe('draft');
    expect(v1.format).toBe('onnx');
    expect(v1.signature?.inputs[0]?.columns).toEqual(['a', 'b']);
    expect(v1.lineage.params).toEqual({ lr: 0.01 });
    expect(v1.lineage.metrics[0]).toMatchObject({ key: 'val_accuracy', last: 0.9 });
    expect(v1.lineage.code).toEqual({ commit: 'abc123', dirty: false });
    expect(v1.lineage.environment).toEqual({ python: '3.11.2', packages: { numpy: '1.24.2' } });
    expect(v1.sha256).toMatch(/^[0-9a-f]{64}$/);
    const m = await models.get('fraud');
    expect(m.versionCount).toBe(2);
    expect(m.stages.draft).toEqual([1, 2]);
    const types = (await listEvents(ws.db, { entityId: m.id })).map((e) => e.type);
    expect(types).toEqual(['model.created', 'model.version_registered', 'model.version_registered']);
  });

  test('bad input: unknown run, artifact not in the run, bad name, unknown model or version', async () => {
    const models = new Models(ws);
    const runId = await trainedRun();
    await expect(models.register({ runId, artifact: 'nope.onnx', name: 'fraud' })).rejects.toMatchObject({ code: 'NOT_FOUND', hint: expect.stringContaining('model.onnx') });
    await expect(models.register({ runId: 'zzzzzzzz', artifact: 'model.onnx', name: 'fraud' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(models.register({ runId, artifact: 'model.onnx', name: '../evil' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(models.get('ghost')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await models.register({ runId, artifact: 'model.onnx', name: 'fraud' });
    await expect(models.version('fraud@9')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(models.version('fraud@production')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await models.list()).map((x) => x.name)).toEqual(['fraud']);
  });

  test('a malformed signature file beside the model is refused with a clear error', async () => {
    const runId = await trainedRun('x', { 'model.schema.json': '{"inputs": "nope"' });
    await expect(new Models(ws).register({ runId, artifact: 'model.onnx', name: 'fraud' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('not valid JSON') });
    expect(await new Models(ws).list()).toEqual([]);
  });

  test('one production version at a time: promoting another archives the previous, in one transaction', async () => {
    const models = new Models(ws);
    const runId = await trainedRun();
    for (let i = 0; i < 3; i++) await models.register({ runId, artifact: 'model.onnx', name: 'fraud' });
    await models.changeStage('fraud', 1, { to: 'production', reason: 'first' });
    const r = await models.changeStage('fraud', 2, { to: 'staging' });
    expect(r.transition).toBe('promote');
    const p2 = await models.changeStage('fraud', 2, { to: 'production', reason: 'better recall' });
    expect(p2.displaced).toEqual([{ version: 1, to: 'archived' }]);
    let m = await models.get('fraud');
    expect(m.stages.production).toEqual([2]);
    expect(m.stages.archived).toEqual([1]);
    const p3 = await models.changeStage('fraud', 3, { to: 'production', reason: 'x', previous: 'staging' });
    expect(p3.displaced).toEqual([{ version: 2, to: 'staging' }]);
    m = await models.get('fraud');
    expect(m.stages).toEqual({ archived: [1], staging: [2], production: [3] });
    expect((await models.version('fraud@production')).version).toBe(3);
    // Illegal: archived straight to production; a no-op move.
    await expect(models.changeStage('fraud', 1, { to: 'production', reason: 'x' })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('cannot move to production') });
    await expect(models.changeStage('fraud', 3, { to: 'production', reason: 'x' })).rejects.toMatchObject({ code: 'CONFLICT' });
    // Restore then promote works.
    expect((await models.changeStage('fraud', 1, { to: 'staging' })).transition).toBe('restore');
    const history = await models.history('fraud');
    const stageEvents = history.filter((e) => e.type === 'model.stage_changed');
    expect(stageEvents.length).toBe(7);
    expect(stageEvents[2]).toMatchObject({ actor: ws.actor, payload: { version: 1, from: 'production', to: 'archived' } });
    expect(stageEvents[3]).toMatchObject({ payload: { version: 2, to: 'production', reason: 'better recall' } });
  });

  test('a stale revision loses with CONFLICT and changes nothing', async () => {
    const models = new Models(ws);
    const runId = await trainedRun();
    await models.register({ runId, artifact: 'model.onnx', name: 'fraud' });
    await models.register({ runId, artifact: 'model.onnx', name: 'fraud' });
    const rev = (await models.get('fraud')).revision;
    await models.changeStage('fraud', 1, { to: 'production', reason: 'a', ifRevision: rev });
    await expect(models.changeStage('fraud', 2, { to: 'production', reason: 'b', ifRevision: rev })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await models.get('fraud')).stages).toEqual({ production: [1], draft: [2] });
  });

  test('a project can require a reason for production', async () => {
    const models = new Models(ws);
    const runId = await trainedRun();
    await models.register({ runId, artifact: 'model.onnx', name: 'fraud' });
    const policy = await models.setPolicy('p', { requireReasonForProduction: true });
    expect(policy).toMatchObject({ requireReasonForProduction: true, requireApprovalForProduction: false });
    await expect(models.changeStage('fraud', 1, { to: 'production' })).rejects.toMatchObject({ code: 'INVALID_INPUT', hint: expect.stringContaining('--reason') });
    await expect(models.changeStage('fraud', 1, { to: 'production', reason: '   ' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await models.changeStage('fraud', 1, { to: 'staging' }); // other stages need no reason
    expect((await models.changeStage('fraud', 1, { to: 'production', reason: 'signed off' })).version.stage).toBe('production');
  });

  test('aliases move atomically and resolve', async () => {
    const models = new Models(ws);
    const runId = await trainedRun();
    await models.register({ runId, artifact: 'model.onnx', name: 'fraud' });
    await models.register({ runId, artifact: 'model.onnx', name: 'fraud' });
    expect(await models.setAlias('fraud', 'champion', 1)).toEqual({ alias: 'champion', version: 1, previous: null });
    expect(await models.setAlias('fraud', 'champion', 2)).toEqual({ alias: 'champion', version: 2, previous: 1 });
    await models.setAlias('fraud', 'challenger', 1);
    expect((await models.version('fraud@champion')).version).toBe(2);
    expect((await models.get('fraud')).aliases).toEqual({ challenger: 1, champion: 2 });
    await expect(models.setAlias('fraud', 'production', 1)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(models.setAlias('fraud', 'x', 7)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await models.removeAlias('fraud', 'challenger');
    await expect(models.removeAlias('fraud', 'challenger')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await models.get('fraud')).aliases).toEqual({ champion: 2 });
  });

  test('cards, compare, trash and name reuse', async () => {
    const models = new Models(ws);
    const a = await trainedRun('one');
    const b = await trainedRun('two');
    await models.register({ runId: a, artifact: 'model.onnx', name: 'fraud' });
    await models.register({ runId: b, artifact: 'model.onnx', name: 'fraud' });
    await models.setCard('fraud', '# Fraud\nscores transactions');
    await models.setCard('fraud', 'v2 notes', 2);
    expect((await models.get('fraud')).card).toContain('scores transactions');
    expect((await models.version('fraud@2')).card).toBe('v2 notes');
    const cmp = await models.compare('fraud', [1, 2]);
    expect(cmp.metrics).toEqual([{ key: 'val_accuracy', values: [0.9, 0.9] }]);
    expect(cmp.lineage.find((l) => l.field === 'run')?.differs).toBe(true);
    expect(cmp.lineage.find((l) => l.field === 'artifact sha256')?.differs).toBe(true);
    expect(cmp.lineage.find((l) => l.field === 'python')?.differs).toBe(false);

    await models.changeStage('fraud', 2, { to: 'production', reason: 'x' });
    await expect(models.deleteVersion('fraud', 2)).rejects.toMatchObject({ code: 'CONFLICT' });
    await models.setAlias('fraud', 'old', 1);
    await models.deleteVersion('fraud', 1);
    expect((await models.get('fraud')).aliases).toEqual({});
    expect((await models.versions('fraud', { deleted: true })).map((v) => v.version)).toEqual([1]);
    await models.restoreVersion('fraud', 1);

    await models.delete('fraud');
    await expect(models.get('fraud')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const reused = await models.register({ runId: a, artifact: 'model.onnx', name: 'fraud' });
    expect(reused.version).toBe(1);
    await expect(models.restore('fraud')).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    await models.delete('fraud');
    const back = await models.restore('fraud');
    expect(back.versionCount).toBe(1);
  });

  test('a registered version keeps its blob when its run is purged by gc', async () => {
    const models = new Models(ws);
    const runId = await trainedRun('keep-me');
    const v = await models.register({ runId, artifact: 'model.onnx', name: 'fraud' });
    await new Runs(ws).delete(runId);
    await purge(ws, { olderThanDays: 0 });
    await collectBlobs(ws, { graceMs: 0 });
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(models.artifactPath(v), 'utf8')).toBe('keep-me');
  });
});

describe('trash and gc', () => {
  test('deleting a project takes its models along; restoring brings them back; gc purges them and frees their blobs', async () => {
    const models = new Models(ws);
    const v = await models.register({ runId: await trainedRun('gone-with-project'), artifact: 'model.onnx', name: 'fraud' });
    const projects = new Projects(ws);
    await projects.delete('p', { force: true });
    await expect(models.get('fraud')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await projects.restore('p');
    expect((await models.get('fraud')).name).toBe('fraud');

    await projects.delete('p', { force: true });
    const dry = await purge(ws, { olderThanDays: 0, dryRun: true, graceMs: 0 });
    expect(dry.models.map((m) => m.name)).toEqual(['fraud']);
    expect(dry.blobsRemoved).toBeGreaterThan(0);
    const { existsSync } = await import('node:fs');
    expect(existsSync(models.artifactPath(v))).toBe(true);

    const res = await purge(ws, { olderThanDays: 0, graceMs: 0 });
    expect(res.projects.map((p) => p.name)).toEqual(['p']);
    expect(res.models.map((m) => m.name)).toEqual(['fraud']);
    expect(existsSync(models.artifactPath(v))).toBe(false);
    expect(await ws.db.selectFrom('model_versions').select('id').execute()).toEqual([]);
    expect((await listEvents(ws.db, { limit: 10_000 })).map((e) => e.type)).toContain('model.purged');
  });

  test('gc purges the approval requests of a purged model and of a purged version', async () => {
    const models = new Models(ws);
    await models.register({ runId: await trainedRun('a'), artifact: 'model.onnx', name: 'fraud' });
    await models.register({ runId: await trainedRun('b'), artifact: 'model.onnx', name: 'other' });
    await models.register({ runId: await trainedRun('c'), artifact: 'model.onnx', name: 'other' });
    await models.setPolicy('p', { requireApprovalForProduction: true });
    const approvals = new ModelApprovals(ws);
    await approvals.request('fraud', 1, { reason: 'ship it' });
    await approvals.request('other', 1, { reason: 'ship it' });
    await approvals.request('other', 2, { reason: 'ship it' });
    await models.delete('fraud');
    await models.deleteVersion('other', 1);
    await purge(ws, { olderThanDays: 0, graceMs: 0 });
    const left = await ws.db.selectFrom('model_approval_requests').select(['version']).execute();
    expect(left).toEqual([{ version: 2 }]);
    expect((await approvals.list()).map((r) => r.version)).toEqual([2]);
  });

  test('a deleted version is purged alone; the model and its other versions keep their blobs', async () => {
    const models = new Models(ws);
    const v1 = await models.register({ runId: await trainedRun('first'), artifact: 'model.onnx', name: 'fraud' });
    const v2 = await models.register({ runId: await trainedRun('second'), artifact: 'model.onnx', name: 'fraud' });
    await models.deleteVersion('fraud', 1);
    await purge(ws, { olderThanDays: 0, graceMs: 0 });
    const { existsSync } = await import('node:fs');
    // The run still holds the first artifact, so only the version row and its reference go.
    expect(await ws.db.selectFrom('model_versions').select('version').execute()).toEqual([{ version: 2 }]);
    expect(existsSync(models.artifactPath(v2))).toBe(true);
    expect(existsSync(models.artifactPath(v1))).toBe(true);
    expect(await ws.db.selectFrom('blob_refs').select('owner_id').where('owner_kind', '=', 'model_version').execute()).toEqual([{ owner_id: v2.id }]);
  });
});

describe('webhooks', () => {
  let server: Server;
  let received: Array<{ body: string; signature: string | undefined; event: string | undefined }>;
  let failFirst: number;
  let url: string;
  beforeEach(async () => {
    received = [];
    failFirst = 2;
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (failFirst-- > 0) {
          res.writeHead(503).end('not now');
          return;
        }
        received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: req.headers['x-workbench-signature'] as string | undefined, event: req.headers['x-workbench-event'] as string | undefined });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterEach(async () => new Promise<void>((r) => server.close(() => r())));

  test('stage and alias changes are POSTed, signed, and retried with backoff until delivered', async () => {
    const hooks = new Webhooks(ws);
    const { secret } = await hooks.add(url, { secret: 's3cret-value' });
    expect(secret).toBe('s3cret-value');
    const models = new Models(ws);
    const runId = await trainedRun();
    await models.register({ runId, artifact: 'model.onnx', name: 'fraud' });
    await models.changeStage('fraud', 1, { to: 'production', reason: 'go' });
    await models.setAlias('fraud', 'champion', 1);
    // Attempt 1: both fail (503) and are scheduled later; nothing is due right away.
    expect(await hooks.deliverDue({ backoffBaseMs: 50 })).toEqual({ delivered: 0, retrying: 2, failed: 0 });
    expect(await hooks.deliverDue({ backoffBaseMs: 50 })).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    const deadline = Date.now() + 10_000;
    while (received.length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 60));
      await hooks.deliverDue({ backoffBaseMs: 50 });
    }
    expect(received.map((r) => r.event).sort()).toEqual(['model.alias_set', 'model.stage_changed']);
    for (const r of received) expect(r.signature).toBe(signWebhookBody('s3cret-value', r.body));
    const stage = JSON.parse(received.find((r) => r.event === 'model.stage_changed')!.body) as { payload: { to: string; reason: string } };
    expect(stage.payload).toMatchObject({ to: 'production', reason: 'go' });
    const [listed] = await hooks.list();
    expect(listed).toMatchObject({ delivered: 2, pending: 0, failed: 0 });
    // The secret never reaches the event log.
    expect(JSON.stringify(await listEvents(ws.db))).not.toContain('s3cret-value');
  });

  test('a project webhook ignores other projects; bad URLs are refused', async () => {
    const hooks = new Webhooks(ws);
    const other = await new Projects(ws).create('other');
    await hooks.add(url, { projectId: other.id });
    const models = new Models(ws);
    await models.register({ runId: await trainedRun(), artifact: 'model.onnx', name: 'fraud' });
    await models.changeStage('fraud', 1, { to: 'staging' });
    expect((await hooks.list())[0]?.pending).toBe(0);
    await expect(hooks.add('file:///etc/passwd')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(hooks.add('not a url')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
