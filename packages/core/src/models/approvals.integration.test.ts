import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { listEvents } from '../events.js';
import { Projects } from '../projects.js';
import { Artifacts } from '../runs/artifacts.js';
import { Runs } from '../runs/runs.js';
import { tempDir, tempWorkspace, writeTree } from '../testing/temp-workspace.js';
import { Workspace } from '../workspace.js';
import { apiActor, cliActor, personOf } from './actor.js';
import { ModelApprovals } from './approvals.js';
import { Models } from './models.js';
import { Webhooks, signWebhookBody } from './webhooks.js';

let ws: Workspace;
let dir: string;
let dispose: () => Promise<void>;
const alice = { actor: 'cli:alice' };
const bob = { actor: 'cli:bob' };
const carol = { actor: 'api:carol' };

beforeEach(async () => {
  ({ ws, dir, dispose } = await tempWorkspace());
  await new Projects(ws).create('p');
  const runs = new Runs(ws);
  const run = await runs.create({ project: 'p', command: ['train'] });
  await writeTree(path.join(dir, 'src'), { 'model.onnx': 'weights' });
  await new Artifacts(ws).add(run.id, { name: 'model.onnx', file: path.join(dir, 'src', 'model.onnx'), kind: 'model' });
  const models = new Models(ws);
  for (let i = 0; i < 3; i++) await models.register({ runId: run.id, artifact: 'model.onnx', name: 'fraud' });
  await models.setPolicy('p', { requireApprovalForProduction: true });
});
afterEach(async () => dispose());

const stages = async () => (await new Models(ws).get('fraud')).stages;
const eventTypes = async () => (await listEvents(ws.db, { limit: 10_000 })).map((e) => e.type).filter((t) => t.startsWith('approval.'));

describe('who acts', () => {
  test('the CLI actor is --as, else WB_USER, else the login name; the API actor is the header, else the server', () => {
    expect(cliActor('dana', { WB_USER: 'erin' })).toBe('cli:dana');
    expect(cliActor(undefined, { WB_USER: 'erin' })).toBe('cli:erin');
    expect(cliActor(undefined, {})).toMatch(/^cli:[A-Za-z0-9]/);
    expect(() => cliActor('../root', {})).toThrow(/not a user name/);
    expect(() => cliActor(undefined, { WB_USER: 'a b' })).toThrow(/WB_USER/);
    expect(apiActor('carol')).toBe('api:carol');
    expect(apiActor(undefined)).toBe('server');
    expect(() => apiActor('x'.repeat(65))).toThrow(/not a user name/);
    expect(personOf('cli:alice')).toBe('alice');
    expect(personOf('server')).toBeNull();
  });
});

