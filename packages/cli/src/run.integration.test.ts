import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Workspace, isAlive, tempDir } from '@workbench/core';
import { python, spawnWb, waitFor, wb, wbJson, workspaceOf } from './testing/wb.js';

let home: string;
let dispose: () => Promise<void>;
beforeEach(async () => {
  ({ dir: home, dispose } = await tempDir('wb-run-'));
  await wb(home, ['project', 'create', 'fraud-detection']);
});
afterEach(async () => dispose());

const script = async (name: string, body: string) => {
  const file = path.join(home, name);
  await writeFile(file, body);
  return file;
};

type RunJson = { id: string; status: string; statusReason: string | null; exitCode: number | null; params: Record<string, unknown>; metrics: Array<{ key: string; last: number | null; min: number | null; max: number | null; count: number; lastStep: number }>; artifacts: Array<{ name: string; sha256: string; size: number; kind: string }>; datasets: Array<{ name: string; fingerprint: string }> };

async function lastRun(): Promise<RunJson> {
  const { runs } = await wbJson<{ runs: Array<{ id: string }> }>(home, ['run', 'list', '--limit', '1']);
  return wbJson<RunJson>(home, ['run', 'show', runs[0]!.id]);
}

describe('wb run', () => {
  test('a Python training script logs params, metrics, progress and an artifact through the client', async () => {
    const csv = path.join(home, 'transactions.csv');
    await writeFile(csv, 'amount,is_fraud\n1,0\n2,1\n');
    await wb(home, ['dataset', 'import', csv, '--project', 'fraud-detection', '--name', 'transactions']);
    const train = await script(
      'train.py',
      `
import os, sys, json
import workbench as wb
assert wb.run_id() == os.environ["WB_RUN_ID"]
data = open(wb.dataset_path()).read()
assert data.startswith("amount,is_fraud"), data
assert os.environ["WB_DATASET_TRANSACTIONS"] == wb.dataset_path()
assert wb.params()["lr"] == 0.01
wb.log_param("layers", 3)
print("starting training", flush=True)
print("a warning on stderr", file=sys.stderr, flush=True)
for i in range(100):
    wb.log_metric("loss", 1.0 / (i + 1), step=i)
    wb.progress(i + 1, 100)
wb.log_metrics({"acc": 0.9, "f1": 0.8}, step=99)
with open("model.pkl", "wb") as f:
    f.write(b"pretend weights" * 1000)
wb.log_artifact("model.pkl", kind="model")
print("done")
`,
    );
    const r = await wb(home, ['run', '--project', 'fraud-detection', '--name', 'baseline', '--dataset', 'transactions', '--param', 'lr=0.01', '--', python, train]);
    expect(r.stderr).toContain('succeeded');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('starting training');
    const run = await lastRun();
    expect(run.status).toBe('succeeded');
    expect(run.params).toEqual({ lr: 0.01, layers: 3 });
    const loss = run.metrics.find((m) => m.key === 'loss')!;
    expect(loss).toMatchObject({ count: 100, lastStep: 99, last: 0.01, max: 1 });
    expect(run.metrics.map((m) => m.key).sort()).toEqual(['acc', 'f1', 'loss']);
    const expected = createHash('sha256').update(Buffer.from('pretend weights'.repeat(1000))).digest('hex');
    expect(run.artifacts).toEqual([expect.objectContaining({ name: 'model.pkl', kind: 'model', sha256: expected, size: 15000 })]);
    expect(run.datasets[0]!.name).toBe('transactions');
    // The runs that read a dataset.
    await wb(home, ['run', '--project', 'fraud-detection', '--quiet', '--', process.execPath, '-e', '0']);
    const readers = await wbJson<{ runs: Array<{ id: string }>; total: number }>(home, ['run', 'list', '--dataset', 'transactions']);
    expect(readers.runs.map((r) => r.id)).toEqual([run.id]);
    expect((await wbJson<{ total: number }>(home, ['run', 'list'])).total).toBe(2);
    const logs = (await wb(home, ['run', 'logs', run.id, '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { stream: string; text: string; seq: number });
    expect(logs.find((l) => l.text === 'starting training')?.stream).toBe('stdout');
    expect(logs.find((l) => l.text === 'a warning on stderr')?.stream).toBe('stderr');
    expect(logs.map((l) => l.seq)).toEqual(logs.map((_, i) => i + 1));
    const points = await wbJson<Array<{ step: number; value: number }>>(home, ['run', 'metrics', run.id, '--key', 'loss']);
    expect(points).toHaveLength(100);
    expect(points[3]).toMatchObject({ step: 3, value: 0.25 });
    // The artifact comes back out byte for byte.
    const out = path.join(home, 'out.pkl');
    expect((await wb(home, ['run', 'artifact', run.id, 'model.pkl', '-o', out])).code).toBe(0);
    expect(createHash('sha256').update(await readFile(out)).digest('hex')).toBe(expected);
  });

  test('a failing process ends the run failed with its exit code', async () => {
    const r = await wb(home, ['run', '--project', 'fraud-detection', '--', process.execPath, '-e', 'console.error("bad data"); process.exit(3)']);
    expect(r.code).toBe(1);
    const run = await lastRun();
    expect(run).toMatchObject({ status: 'failed', exitCode: 3, statusReason: 'exited with code 3' });
    const missing = await wb(home, ['run', '--project', 'fraud-detection', '--', 'no-such-command-xyz']);
    expect(missing.code).toBe(1);
    expect((await lastRun()).statusReason).toMatch(/command not found: no-such-command-xyz/);
  });

  test('hostile event lines are kept as warnings and never stop the run', async () => {
    const s = await script(
      'hostile.js',
      `
const fs = require('fs');
const w = (s) => fs.writeSync(3, s);
w('not json\\n');
w('[1,2]\\n');
w('{"type":"teleport"}\\n');
w('{"type":"metric","key":"loss","value":NaN,"step":1}\\n');
w('{"type":"metric","key":"loss","value":"Infinity","step":2}\\n');
w('{"type":"metric","key":"loss","value":-Infinity,"step":3}\\n');
w('{"type":"metric","key":"loss","value":0.5,"step":"four"}\\n');
w('{"type":"metric","key":"loss","value":"0.5","step":5}\\n');
w('{"type":"metric","key":"","value":1}\\n');
w('{"type":"artifact","path":"/etc/hostname","name":"../../escape"}\\n');
w('{"type":"x","pad":"' + 'y'.repeat(10 * 1024 * 1024) + '"}\\n');
w('{"type":"metric","key":"after_big","value":1,"step":0}\\n');
w('{"type":"metric","key":"truncated","val');
`,
    );
    const r = await wb(home, ['run', '--project', 'fraud-detection', '--quiet', '--', process.execPath, s]);
    expect(r.code).toBe(0);
    const run = await lastRun();
    expect(run.status).toBe('succeeded');
    const pts = await wbJson<Array<{ step: number; value: number | string }>>(home, ['run', 'metrics', run.id, '--key', 'loss']);
    expect(pts.map((p) => [p.step, p.value])).toEqual([[1, 'NaN'], [2, 'Infinity'], [3, '-Infinity']]);
    expect(run.metrics.find((m) => m.key === 'after_big')?.count).toBe(1);
    expect(run.artifacts).toEqual([]);
    const warnings = (await wb(home, ['run', 'logs', run.id, '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { text: string; level: string });
    const texts = warnings.map((w) => w.text).join('\n');
    expect(texts).toContain('not valid JSON');
    expect(texts).toContain('not a JSON object');
    expect(texts).toContain('unknown type "teleport"');
    expect(texts).toContain('step must be an integer');
    expect(texts).toContain('value must be a number');
    expect(texts).toContain('key must be a non-empty string');
    expect(texts).toMatch(/artifact \.\.\/\.\.\/escape was not stored: .*leaves its folder/);
    expect(texts).toMatch(/event line of \d+ bytes is over the 1 MiB limit/);
    const big = warnings.find((w) => w.text.includes('over the 1 MiB limit'))!;
    expect(big.text.length).toBeLessThan(70 * 1024);
    expect(texts).toContain('{"type":"metric","key":"truncated","val');
  });

  test('Ctrl-C sends SIGTERM to the process and the run ends cancelled', async () => {
    const marker = path.join(home, 'got-sigterm');
    const s = await script(
      'trap.py',
      `
import signal, sys, time
def stop(*_):
    open(${JSON.stringify(marker)}, "w").write("yes")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
time.sleep(60)
`,
    );
    const child = spawnWb(home, ['run', '--project', 'fraud-detection', '--', python, s]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(async () => out.includes('ready'), 15_000, 'the script to start');
    child.kill('SIGINT');
    const r = await child.result;
    expect(r.code).toBe(130);
    expect(existsSync(marker)).toBe(true);
    const run = await lastRun();
    expect(run.status).toBe('cancelled');
    expect(run.statusReason).toContain('Ctrl-C');
  });

  test('wb run cancel from another terminal: SIGTERM, then SIGKILL after the grace period', async () => {
    const s = await script('stubborn.js', `process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('ready'); setInterval(() => {}, 1000);`);
    const child = spawnWb(home, ['run', '--project', 'fraud-detection', '--grace', '1', '--', process.execPath, s]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(async () => out.includes('ready'), 15_000, 'the script to start');
    const { runs } = await wbJson<{ runs: Array<{ id: string; status: string }> }>(home, ['run', 'list', '--status', 'running']);
    expect(runs).toHaveLength(1);
    const t0 = Date.now();
    const cancel = await wb(home, ['run', 'cancel', runs[0]!.id]);
    expect(cancel.stdout).toContain('cancelled');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const r = await child.result;
    expect(r.code).toBe(130);
    expect(out).toContain('ignoring SIGTERM');
    const logs = (await wb(home, ['run', 'logs', runs[0]!.id])).stdout;
    expect(logs).toContain('grace period over: sending SIGKILL');
  });

  test('killing the CLI with SIGKILL mid-run: the next command marks the run lost and stops the orphan', async () => {
    const s = await script('long.js', `console.log('ready ' + process.pid); setInterval(() => {}, 1000);`);
    const child = spawnWb(home, ['run', '--project', 'fraud-detection', '--', process.execPath, s]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(async () => /ready \d+/.test(out), 15_000, 'the script to start');
    const orphanPid = Number(/ready (\d+)/.exec(out)![1]);
    const id = (await wbJson<{ runs: Array<{ id: string }> }>(home, ['run', 'list'])).runs[0]!.id;
    // Echoed is not yet stored: wait until the line is acknowledged by the workspace.
    await waitFor(async () => (await wb(home, ['run', 'logs', id])).stdout.includes('ready'), 10_000, 'the line to be stored');
    child.kill('SIGKILL');
    await child.result;
    const { runs } = await wbJson<{ runs: Array<{ id: string; status: string; statusReason: string }> }>(home, ['run', 'list']);
    expect(runs[0]!.status).toBe('lost');
    expect(runs[0]!.statusReason).toMatch(/supervisor .* stopped/);
    await waitFor(async () => !isAlive(orphanPid), 5000, 'the orphan to stop');
    // The log lines written before the kill are all there.
    expect((await wb(home, ['run', 'logs', runs[0]!.id])).stdout).toContain('ready');
  });

  test('several runs at once on one workspace lose nothing', async () => {
    const s = await script(
      'many.py',
      `
import workbench as wb
for i in range(20000):
    wb.log_metric("x", float(i), step=i)
print("done")
`,
    );
    const results = await Promise.all([0, 1, 2].map((i) => wb(home, ['run', '--project', 'fraud-detection', '--name', `par-${i}`, '--quiet', '--', python, s])));
    for (const r of results) expect(r.code).toBe(0);
    const { runs } = await wbJson<{ runs: Array<{ name: string; metrics: Array<{ key: string; count: number; last: number }> }> }>(home, ['run', 'list']);
    expect(runs.map((r) => r.name).sort()).toEqual(['par-0', 'par-1', 'par-2']);
    for (const r of runs) expect(r.metrics).toEqual([expect.objectContaining({ key: 'x', count: 20000, last: 19999 })]);
  });

  test('resume: a restart from a checkpoint is the next attempt; every point is kept, reads show the latest', async () => {
    const ckpt = path.join(home, 'ckpt.txt');
    const s = await script(
      'resumable.py',
      `
import os, sys
import workbench as wb
start = int(open(${JSON.stringify(ckpt)}).read()) if os.path.exists(${JSON.stringify(ckpt)}) else 0
attempt = int(os.environ["WB_ATTEMPT"])
for step in range(start, 10):
    wb.log_metric("loss", attempt * 100 + step, step=step)
    if step == 4:
        open(${JSON.stringify(ckpt)}, "w").write("3")   # the checkpoint is a bit behind
    if step == 6 and attempt == 1:
        wb.flush()
        sys.exit("crashed at step 6")
print("finished attempt", attempt)
`,
    );
    const first = await wb(home, ['run', '--project', 'fraud-detection', '--quiet', '--', python, s]);
    expect(first.code).toBe(1);
    const id = (await lastRun()).id;
    const resumed = await wb(home, ['run', 'resume', id]);
    expect(resumed.stdout).toContain('finished attempt 2');
    expect(resumed.stderr).toContain('attempt 2');
    expect(resumed.code).toBe(0);
    const run = await wbJson<RunJson & { attempt: number }>(home, ['run', 'show', id]);
    expect(run.status).toBe('succeeded');
    expect(run.attempt).toBe(2);
    const latest = await wbJson<Array<{ step: number; value: number; attempt: number }>>(home, ['run', 'metrics', id, '--key', 'loss']);
    expect(latest.map((p) => p.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(latest.map((p) => p.value)).toEqual([100, 101, 102, 203, 204, 205, 206, 207, 208, 209]);
    const all = await wbJson<Array<{ step: number; attempt: number }>>(home, ['run', 'metrics', id, '--key', 'loss', '--all']);
    expect(all).toHaveLength(7 + 7);
    expect(all.filter((p) => p.attempt === 1).map((p) => p.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const again = await wb(home, ['run', 'resume', id]);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('nothing to resume');
  });

  test('logs --follow streams until the run ends', async () => {
    const s = await script('slow.js', `let i = 0; const t = setInterval(() => { console.log('line ' + i++); if (i === 5) clearInterval(t); }, 100);`);
    const child = spawnWb(home, ['run', '--project', 'fraud-detection', '--quiet', '--', process.execPath, s]);
    const id = await waitFor(async () => (await wbJson<{ runs: Array<{ id: string }> }>(home, ['run', 'list'])).runs[0]?.id, 10_000, 'the run');
    const follow = await wb(home, ['run', 'logs', id, '--follow']);
    await child.result;
    for (let i = 0; i < 5; i++) expect(follow.stdout).toContain(`line ${i}`);
    expect(follow.stdout).toContain('ended succeeded');
  });

  test('outside a run the Python client writes to a local file instead of failing', async () => {
    const s = await script('offline.py', `import workbench as wb\nwb.log_metric("loss", 0.5, step=1)\nwb.log_param("lr", 0.1)\nprint("ok")\n`);
    const { spawnSync } = await import('node:child_process');
    const env = { ...process.env, PYTHONPATH: path.resolve(__dirname, '../../../python') };
    for (const k of Object.keys(env)) if (k.startsWith('WB_')) delete env[k];
    const r = spawnSync(python, [s], { cwd: home, env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ok');
    const files = await readdir(path.join(home, 'wb-offline'));
    expect(files).toHaveLength(1);
    const lines = (await readFile(path.join(home, 'wb-offline', files[0]!), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((l) => l.type)).toEqual(['metric', 'param']);
  });

  test('a workspace written by a newer Workbench is refused with a clear message', async () => {
    const ws = await Workspace.open(workspaceOf(home));
    await ws.db.insertInto('kysely_migration' as never).values({ name: '9999-from-the-future', timestamp: new Date().toISOString() } as never).execute();
    await ws.close();
    const r = await wb(home, ['project', 'list']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/newer Workbench/);
    expect(r.stderr).toMatch(/hint: upgrade/);
  });
});
