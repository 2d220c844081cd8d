import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Artifacts, Models, Projects, Runs, findUp, tempDir, tempWorkspace, type Workspace } from '@workbench/core';
import type { ModelVersion } from '@workbench/api';
import { exportDocker, exportZip } from './export.js';
import { inferSignature } from './inspect.js';
import { startModelServer, type ModelServer } from './serve.js';
import { hasOnnxPython, writeTinyOnnx } from './testing/tiny-onnx.js';
import { verifyExport } from './verify.js';

const repoRoot = findUp(import.meta.url, 'package-lock.json')!;
const canBuild = hasOnnxPython();

let ws: Workspace;
let dir: string;
let disposeWs: () => Promise<void>;
let v: ModelVersion;
let server: ModelServer;
const columns = ['amount', 'age', 'score'];

async function post(url: string, body: string | object, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

async function inProcess(file: string, rows: number[][]): Promise<number[][]> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const out = await session.run({ features: new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, rows[0]!.length]) });
  const t = out.logits!;
  const per = t.dims[1]!;
  const data = Array.from(t.data as Float32Array);
  await session.release();
  return rows.map((_, i) => data.slice(i * per, i * per + per));
}

describe.skipIf(!canBuild)('ship: serving, exports, verification (needs /usr/bin/python3 with onnx to build the test model)', () => {
  beforeAll(async () => {
    ({ ws, dir, dispose: disposeWs } = await tempWorkspace());
    await new Projects(ws).create('p');
    const runs = new Runs(ws);
    const run = await runs.create({ project: 'p', command: ['train'] });
    writeTinyOnnx(path.join(dir, 'model.onnx'));
    await writeFile(path.join(dir, 'model.schema.json'), JSON.stringify({ inputs: [{ name: 'features', dtype: 'float32', shape: [null, 3], columns }], outputs: [{ name: 'logits', dtype: 'float32', shape: [null, 2] }], labels: ['legit', 'fraud'], task: 'classification' }));
    await writeFile(path.join(dir, 'broken.onnx'), 'this is not an onnx graph');
    for (const name of ['model.onnx', 'model.schema.json', 'broken.onnx']) await new Artifacts(ws).add(run.id, { name, file: path.join(dir, name) });
    const models = new Models(ws);
    v = await models.register({ runId: run.id, artifact: 'model.onnx', name: 'fraud', inferSignature });
    const broken = await models.register({ runId: run.id, artifact: 'broken.onnx', name: 'broken', signature: v.signature! });
    server = await startModelServer({
      port: 0,
      models: [
        { name: 'fraud', version: v.version, format: v.format, file: models.artifactPath(v), signature: v.signature },
        { name: 'broken', version: broken.version, format: broken.format, file: models.artifactPath(broken), signature: broken.signature },
      ],
    });
  });
  afterAll(async () => {
    await server?.close();
    await disposeWs?.();
  });

  test('an ONNX graph declares its signature when the run logged none', async () => {
    const sig = await inferSignature(path.join(dir, 'model.onnx'), 'onnx');
    expect(sig).toEqual({ inputs: [{ name: 'features', dtype: 'float32', shape: [null, 3] }], outputs: [{ name: 'logits', dtype: 'float32', shape: [null, 2] }] });
    await expect(inferSignature(path.join(dir, 'broken.onnx'), 'onnx')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(v.signature?.inputs[0]?.columns).toEqual(columns); // the logged one wins
  });

  test('serves predictions equal to onnxruntime in-process, as rows or tensors', async () => {
    const rows = [[1, 2, 3], [0.5, -1, 4], [10, 0, -2]];
    const expected = await inProcess(path.join(dir, 'model.onnx'), rows);
    const r = await post(`${server.url}/v1/models/fraud/predict`, { rows: rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))) });
    expect(r.status).toBe(200);
    expect(r.json.outputs.logits).toEqual(expected);
    expect(r.json.predictions).toEqual(expected.map((l) => (l[1]! > l[0]! ? 'fraud' : 'legit')));
    const t = await post(`${server.url}/v1/models/fraud/predict`, { inputs: { features: rows } });
    expect(t.json.outputs.logits).toEqual(expected);
    const arr = await post(`${server.url}/v1/models/fraud/predict`, { rows });
    expect(arr.json.outputs.logits).toEqual(expected);
  });

  test('bad requests get a clear 4xx; a model that failed to load does not stop the others', async () => {
    const u = `${server.url}/v1/models/fraud/predict`;
    const cases: Array<[string | object, number, RegExp]> = [
      [{ rows: [{ amount: 1, age: 2 }] }, 400, /lacks column 'score'/],
      [{ rows: [{ amount: 1, age: 2, score: 3, extra: 4 }] }, 400, /unknown column\(s\): extra/],
      [{ rows: [{ amount: '1', age: 2, score: 3 }] }, 400, /must be a finite number/],
      [{ rows: [{ amount: true, age: 2, score: 3 }] }, 400, /must be a finite number/],
      ['{"rows": [{"amount": NaN, "age": 2, "score": 3}]}', 400, /not valid JSON/],
      ['{"rows": [{"amount": 1e400, "age": 2, "score": 3}]}', 400, /finite number/],
      [{ rows: [] }, 400, /non-empty/],
      [{ rows: [[1, 2]] }, 400, /has 2 values; the model takes 3/],
      [{ inputs: { features: [[1, 2, 3], [1, 2]] } }, 400, /ragged/],
      [{ inputs: { nope: [[1]] } }, 400, /unknown input/],
      [{ rowz: [] }, 400, /unknown field/],
      [[1, 2], 400, /JSON object/],
    ];
    for (const [body, status, message] of cases) {
      const r = await post(u, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.json.error.message).toMatch(message);
    }
    const big = await post(u, { rows: Array.from({ length: 200_000 }, () => ({ amount: 1.123456789, age: 2.123456789, score: 3.123456789 })) });
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe('PAYLOAD_TOO_LARGE');
    const wrongType = await post(u, 'a=1', { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    const broken = await post(`${server.url}/v1/models/broken/predict`, { rows: [{ amount: 1, age: 2, score: 3 }] });
    expect(broken.status).toBe(503);
    expect(broken.json.error.message).toMatch(/failed to load/);
    const health = await (await fetch(`${server.url}/health`)).json();
    expect(health.status).toBe('degraded');
    expect(health.models.find((m: { name: string }) => m.name === 'fraud').ready).toBe(true);
    expect(health.models.find((m: { name: string }) => m.name === 'broken').error).toBeTruthy();
    expect((await post(u, { rows: [{ amount: 1, age: 2, score: 3 }] })).status).toBe(200);
    expect((await post(`${server.url}/v1/models/ghost/predict`, { rows: [[1, 2, 3]] })).status).toBe(404);
  });

  test('ZIP exports are reproducible and verifiable; a changed file is named', async () => {
    const { dir: out, dispose } = await tempDir();
    try {
      const src = { version: v, artifactPath: new Models(ws).artifactPath(v) };
      const a = await exportZip(src, path.join(out, 'a.zip'));
      await new Promise((r) => setTimeout(r, 1100)); // a second later: timestamps must not leak in
      await exportZip(src, path.join(out, 'b.zip'));
      expect(Buffer.compare(await readFile(path.join(out, 'a.zip')), await readFile(path.join(out, 'b.zip')))).toBe(0);
      expect(a.manifest.files.map((f) => f.path)).toEqual(['README.md', 'model/model.onnx', 'package.json', 'predictor.mjs', 'server.mjs']);
      const ok = await verifyExport(path.join(out, 'a.zip'));
      expect(ok.ok).toBe(true);
      expect(ok.files.every((f) => f.status === 'ok')).toBe(true);
      // Tamper with the stored model bytes inside the ZIP.
      const bytes = await readFile(path.join(out, 'a.zip'));
      const at = bytes.indexOf(Buffer.from('features')); // inside the stored ONNX graph
      expect(at).toBeGreaterThan(0);
      bytes[at] = bytes[at]! ^ 0x20;
      await writeFile(path.join(out, 'tampered.zip'), bytes);
      const bad = await verifyExport(path.join(out, 'tampered.zip'));
      expect(bad.ok).toBe(false);
      expect(bad.files.filter((f) => f.status !== 'ok')).toEqual([expect.objectContaining({ path: 'model/model.onnx', status: 'changed' })]);
      await writeFile(path.join(out, 'junk.zip'), 'not a zip at all');
      await expect(verifyExport(path.join(out, 'junk.zip'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(verifyExport(path.join(out, 'missing.zip'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // Hostile archives: a path leaving the folder, a manifest that is not ours.
      spawnSync('/usr/bin/python3', ['-c', `import zipfile, sys
z = zipfile.ZipFile(sys.argv[1], 'w'); z.writestr('../evil', 'x'); z.writestr('manifest.json', '{}'); z.close()
z = zipfile.ZipFile(sys.argv[2], 'w'); z.writestr('manifest.json', '{"format": "nope"}'); z.close()`, path.join(out, 'evil.zip'), path.join(out, 'other.zip')]);
      await expect(verifyExport(path.join(out, 'evil.zip'))).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('../evil') });
      await expect(verifyExport(path.join(out, 'other.zip'))).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('not a Workbench bundle manifest') });
    } finally {
      await dispose();
    }
  });

  test('the Docker build context is deterministic, verifiable, and its server runs with plain Node', async () => {
    const { dir: out, dispose } = await tempDir();
    let child: ChildProcess | undefined;
    try {
      const src = { version: v, artifactPath: new Models(ws).artifactPath(v) };
      await exportDocker(src, path.join(out, 'ctx1'));
      await exportDocker(src, path.join(out, 'ctx2'));
      const diff = spawnSync('diff', ['-r', path.join(out, 'ctx1'), path.join(out, 'ctx2')], { encoding: 'utf8' });
      expect(diff.status, diff.stdout).toBe(0);
      const dockerfile = await readFile(path.join(out, 'ctx1', 'Dockerfile'), 'utf8');
      expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim$/m);
      expect(dockerfile).toMatch(/npm install --omit=dev/);
      expect(dockerfile).toMatch(/CMD \["node", "server.mjs"\]/);
      const pkg = JSON.parse(await readFile(path.join(out, 'ctx1', 'package.json'), 'utf8'));
      expect(Object.keys(pkg.dependencies)).toEqual(['onnxruntime-node']);
      await expect(exportDocker(src, path.join(out, 'ctx1'))).rejects.toMatchObject({ code: 'CONFLICT' });
      expect((await verifyExport(path.join(out, 'ctx1'))).ok).toBe(true);
      await writeFile(path.join(out, 'ctx2', 'server.mjs'), '// changed\n', { flag: 'a' });
      const bad = await verifyExport(path.join(out, 'ctx2'));
      expect(bad.files.filter((f) => f.status !== 'ok').map((f) => `${f.path}:${f.status}`)).toEqual(['server.mjs:changed']);

      // What `docker run` would start: node server.mjs with HOST/PORT, onnxruntime-node from npm install (here: this checkout's).
      await symlink(path.join(repoRoot, 'node_modules'), path.join(out, 'ctx1', 'node_modules'));
      child = spawn(process.execPath, ['server.mjs'], { cwd: path.join(out, 'ctx1'), env: { ...process.env, HOST: '127.0.0.1', PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        child!.stdout!.on('data', (c: Buffer) => {
          text += c.toString();
          const m = /listening on (\S+)/.exec(text);
          if (m) resolve(m[1]!);
        });
        child!.on('exit', (code) => reject(new Error(`server exited ${code}`)));
      });
      const r = await post(`${url}/predict`, { rows: [{ amount: 1, age: 2, score: 3 }] });
      expect(r.status).toBe(200);
      expect(r.json.outputs.logits).toEqual(await inProcess(path.join(dir, 'model.onnx'), [[1, 2, 3]]));
    } finally {
      child?.kill();
      await dispose();
    }
  });
});
