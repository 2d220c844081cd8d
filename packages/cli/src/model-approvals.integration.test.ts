import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Artifacts, Projects, Runs, Workspace, signWebhookBody, tempDir } from '@workbench/core';
import { spawnWb, wb, wbJson, workspaceOf } from './testing/wb.js';

// Second-person approval as users type it: alice asks, bob approves, each under their own name.

let home: string;
let dispose: () => Promise<void>;
let receiver: Server;
const received: Array<{ event: string; body: string; signature: string }> = [];

const as = (who: string, args: string[]) => wb(home, ['--as', who, ...args]);
const stagesOf = async () => (await wbJson<{ stages: Record<string, number[]> }>(home, ['model', 'show', 'fraud'])).stages;

beforeAll(async () => {
  ({ dir: home, dispose } = await tempDir('wb-approvals-'));
  const ws = await Workspace.open(workspaceOf(home), { actor: 'cli:setup' });
  try {
    await new Projects(ws).create('p');
    const run = await new Runs(ws).create({ project: 'p', command: ['train'] });
    await writeFile(path.join(home, 'model.onnx'), 'weights');
    await writeFile(path.join(home, 'schema.json'), JSON.stringify({ inputs: [{ name: 'x', dtype: 'float32', shape: [null, 1] }], outputs: [] }));
    await new Artifacts(ws).add(run.id, { name: 'model.onnx', file: path.join(home, 'model.onnx'), kind: 'model' });
    for (let i = 0; i < 4; i++) {
      const r = await wb(home, ['model', 'register', '--run', run.id, '--artifact', 'model.onnx', '--name', 'fraud', '--schema', path.join(home, 'schema.json')]);
      expect(r.stderr).toBe('');
    }
  } finally {
    await ws.close();
  }
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ event: String(req.headers['x-workbench-event']), body, signature: String(req.headers['x-workbench-signature']) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  expect((await wb(home, ['model', 'webhook', 'add', `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, '--secret', 'approval-secret'])).code).toBe(0);
}, 60_000);
afterAll(async () => {
  await new Promise<void>((r) => receiver.close(() => r()));
  await dispose();
});

describe('wb model approvals', () => {
  test('policy on: alice asks, alice cannot approve, bob approves and the version is in production', async () => {
    const on = await as('alice', ['model', 'policy', 'p', '--require-approval']);
    expect(on.stdout).toContain('second-person approval: required');

    const noReason = await as('alice', ['model', 'promote', 'fraud', '1', '--to', 'production']);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('needs a reason');

    const asked = await as('alice', ['model', 'promote', 'fraud', '1', '--to', 'production', '--reason', 'beats the rules engine']);
    expect(asked.code).toBe(0);
    const id = /request ([0-9a-z]{18})/.exec(asked.stdout)![1]!;
    expect(asked.stdout).toContain(`model approve ${id}`);
    expect(asked.stdout).toContain('stays draft');
    expect((await stagesOf()).production).toBeUndefined();

    const listed = await wbJson<Array<{ id: string; status: string; requestedBy: string }>>(home, ['model', 'approvals', 'fraud']);
    expect(listed).toEqual([expect.objectContaining({ id, status: 'pending', requestedBy: 'alice' })]);
    expect((await wb(home, ['model', 'approvals'])).stdout).toMatch(new RegExp(`${id}.*fraud@1.*draft → production.*alice.*pending`));

    const self = await as('alice', ['model', 'approve', id]);
    expect(self.code).toBe(5);
    expect(self.stderr).toContain('alice asked for this promotion and cannot also approve it');
    expect(self.stderr).toContain(`hint: ask someone else to run: wb model approve ${id}`);
    // WB_USER names the same person as --as.
    expect((await wb(home, ['model', 'approve', id], { env: { WB_USER: 'alice' } })).code).toBe(5);

    const ok = await as('bob', ['model', 'approve', id.slice(0, 14), '--reason', 'checked the metrics']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('asked by alice, approved by bob');
    expect(ok.stdout).toContain('promote: fraud@1 draft → production');
    expect((await stagesOf()).production).toEqual([1]);

    const history = (await wb(home, ['model', 'history', 'fraud'])).stdout;
    expect(history).toMatch(/cli:alice\s+approval\.requested\s+v1 request/);
    expect(history).toMatch(/cli:bob\s+approval\.approved/);
    expect(history).toMatch(/cli:bob\s+stage_changed\s+v1 draft → production \(beats the rules engine\)/);
  });

  test('reject and withdraw; a plain promotion to production is a request while the policy is on', async () => {
    const r = await wbJson<{ id: string; status: string }>(home, ['--as', 'alice', 'model', 'promote', 'fraud', '2', '--to', 'production', '--reason', 'v2']);
    expect(r.status).toBe('pending');
    const selfReject = await as('alice', ['model', 'reject', r.id, '--reason', 'no']);
    expect(selfReject.code).toBe(5);
    expect(selfReject.stderr).toContain('hint: withdraw it instead');
    const noReason = await as('bob', ['model', 'reject', r.id]);
    expect(noReason.code).not.toBe(0);
    const rejected = await as('bob', ['model', 'reject', r.id, '--reason', 'no drift report']);
    expect(rejected.stdout).toContain('stays draft');
    expect((await as('carol', ['model', 'approve', r.id])).stderr).toContain('is rejected (by bob)');

    const again = await wbJson<{ id: string }>(home, ['--as', 'alice', 'model', 'promote', 'fraud', '2', '--to', 'production', '--reason', 'with the report']);
    const notMine = await as('bob', ['model', 'withdraw', again.id]);
    expect(notMine.code).toBe(5);
    expect(notMine.stderr).toContain('only alice, who asked, can withdraw');
    expect((await as('alice', ['model', 'withdraw', again.id])).stdout).toContain('withdrew request');
    const statuses = await wbJson<Array<{ status: string; version: number }>>(home, ['model', 'approvals', 'fraud']);
    expect(statuses.filter((s) => s.version === 2).map((s) => s.status).sort()).toEqual(['rejected', 'withdrawn']);
    expect((await wbJson(home, ['model', 'approvals', '--status', 'pending'])).length).toBe(0);
    expect((await stagesOf()).production).toEqual([1]);
  });

  test('two approvers racing from two processes: exactly one promotes, the other exits 4', async () => {
    const r = await wbJson<{ id: string }>(home, ['--as', 'alice', 'model', 'promote', 'fraud', '3', '--to', 'production', '--reason', 'race']);
    const results = await Promise.all(['bob', 'carol'].map((who) => spawnWb(home, ['--as', who, 'model', 'approve', r.id]).result));
    expect(results.map((x) => x.code).sort()).toEqual([0, 4]);
    expect(results.find((x) => x.code === 4)!.stderr).toMatch(/is approved \(by (bob|carol)\)/);
    expect(await stagesOf()).toMatchObject({ production: [3], archived: [1] });
  });

  test('a version archived after the request: approving it is refused as stale, and the stage stays', async () => {
    const r = await wbJson<{ id: string }>(home, ['--as', 'alice', 'model', 'promote', 'fraud', '4', '--to', 'production', '--reason', 'v4']);
    expect((await as('dave', ['model', 'archive', 'fraud', '4', '--reason', 'bad data'])).code).toBe(0);
    const late = await as('bob', ['model', 'approve', r.id]);
    expect(late.code).toBe(4);
    expect(late.stderr).toContain('is stale: version 4 moved from draft to archived');
    expect(late.stderr).toContain('ask again');
    expect((await stagesOf()).archived).toContain(4);
    expect((await stagesOf()).production).toEqual([3]);
  });

  test('policy off: promotion is direct again; a bad --as is refused', async () => {
    const off = await as('alice', ['model', 'policy', 'p', '--no-require-approval', '--json']);
    expect(JSON.parse(off.stdout)).toMatchObject({ requireApprovalForProduction: false });
    const direct = await as('alice', ['model', 'promote', 'fraud', '2', '--to', 'production']);
    expect(direct.stdout).toContain('promote: fraud@2 draft → production');
    const bad = await wb(home, ['--as', '../root', 'model', 'list']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not a user name');
  });

  test('the webhook received every approval event, signed', async () => {
    const types = received.map((r) => r.event).filter((t) => t.startsWith('approval.'));
    expect(types).toEqual(['approval.requested', 'approval.approved', 'approval.requested', 'approval.rejected', 'approval.requested', 'approval.withdrawn', 'approval.requested', 'approval.approved', 'approval.requested', 'approval.stale']);
    for (const r of received) expect(r.signature).toBe(signWebhookBody('approval-secret', r.body));
    expect(JSON.parse(received.find((r) => r.event === 'approval.approved')!.body)).toMatchObject({ actor: 'cli:bob', payload: { requestedBy: 'alice', approvedBy: 'bob', version: 1 } });
  });
});