describe('second-person approval for production', () => {
  test('a promotion becomes a request; another person approves it and the version enters production in that step', async () => {
    const models = new Models(ws, alice);
    // The plain stage change is refused while the policy is on, and points at the request.
    await expect(models.changeStage('fraud', 2, { to: 'production', reason: 'better' })).rejects.toMatchObject({ code: 'CONFLICT', hint: expect.stringContaining('wb model approve') });
    const req = await new ModelApprovals(ws, alice).request('fraud', 2, { reason: 'better recall' });
    expect(req).toMatchObject({ modelName: 'fraud', version: 2, fromStage: 'draft', toStage: 'production', status: 'pending', requestedBy: 'alice', reason: 'better recall' });
    expect((await stages()).production).toBeUndefined();

    const d = await new ModelApprovals(ws, bob).approve(req.id, { reason: 'checked the metrics' });
    expect(d.request).toMatchObject({ status: 'approved', decidedBy: 'bob', decisionReason: 'checked the metrics' });
    expect(d.change).toMatchObject({ from: 'draft', transition: 'promote', version: { version: 2, stage: 'production' } });
    expect((await stages()).production).toEqual([2]);

    // The audit trail says who asked, who approved, and the stage change carries both.
    const events = await listEvents(ws.db, { limit: 10_000 });
    const stage = events.find((e) => e.type === 'model.stage_changed')!;
    expect(stage.actor).toBe('cli:bob');
    expect(stage.payload).toMatchObject({ version: 2, to: 'production', reason: 'better recall', approval: { id: req.id, requestedBy: 'alice', approvedBy: 'bob' } });
    expect(events.find((e) => e.type === 'approval.requested')?.actor).toBe('cli:alice');
    expect(await eventTypes()).toEqual(['approval.requested', 'approval.approved']);
    // Approving twice: the second finds it decided.
    await expect(new ModelApprovals(ws, carol).approve(req.id)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('approved (by bob)') });
  });

  test('the requester cannot approve their own request, under any channel or case of the name', async () => {
    const req = await new ModelApprovals(ws, alice).request('fraud', 1, { reason: 'ship' });
    for (const actor of ['cli:alice', 'api:alice', 'cli:ALICE']) {
      await expect(new ModelApprovals(ws, { actor }).approve(req.id)).rejects.toMatchObject({ code: 'SELF_APPROVAL', hint: expect.stringContaining(`wb model approve ${req.id}`) });
    }
    expect((await new ModelApprovals(ws).get(req.id)).status).toBe('pending');
    expect((await stages()).production).toBeUndefined();
    // An actor that names no person (the server without a user) cannot decide at all.
    await expect(new ModelApprovals(ws, { actor: 'server' }).approve(req.id)).rejects.toMatchObject({ code: 'INVALID_INPUT', hint: expect.stringContaining('X-Workbench-Actor') });
  });

  test('reject and withdraw: decided once, by the right person, with events; the stage stays', async () => {
    const a = new ModelApprovals(ws, alice);
    const r1 = await a.request('fraud', 1, { reason: 'ship v1' });
    await expect(a.reject(r1.id, { reason: 'no' })).rejects.toMatchObject({ code: 'FORBIDDEN', hint: expect.stringContaining('withdraw') });
    await expect(new ModelApprovals(ws, bob).reject(r1.id, { reason: '  ' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect((await new ModelApprovals(ws, bob).reject(r1.id, { reason: 'no drift report' })).request).toMatchObject({ status: 'rejected', decidedBy: 'bob', decisionReason: 'no drift report' });
    await expect(new ModelApprovals(ws, carol).approve(r1.id)).rejects.toMatchObject({ code: 'CONFLICT', details: { status: 'rejected' } });

    const r2 = await a.request('fraud', 1, { reason: 'ship v1 with the report' });
    await expect(new ModelApprovals(ws, bob).withdraw(r2.id)).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('only alice') });
    expect((await a.withdraw(r2.id, { reason: 'found a bug' })).request).toMatchObject({ status: 'withdrawn', decidedBy: 'alice' });
    expect((await stages()).draft).toEqual([1, 2, 3]);
    expect(await eventTypes()).toEqual(['approval.requested', 'approval.rejected', 'approval.requested', 'approval.withdrawn']);
  });

  test('bad requests: no reason, one pending request per version, illegal stage, unknown or ambiguous id', async () => {
    const a = new ModelApprovals(ws, alice);
    await expect(a.request('fraud', 1, { reason: '' })).rejects.toMatchObject({ code: 'INVALID_INPUT', hint: expect.stringContaining('--reason') });
    const r = await a.request('fraud', 1, { reason: 'go' });
    await expect(new ModelApprovals(ws, bob).request('fraud', 1, { reason: 'me too' })).rejects.toMatchObject({ code: 'CONFLICT', hint: `approve it instead: wb model approve ${r.id}` });
    await new Models(ws, alice).changeStage('fraud', 3, { to: 'archived' });
    await expect(a.request('fraud', 3, { reason: 'x' })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('archived and cannot move to production') });
    await expect(a.request('fraud', 9, { reason: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(new ModelApprovals(ws, bob).approve('zzzzzzzz')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(new ModelApprovals(ws, bob).approve("'; drop table models; --")).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(new ModelApprovals(ws, bob).approve('%')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // A unique prefix is enough.
    expect((await new ModelApprovals(ws, bob).approve(r.id.slice(0, 16))).request.status).toBe('approved');
  });

  test('two approvers at once: exactly one promotes, the other gets a conflict (processes racing: the CLI tests)', async () => {
    const req = await new ModelApprovals(ws, alice).request('fraud', 2, { reason: 'race' });
    const results = await Promise.allSettled([new ModelApprovals(ws, bob).approve(req.id), new ModelApprovals(ws, carol).approve(req.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toMatchObject({ code: 'CONFLICT', details: { status: 'approved' } });
    expect((await stages()).production).toEqual([2]);
    expect((await listEvents(ws.db, { limit: 10_000 })).filter((e) => e.type === 'model.stage_changed')).toHaveLength(1);
  });

  test('a version archived (or deleted) after the request: the request turns stale and approving it is refused', async () => {
    const a = new ModelApprovals(ws, alice);
    const req = await a.request('fraud', 1, { reason: 'go' });
    await new Models(ws, carol).changeStage('fraud', 1, { to: 'archived', reason: 'superseded' });
    expect(await a.get(req.id)).toMatchObject({ status: 'stale', decisionReason: 'version 1 moved from draft to archived' });
    await expect(new ModelApprovals(ws, bob).approve(req.id)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('stale'), hint: expect.stringContaining('ask again') });
    expect((await stages()).archived).toEqual([1]);

    const r2 = await a.request('fraud', 2, { reason: 'go' });
    await new Models(ws, carol).deleteVersion('fraud', 2);
    expect((await a.get(r2.id)).status).toBe('stale');
    // A new request for the same version is allowed once the old one is stale.
    const r3 = await a.request('fraud', 3, { reason: 'go' });
    await new Models(ws, carol).changeStage('fraud', 3, { to: 'staging' });
    const r4 = await a.request('fraud', 3, { reason: 'now from staging' });
    expect([(await a.get(r3.id)).status, r4.fromStage]).toEqual(['stale', 'staging']);
    expect((await new ModelApprovals(ws, bob).approve(r4.id)).change?.from).toBe('staging');
    expect(await eventTypes()).toEqual(['approval.requested', 'approval.stale', 'approval.requested', 'approval.stale', 'approval.requested', 'approval.stale', 'approval.requested', 'approval.approved']);
  });

  test('approval keeps the one-production rule and optimistic revisions', async () => {
    const models = new Models(ws, bob);
    await models.setPolicy('p', { requireApprovalForProduction: false });
    await models.changeStage('fraud', 1, { to: 'production', reason: 'first' });
    await models.setPolicy('p', { requireApprovalForProduction: true });
    const req = await new ModelApprovals(ws, alice).request('fraud', 2, { reason: 'second', previous: 'staging' });
    const rev = (await models.get('fraud')).revision;
    await models.setAlias('fraud', 'champion', 1);
    await expect(new ModelApprovals(ws, bob).approve(req.id, { ifRevision: rev })).rejects.toMatchObject({ code: 'CONFLICT', details: { expected: rev } });
    expect((await new ModelApprovals(ws).get(req.id)).status).toBe('pending');
    const d = await new ModelApprovals(ws, bob).approve(req.id, { ifRevision: rev + 1 });
    expect(d.change?.displaced).toEqual([{ version: 1, to: 'staging' }]);
    expect(await stages()).toEqual({ production: [2], staging: [1], draft: [3] });
  });

  test('turning the policy off: promotions go straight through again, pending requests stay decidable', async () => {
    const req = await new ModelApprovals(ws, alice).request('fraud', 1, { reason: 'go' });
    const off = await new Models(ws, alice).setPolicy('p', { requireApprovalForProduction: false });
    expect(off).toMatchObject({ requireApprovalForProduction: false, requireReasonForProduction: false });
    await expect(new ModelApprovals(ws, alice).request('fraud', 2, { reason: 'go' })).rejects.toMatchObject({ code: 'CONFLICT', hint: expect.stringContaining('promote directly') });
    expect((await new Models(ws, alice).changeStage('fraud', 2, { to: 'production' })).version.stage).toBe('production');
    expect((await new ModelApprovals(ws, bob).approve(req.id)).change?.displaced).toEqual([{ version: 2, to: 'archived' }]);
    // Changing one rule leaves the other as it was.
    await new Models(ws).setPolicy('p', { requireReasonForProduction: true });
    expect(await new Models(ws).policy('p')).toMatchObject({ requireReasonForProduction: true, requireApprovalForProduction: false });
  });

  test('listing: pending first, by model and status, deleted models left out', async () => {
    const a = new ModelApprovals(ws, alice);
    const r1 = await a.request('fraud', 1, { reason: 'one' });
    const r2 = await a.request('fraud', 2, { reason: 'two' });
    await a.withdraw(r1.id);
    expect((await a.list()).map((r) => [r.id, r.status])).toEqual([
      [r2.id, 'pending'],
      [r1.id, 'withdrawn'],
    ]);
    expect((await a.list({ status: 'pending' })).map((r) => r.id)).toEqual([r2.id]);
    expect(await a.list({ model: 'fraud' })).toHaveLength(2);
    await new Models(ws).delete('fraud');
    expect(await a.list()).toEqual([]);
    await expect(new ModelApprovals(ws, bob).approve(r2.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('approval webhooks', () => {
  let server: Server;
  const received: Array<{ event: string; body: string; signature: string }> = [];
  beforeEach(async () => {
    received.length = 0;
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ event: String(req.headers['x-workbench-event']), body, signature: String(req.headers['x-workbench-signature']) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterEach(async () => new Promise<void>((r) => server.close(() => r())));

  test('requested, approved, rejected, withdrawn and stale are POSTed and signed', async () => {
    const hooks = new Webhooks(ws);
    await hooks.add(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { secret: 'hook-secret' });
    const a = new ModelApprovals(ws, alice);
    const b = new ModelApprovals(ws, bob);
    await b.approve((await a.request('fraud', 1, { reason: 'one' })).id);
    await b.reject((await a.request('fraud', 2, { reason: 'two' })).id, { reason: 'not yet' });
    await a.withdraw((await a.request('fraud', 2, { reason: 'two again' })).id);
    await a.request('fraud', 3, { reason: 'three' });
    await new Models(ws, bob).changeStage('fraud', 3, { to: 'staging' });
    expect(await hooks.deliverDue()).toMatchObject({ delivered: received.length, failed: 0 });
    // One batch goes out in parallel: compare the set, not the arrival order.
    const approvalEvents = received.filter((r) => r.event.startsWith('approval.'));
    expect(approvalEvents.map((r) => r.event).sort()).toEqual(['approval.approved', 'approval.rejected', 'approval.requested', 'approval.requested', 'approval.requested', 'approval.requested', 'approval.stale', 'approval.withdrawn']);
    for (const r of received) expect(r.signature).toBe(signWebhookBody('hook-secret', r.body));
    const approved = JSON.parse(approvalEvents.find((r) => r.event === 'approval.approved')!.body) as { actor: string; payload: Record<string, unknown> };
    expect(approved).toMatchObject({ actor: 'cli:bob', payload: { name: 'fraud', version: 1, requestedBy: 'alice', approvedBy: 'bob' } });
    // The promotion the approval made is its own stage event, as any other.
    expect(received.some((r) => r.event === 'model.stage_changed' && JSON.parse(r.body).payload.approval?.approvedBy === 'bob')).toBe(true);
  });
});

describe('upgrade', () => {
  test('a workspace from before approvals keeps its reason rule and starts with approval off', async () => {
    const t = await tempDir();
    try {
      const old = await Workspace.open(t.dir, { schemaUpTo: 4 });
      await new Projects(old).create('legacy');
      const p = await new Projects(old).resolve('legacy');
      // The table as schema 4 had it: no require_approval column yet.
      await sql`insert into model_policies (project_id, require_reason, updated_at) values (${p.id}, 1, ${Date.now()})`.execute(old.db);
      await old.close();
      const upgraded = await Workspace.open(t.dir);
      try {
        expect(await new Models(upgraded).policy('legacy')).toEqual({ projectId: p.id, requireReasonForProduction: true, requireApprovalForProduction: false });
        expect(await new ModelApprovals(upgraded).list()).toEqual([]);
      } finally {
        await upgraded.close();
      }
    } finally {
      await t.dispose();
    }
  });
});
