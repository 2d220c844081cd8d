import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tempDir } from '@workbench/core';
import { repoRoot, spawnWb, wb, wbJson } from './testing/wb.js';

// End to end, as a user types it: a template run → register → promote → export ZIP → unzip
// in a temporary folder → start the bundle's own server → its predictions equal those of
// `wb serve-model` and of onnxruntime called in-process.

let home: string;
let dispose: () => Promise<void>;
let runId: string;
const children: ChildProcess[] = [];

function waitForLine(child: ChildProcess, re: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${text}`)), 30_000);
    const on = (c: Buffer) => {
      text += c.toString();
      const m = re.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited ${code}: ${text}`));
    });
  });
}

async function predict(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  ({ dir: home, dispose } = await tempDir('wb-model-'));
  await wb(home, ['project', 'create', 'fraud-detection']);
  const rows = ['amount,hour,merchant,is_fraud'];
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 240; i++) {
    const amount = Math.round(rnd() * 1000);
    const hour = Math.floor(rnd() * 24);
    rows.push(`${amount},${hour},${['shop', 'fuel', 'online'][i % 3]},${amount > 600 && (hour < 6 || hour > 21) ? 1 : 0}`);
  }
  await writeFile(path.join(home, 'transactions.csv'), rows.join('\n') + '\n');
  await wb(home, ['dataset', 'import', path.join(home, 'transactions.csv'), '--project', 'fraud-detection', '--name', 'transactions']);
  const r = await wb(home, ['run', '--project', 'fraud-detection', '--template', 'pytorch-mlp', '--dataset', 'transactions', '--param', 'target=is_fraud', '--param', 'epochs=3', '--quiet']);
  expect(r.stderr).toContain('succeeded');
  runId = (await wbJson<{ runs: Array<{ id: string }> }>(home, ['run', 'list'])).runs[0]!.id;
}, 120_000);

afterAll(async () => {
  for (const c of children) c.kill();
  await dispose();
});

