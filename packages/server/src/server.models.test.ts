import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Artifacts, Projects, Runs, signWebhookBody, Webhooks } from '@workbench/core';
import { startTestServer, waitUntil, type TestServer } from '../test/helpers.js';

describe('the model registry over HTTP', () => {
  let t: TestServer;
  let runId: string;
  let receiver: Server;
  const received: Array<{ body: string; signature: string }> = [];
  let failures = 1;

  beforeAll(async () => {
    t = await startTestServer();
    const ws = t.server.workspace;
    await new Projects(ws).create('p');
    const run = await new Runs(ws).create({ project: 'p', command: ['train'], params: { lr: 0.1 } });
    runId = run.id;
    await writeFile(path.join(t.dir, 'model.onnx'), 'not really onnx');
    await writeFile(path.join(t.dir, 'model.schema.json'), JSON.stringify({ inputs: [{ name: 'features', dtype: 'float32', shape: [null, 1], columns: ['x'] }], outputs: [] }));
    for (const name of ['model.onnx', 'model.schema.json']) await new Artifacts(ws).add(run.id, { name, file: path.join(t.dir, name) });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (failures-- > 0) return void res.writeHead(500).end();
        received.push({ body, signature: String(req.headers['x-workbench-signature']) });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    await new Webhooks(ws).add(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, { secret: 'server-secret' });
  });
  afterAll(async () => {
    await t.close();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  it('registers, promotes, aliases, compares, edits cards, exports, and delivers webhooks', async () => {
    const v = await t.json('/models', { method: 'POST', json: { runId, artifact: 'model.onnx', name: 'fraud' } });
    expect(v).toMatchObject({ version: 1, stage: 'draft', signature: { inputs: [{ columns: ['x'] }] } });
    await t.json('/models', { method: 'POST', json: { runId, artifact: 'model.onnx', name: 'fraud' } });
    const list = await t.json('/models');
    expect(list.models.map((m: { name: string }) => m.name)).toEqual(['fraud']);

    const promoted = await t.json('/models/fraud/versions/2/stage', { method: 'POST', json: { to: 'production', reason: 'ship it' } });
    expect(promoted).toMatchObject({ from: 'draft', transition: 'promote', version: { stage: 'production' } });
    const illegal = await t.api('/models/fraud/versions/2/stage', { method: 'POST', json: { to: 'production' } });
    expect(illegal.status).toBe(409);
    const stale = await t.api('/models/fraud/versions/1/stage', { method: 'POST', json: { to: 'staging', ifRevision: 0 } });
    expect(stale.status).toBe(409);
    expect((await stale.json()).error.message).toMatch(/another stage or alias change won/);

    expect(await t.json('/models/fraud/aliases/champion', { method: 'PUT', json: { version: 2 } })).toEqual({ alias: 'champion', version: 2, previous: null });
    expect((await t.json('/models/fraud/versions/champion')).version).toBe(2);
    await t.json('/models/fraud/card', { method: 'PUT', json: { card: '# Fraud' } });
    const detail = await t.json('/models/fraud');
    expect(detail).toMatchObject({ card: '# Fraud', aliases: { champion: 2 }, stages: { production: [2], draft: [1] } });
    expect(detail.versions).toHaveLength(2);
    const cmp = await t.json('/models/fraud/compare?versions=1,2');
    expect(cmp.params).toEqual([{ key: 'lr', values: [0.1, 0.1], differs: false }]);
    const history = await t.json('/models/fraud/history');
    expect(history.events.map((e: { type: string }) => e.type)).toContain('model.stage_changed');
    expect((await t.api('/models/ghost')).status).toBe(404);
    expect((await t.api('/models', { method: 'POST', json: { runId, artifact: '../x', name: 'fraud' } })).status).toBe(404);

    // Only ONNX models are exported with a server; this one is not loadable but is still a .onnx: the ZIP is built.
    const zip = await t.api('/models/fraud/versions/production/export');
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-type')).toBe('application/zip');
    const bytes = Buffer.from(await zip.arrayBuffer());
    expect(bytes.subarray(0, 2).toString()).toBe('PK');

    // The server delivers the outbox: the first attempt fails, the retry lands, signed.
    await waitUntil(async () => received.length >= 2, 20_000);
    for (const r of received) expect(r.signature).toBe(signWebhookBody('server-secret', r.body));
    expect(received.map((r) => JSON.parse(r.body).type).sort()).toEqual(['model.alias_set', 'model.stage_changed']);

    const policy = await t.json('/projects/p/model-policy', { method: 'PUT', json: { requireReasonForProduction: true } });
    expect(policy).toEqual(expect.objectContaining({ requireReasonForProduction: true, requireApprovalForProduction: false }));
    const noReason = await t.api('/models/fraud/versions/1/stage', { method: 'POST', json: { to: 'production' } });
    expect(noReason.status).toBe(400);
  });

  it('second-person approval: asked and decided under the X-Workbench-Actor name, delivered as webhooks', async () => {
    const as = (who: string) => ({ 'x-workbench-actor': who });
    await t.json('/models', { method: 'POST', json: { runId, artifact: 'model.onnx', name: 'churn' } });
    await t.json('/models', { method: 'POST', json: { runId, artifact: 'model.onnx', name: 'churn' } });
    expect(await t.json('/projects/p/model-policy', { method: 'PUT', json: { requireApprovalForProduction: true } })).toMatchObject({ requireReasonForProduction: true, requireApprovalForProduction: true });

    // The direct stage change is refused and says how to ask.
    const direct = await t.api('/models/churn/versions/1/stage', { method: 'POST', json: { to: 'production', reason: 'x' } });
    expect(direct.status).toBe(409);
    expect((await direct.json()).error).toMatchObject({ code: 'CONFLICT', details: { approvalRequired: true } });

    // Asking needs a name: the server alone is nobody.
    const anonymous = await t.api('/models/churn/versions/1/approval-requests', { method: 'POST', json: { reason: 'go' } });
    expect(anonymous.status).toBe(400);
    expect((await anonymous.json()).error.hint).toContain('X-Workbench-Actor');
    const badName = await t.api('/models/churn/versions/1/approval-requests', { method: 'POST', headers: as('a b'), json: { reason: 'go' } });
    expect(badName.status).toBe(400);

    const req = await t.json('/models/churn/versions/1/approval-requests', { method: 'POST', headers: as('alice'), json: { reason: 'lower churn' } });
    expect(req).toMatchObject({ modelName: 'churn', version: 1, status: 'pending', requestedBy: 'alice' });
    expect((await t.json('/model-approvals?model=churn&status=pending')).requests.map((r: { id: string }) => r.id)).toEqual([req.id]);
    expect((await t.json(`/model-approvals/${req.id}`)).status).toBe('pending');

    const self = await t.api(`/model-approvals/${req.id}/approve`, { method: 'POST', headers: as('alice'), json: {} });
    expect(self.status).toBe(403);
    expect((await self.json()).error).toMatchObject({ code: 'SELF_APPROVAL', hint: expect.stringContaining('someone else') });

    const d = await t.json(`/model-approvals/${req.id}/approve`, { method: 'POST', headers: as('bob'), json: { reason: 'ok' } });
    expect(d).toMatchObject({ request: { status: 'approved', decidedBy: 'bob' }, change: { from: 'draft', version: { stage: 'production' } } });
    expect((await t.api(`/model-approvals/${req.id}/approve`, { method: 'POST', headers: as('carol'), json: {} })).status).toBe(409);

    const r2 = await t.json('/models/churn/versions/2/approval-requests', { method: 'POST', headers: as('alice'), json: { reason: 'v2' } });
    expect((await t.api(`/model-approvals/${r2.id}/withdraw`, { method: 'POST', headers: as('bob'), json: {} })).status).toBe(403);
    expect((await t.json(`/model-approvals/${r2.id}/reject`, { method: 'POST', headers: as('bob'), json: { reason: 'not yet' } })).request.status).toBe('rejected');
    const r3 = await t.json('/models/churn/versions/2/approval-requests', { method: 'POST', headers: as('alice'), json: { reason: 'v2 again' } });
    expect((await t.json(`/model-approvals/${r3.id}/withdraw`, { method: 'POST', headers: as('alice'), json: {} })).request.status).toBe('withdrawn');
    expect((await t.api('/model-approvals/nope/approve', { method: 'POST', headers: as('bob'), json: {} })).status).toBe(404);

    // The history shows who did what, through the API.
    const history = await t.json('/models/churn/history');
    const stage = history.events.find((e: { type: string }) => e.type === 'model.stage_changed');
    expect(stage.actor).toBe('api:bob');
    await waitUntil(async () => received.filter((r) => JSON.parse(r.body).type.startsWith('approval.')).length >= 6, 20_000);
    // Deliveries go out in parallel: compare the set, not the arrival order.
    expect(received.map((r) => JSON.parse(r.body).type).filter((x: string) => x.startsWith('approval.')).sort()).toEqual(['approval.approved', 'approval.rejected', 'approval.requested', 'approval.requested', 'approval.requested', 'approval.withdrawn']);
  });
});
