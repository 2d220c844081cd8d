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
    expect(policy).toEqual(expect.objectContaining({ requireReasonForProduction: true, secondApproval: 'not-built' }));
    const noReason = await t.api('/models/fraud/versions/1/stage', { method: 'POST', json: { to: 'production' } });
    expect(noReason.status).toBe(400);
  });
});