describe('models from a template run to a running bundle', () => {
  test('register → promote → export → unzip → bundle server = wb serve-model = onnxruntime in-process', async () => {
    const v = await wbJson(home, ['model', 'register', '--run', runId, '--artifact', 'model.onnx', '--name', 'fraud-classifier']);
    expect(v.version).toBe(1);
    // The template recorded its input signature: column names, dtype, shape, labels.
    expect(v.signature.inputs[0]).toMatchObject({ name: 'features', dtype: 'float32', columns: ['amount', 'hour', 'merchant=fuel', 'merchant=online', 'merchant=shop'] });
    expect(v.signature.labels).toEqual([0, 1]);
    expect(v.lineage.datasets[0]).toMatchObject({ name: 'transactions' });
    expect(v.lineage.environment.python).toMatch(/^3\./);
    expect(v.lineage.environment.packages.torch).toBeTruthy();
    expect(v.lineage.code?.commit ?? null).not.toBe(undefined); // null outside a git checkout, a commit inside
    const p = await wbJson(home, ['model', 'promote', 'fraud-classifier', '1', '--to', 'production', '--reason', 'first model']);
    expect(p.version.stage).toBe('production');

    const out = path.join(home, 'out');
    const ex = await wb(home, ['export', 'fraud-classifier@production', '--format', 'zip', '--out', path.join(out, 'bundle.zip')]);
    expect(ex.code, ex.stderr).toBe(0);
    expect((await wb(home, ['export', 'verify', path.join(out, 'bundle.zip')])).stdout).toMatch(/^ok: fraud-classifier@1/);
    const unzip = spawnSync('unzip', ['-q', path.join(out, 'bundle.zip'), '-d', path.join(out, 'bundle')]);
    expect(unzip.status).toBe(0);
    const readme = await readFile(path.join(out, 'bundle', 'README.md'), 'utf8');
    expect(readme).toContain('npm install && node server.mjs');
    // `npm install` on the target fetches onnxruntime-node; here, no network: link this checkout's.
    await symlink(path.join(repoRoot, 'node_modules'), path.join(out, 'bundle', 'node_modules'));
    const bundle = spawn(process.execPath, ['server.mjs', '--port', '0'], { cwd: path.join(out, 'bundle'), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(bundle);
    const bundleUrl = (await waitForLine(bundle, /listening on (\S+)/, 'the bundle server'))[1]!;

    const served = spawnWb(home, ['serve-model', 'fraud-classifier@production', '--port', '0']);
    children.push(served);
    const servedUrl = (await waitForLine(served, /listening on (\S+)/, 'wb serve-model'))[1]!;

    const rows = [
      { amount: 950, hour: 2, 'merchant=fuel': 0, 'merchant=online': 1, 'merchant=shop': 0 },
      { amount: 20, hour: 13, 'merchant=fuel': 1, 'merchant=online': 0, 'merchant=shop': 0 },
      { amount: null, hour: 23, 'merchant=fuel': 0, 'merchant=online': 0, 'merchant=shop': 1 },
    ];
    const fromBundle = await predict(`${bundleUrl}/predict`, { rows });
    const fromServe = await predict(`${servedUrl}/v1/models/fraud-classifier/predict`, { rows });
    expect(fromBundle.status).toBe(200);
    expect(fromServe.status).toBe(200);
    expect(fromBundle.json.outputs).toEqual(fromServe.json.outputs);
    expect(fromBundle.json.predictions).toEqual(fromServe.json.predictions);
    expect(fromBundle.json.predictions.every((x: unknown) => x === 0 || x === 1)).toBe(true);

    // onnxruntime in-process on the exported file.
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(path.join(out, 'bundle', 'model', 'model.onnx'));
    const cols = v.signature.inputs[0].columns as string[];
    const feed = Float32Array.from(rows.flatMap((r) => cols.map((c) => (r[c as keyof typeof r] ?? NaN) as number)));
    const res = await session.run({ features: new ort.Tensor('float32', feed, [rows.length, cols.length]) });
    const logits = Array.from(res.logits!.data as Float32Array);
    expect(fromBundle.json.outputs.logits).toEqual(rows.map((_, i) => logits.slice(i * 2, i * 2 + 2)));
    await session.release();

    // The same rows as binary float32 (the third, with its missing amount, has no binary form):
    // the unzipped bundle answers exactly as wb serve-model and as its own JSON route do.
    const f32 = Buffer.from(feed.slice(0, 2 * cols.length).buffer);
    const binary = async (url: string, accept?: string) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...(accept ? { accept } : {}) }, body: f32 });
      return { status: res.status, shape: res.headers.get('x-output-shape'), bytes: Buffer.from(await res.arrayBuffer()) };
    };
    const bundleJson = await binary(`${bundleUrl}/predict`);
    expect(bundleJson.status).toBe(200);
    expect(JSON.parse(bundleJson.bytes.toString()).outputs).toEqual({ logits: fromBundle.json.outputs.logits.slice(0, 2) });
    const bundleRaw = await binary(`${bundleUrl}/predict`, 'application/octet-stream');
    const serveRaw = await binary(`${servedUrl}/v1/models/fraud-classifier/predict`, 'application/octet-stream');
    expect(bundleRaw.status).toBe(200);
    expect(bundleRaw.shape).toBe('2,2');
    expect(Buffer.compare(bundleRaw.bytes, serveRaw.bytes)).toBe(0);
    expect(Array.from(new Float32Array(bundleRaw.bytes.buffer, bundleRaw.bytes.byteOffset, 4))).toEqual(logits.slice(0, 4));
    const truncated = await fetch(`${bundleUrl}/predict`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: f32.subarray(0, 7) });
    expect(truncated.status).toBe(400);
    expect((await truncated.json()).error.message).toMatch(new RegExp(`7 bytes, not a whole number of ${cols.length * 4}-byte rows`));

    const bad = await predict(`${bundleUrl}/predict`, { rows: [{ amount: 'lots' }] });
    expect(bad.status).toBe(400);
    expect((await fetch(`${bundleUrl}/health`)).status).toBe(200);
  }, 120_000);

  test('concurrent promotions from two processes: exactly one wins, the other gets a conflict', async () => {
    await wb(home, ['model', 'register', '--run', runId, '--artifact', 'model.onnx', '--name', 'race']);
    await wb(home, ['model', 'register', '--run', runId, '--artifact', 'model.onnx', '--name', 'race']);
    const rev = String((await wbJson(home, ['model', 'show', 'race'])).revision);
    const [a, b] = await Promise.all([
      spawnWb(home, ['model', 'promote', 'race', '1', '--to', 'production', '--reason', 'a', '--if-revision', rev]).result,
      spawnWb(home, ['model', 'promote', 'race', '2', '--to', 'production', '--reason', 'b', '--if-revision', rev]).result,
    ]);
    expect([a.code, b.code].sort()).toEqual([0, 4]);
    expect([a.stderr, b.stderr].join('\n')).toMatch(/another stage or alias change won/);
    const m = await wbJson(home, ['model', 'show', 'race']);
    expect(m.stages.production).toHaveLength(1);
  }, 60_000);

  test('a scikit-learn pickle: template run → register → wb serve-model (Python worker) = the unzipped bundle\'s python3 server.py', async () => {
    const r = await wb(home, ['run', '--project', 'fraud-detection', '--template', 'tabular-sklearn', '--dataset', 'transactions', '--param', 'target=is_fraud', '--quiet']);
    expect(r.stderr).toContain('succeeded');
    const run = (await wbJson<{ runs: Array<{ id: string; template: string }> }>(home, ['run', 'list'])).runs.find((x) => x.template === 'tabular-sklearn')!;
    const v = await wbJson(home, ['model', 'register', '--run', run.id, '--artifact', 'model.pkl', '--name', 'fraud-sklearn']);
    expect(v.format).toBe('pickle');
    expect(v.signature.inputs[0]).toMatchObject({ dtype: 'object', columns: ['amount', 'hour', 'merchant'], columnTypes: ['number', 'number', 'string'] });
    expect(v.lineage.environment.packages['scikit-learn']).toBeTruthy();

    const out = path.join(home, 'out-pkl');
    expect((await wb(home, ['export', 'fraud-sklearn@1', '--out', path.join(out, 'bundle.zip')])).code).toBe(0);
    expect(spawnSync('unzip', ['-q', path.join(out, 'bundle.zip'), '-d', path.join(out, 'bundle')]).status).toBe(0);
    expect(await readFile(path.join(out, 'bundle', 'requirements.txt'), 'utf8')).toMatch(/^scikit-learn==/);
    expect(await readFile(path.join(out, 'bundle', 'README.md'), 'utf8')).toContain('pip install -r requirements.txt && python3 server.py');
    expect((await wb(home, ['export', 'fraud-sklearn@1', '--format', 'docker', '--out', path.join(out, 'ctx')])).code).toBe(0);
    expect(await readFile(path.join(out, 'ctx', 'Dockerfile'), 'utf8')).toMatch(/^FROM python:3\.\d+-slim$/m);
    expect((await wb(home, ['export', 'verify', path.join(out, 'ctx')])).stdout).toMatch(/^ok:/);
    const bundle = spawn('/usr/bin/python3', ['server.py', '--port', '0'], { cwd: path.join(out, 'bundle'), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(bundle);
    const bundleUrl = (await waitForLine(bundle, /listening on (\S+)/, 'the bundle server.py'))[1]!;
    const served = spawnWb(home, ['serve-model', 'fraud-sklearn@1', '--port', '0']);
    children.push(served);
    const servedUrl = (await waitForLine(served, /listening on (\S+)/, 'wb serve-model'))[1]!;

    const rows = [
      { amount: 950, hour: 2, merchant: 'online' },
      { amount: 20, hour: 13, merchant: 'fuel' },
      { amount: null, hour: 23, merchant: null },
    ];
    const a = await predict(`${bundleUrl}/predict`, { rows });
    const b = await predict(`${servedUrl}/v1/models/fraud-sklearn/predict`, { rows });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.json.predictions).toEqual(b.json.predictions);
    expect(a.json.outputs).toEqual(b.json.outputs);
    expect(a.json.predictions[0]).toBe(1);
    for (const [body, re] of [
      [{ rows: [{ amount: 'x', hour: 1, merchant: 'shop' }] }, /must be a finite number/],
      [{ rows: [{ amount: 1, hour: 1 }] }, /lacks column 'merchant'/],
      [{ rows: [{ amount: 1, hour: 1, merchant: 'shop', extra: 1 }] }, /unknown column/],
    ] as const) {
      const x = await predict(`${bundleUrl}/predict`, body);
      const y = await predict(`${servedUrl}/predict`, body);
      expect([x.status, y.status]).toEqual([400, 400]);
      expect(x.json.error.message).toMatch(re);
      expect(x.json.error.message).toBe(y.json.error.message);
    }
  }, 120_000);

  test('bad input gets a clear error and exit code', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['model', 'register', '--run', runId, '--artifact', 'nope.onnx', '--name', 'x'], 3, /artifact 'nope.onnx' not found/],
      [['model', 'show', 'ghost'], 3, /model 'ghost' not found/],
      [['model', 'promote', 'fraud-classifier', '9', '--to', 'staging'], 3, /not found/],
      [['model', 'promote', 'fraud-classifier', '1', '--to', 'heaven'], 2, /--to must be one of/],
      [['export', 'ghost@production', '--out', 'x.zip'], 3, /not found/],
      [['model', 'register', '--run', runId, '--artifact', 'model.pt', '--name', 'pt'], 0, /registered pt version 1/],
      [['export', 'pt@1', '--out', 'pt.zip'], 2, /neither an ONNX model nor a scikit-learn pickle/],
    ];
    for (const [args, code, re] of cases) {
      const r = await wb(home, args);
      expect(r.code, args.join(' ') + r.stderr).toBe(code);
      expect(r.stdout + r.stderr).toMatch(re);
    }
    await writeFile(path.join(home, 'junk.zip'), 'not a zip');
    const v = await wb(home, ['export', 'verify', path.join(home, 'junk.zip')]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/not a readable ZIP/);
  }, 60_000);
});
