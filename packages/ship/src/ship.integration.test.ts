import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFile, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
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

/** Rows as the binary request format: little-endian float32 values, row after row. */
function float32Body(rows: number[][]): Buffer {
  const b = Buffer.alloc(rows.length * rows[0]!.length * 4);
  rows.flat().forEach((x, k) => b.writeFloatLE(x, k * 4));
  return b;
}

async function postBinary(url: string, body: Uint8Array, accept?: string): Promise<{ status: number; headers: Headers; bytes: Buffer; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...(accept ? { accept } : {}) }, body });
  const bytes = Buffer.from(await res.arrayBuffer());
  let json: unknown = null;
  if ((res.headers.get('content-type') ?? '').startsWith('application/json')) json = JSON.parse(bytes.toString('utf8'));
  return { status: res.status, headers: res.headers, bytes, json };
}

/** A request written by hand on a socket: the status line of the answer. */
function rawRequest(url: string, head: string, body = ''): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () => socket.end(head + body));
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('close', () => resolve(text.split('\r\n')[0]!));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
  });
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

  test('binary float32 rows predict what JSON rows and onnxruntime in-process predict; raw float32 out on request', async () => {
    const u = `${server.url}/v1/models/fraud/predict`;
    const rows = [[1, 2, 3], [0.5, -1, 4], [10, 0, -2], [1e-3, 123.456, -7.25]];
    const expected = await inProcess(path.join(dir, 'model.onnx'), rows);
    const asJson = await post(u, { rows });
    const asBinary = await postBinary(u, float32Body(rows));
    expect(asBinary.status).toBe(200);
    expect(asBinary.json).toEqual(asJson.json);
    expect(asBinary.json.outputs.logits).toEqual(expected);
    expect(asBinary.json.predictions).toEqual(expected.map((l) => (l[1]! > l[0]! ? 'fraud' : 'legit')));

    const raw = await postBinary(u, float32Body(rows), 'application/octet-stream');
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toBe('application/octet-stream');
    expect(raw.headers.get('x-output-name')).toBe('logits');
    expect(raw.headers.get('x-output-dtype')).toBe('float32');
    expect(raw.headers.get('x-output-shape')).toBe('4,2');
    expect(raw.bytes.length).toBe(4 * 2 * 4);
    expect(Array.from({ length: 8 }, (_, k) => raw.bytes.readFloatLE(k * 4))).toEqual(expected.flat());
    // JSON in, raw float32 out works too.
    const mixed = await fetch(u, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/octet-stream' }, body: JSON.stringify({ rows }) });
    expect(Buffer.compare(Buffer.from(await mixed.arrayBuffer()), raw.bytes)).toBe(0);
    // Accept: */* or JSON still answers JSON.
    expect((await postBinary(u, float32Body(rows), '*/*')).json.outputs.logits).toEqual(expected);
    expect((await postBinary(u, float32Body(rows), 'application/octet-stream;q=0, application/json')).json.outputs.logits).toEqual(expected);
  });

  test('bad binary requests get a clear 4xx that says what a row is, and the server keeps serving', async () => {
    const u = `${server.url}/v1/models/fraud/predict`;
    const good = float32Body([[1, 2, 3]]);
    const cases: Array<[Uint8Array, number, RegExp, RegExp?]> = [
      [good.subarray(0, 11), 400, /the body is 11 bytes, not a whole number of 12-byte rows \(3 float32 values each\)/, /amount, age, score/],
      [Buffer.concat([good, good.subarray(0, 5)]), 400, /17 bytes, not a whole number of 12-byte rows/],
      [new Uint8Array(0), 400, /the request body is empty/, /12 bytes/],
      [float32Body([[1, 2, 3], [4, NaN, 6]]), 400, /row 1, column 'age' is NaN: the values must be finite/, /no missing value/],
      [float32Body([[1, 2, 3], [4, 5, 6], [Infinity, 5, 6]]), 400, /row 2, column 'amount' is Infinity/],
      [float32Body([[1, 2, -Infinity]]), 400, /row 0, column 'score' is -Infinity/],
    ];
    for (const [body, status, message, hint] of cases) {
      const r = await postBinary(u, body);
      expect(r.status, message.source).toBe(status);
      expect(r.json.error.code).toBe('INVALID_INPUT');
      expect(r.json.error.message).toMatch(message);
      if (hint) expect(r.json.error.hint).toMatch(hint);
    }
    // Over the body limit: refused from the declared length, before any of it is read …
    expect(await rawRequest(server.url, `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 999999999999\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1.1 413/);
    // … or as it arrives.
    const big = await postBinary(u, Buffer.alloc(4 * 1024 * 1024 + 12));
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe('PAYLOAD_TOO_LARGE');
    const wrongType = await post(u, good.toString('latin1'), { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    expect(wrongType.json.error.message).toMatch(/application\/json or application\/octet-stream/);
    expect((await post(u, '', { 'content-type': 'application/json' })).json.error.message).toMatch(/the request body is empty/);
    const untyped = await fetch(u, { method: 'POST', body: good });
    expect(untyped.status).toBe(415);
    expect((await untyped.json()).error.message).toMatch(/it has no Content-Type/);
    const badPath = await postBinary(`${server.url}/v1/models/%E0%A4%A/predict`, good);
    expect(badPath.status).toBe(400);
    expect(badPath.json.error.code).toBe('INVALID_INPUT');
    const noOutput = await fetch(`${u}?output=nope`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', accept: 'application/octet-stream' }, body: good });
    expect(noOutput.status).toBe(400);
    expect((await noOutput.json()).error.message).toMatch(/no output 'nope'/);
    const broken = await postBinary(`${server.url}/v1/models/broken/predict`, good);
    expect(broken.status).toBe(503);
    // Still serving, binary and JSON alike.
    const after = await postBinary(u, good, 'application/octet-stream');
    expect(after.status).toBe(200);
    expect(Array.from({ length: 2 }, (_, k) => after.bytes.readFloatLE(k * 4))).toEqual((await inProcess(path.join(dir, 'model.onnx'), [[1, 2, 3]]))[0]);
    expect((await post(u, { rows: [{ amount: 1, age: 2, score: 3 }] })).status).toBe(200);
  });

  test('JSON rows out of column order, with whitespace, long numbers and nulls predict like onnxruntime in-process', async () => {
    const u = `${server.url}/v1/models/fraud/predict`;
    const text = '{ "rows" : [\n {"score": 3, "age": 2.00000000000000000001, "amount": 0.10000000149011612},\n {"amount": -1.5e2, "age": null, "score": 1E-3} ] }';
    const r = await post(u, text);
    expect(r.status).toBe(200);
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const out = await session.run({ features: new ort.Tensor('float32', Float32Array.from([0.10000000149011612, 2, 3, -150, NaN, 0.001]), [2, 3]) });
    const data = Array.from(out.logits!.data as Float32Array).map((x) => (Number.isFinite(x) ? x : null));
    await session.release();
    expect(r.json.outputs.logits).toEqual([data.slice(0, 2), data.slice(2, 4)]);
    const tooBig = await post(u, { rows: [{ amount: 1, age: 1e39, score: 3 }] });
    expect(tooBig.status).toBe(400);
    expect(tooBig.json.error.message).toMatch(/row 0, column 'age' is outside the float32 range/);
  });

  test('ZIP exports are reproducible and verifiable; a changed file is named', async () => {
    const { dir: out, dispose } = await tempDir();
    try {
      const src = { version: v, artifactPath: new Models(ws).artifactPath(v) };
      const a = await exportZip(src, path.join(out, 'a.zip'));
      await new Promise((r) => setTimeout(r, 1100)); // a second later: timestamps must not leak in
      await exportZip(src, path.join(out, 'b.zip'));
      expect(Buffer.compare(await readFile(path.join(out, 'a.zip')), await readFile(path.join(out, 'b.zip')))).toBe(0);
      expect(a.manifest.files.map((f) => f.path)).toEqual(['README.md', 'binary-tensors.mjs', 'json-rows.mjs', 'model/model.onnx', 'package.json', 'predictor.mjs', 'request-error.mjs', 'server.mjs']);
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

  test('a stored artifact changed outside Workbench fails the export with what to do, and leaves no file behind', async () => {
    const { dir: out, dispose } = await tempDir();
    try {
      const damaged = path.join(out, 'damaged.onnx');
      const bytes = await readFile(new Models(ws).artifactPath(v));
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
      await writeFile(damaged, bytes);
      await expect(exportZip({ version: v, artifactPath: damaged }, path.join(out, 'x.zip'))).rejects.toMatchObject({
        code: 'IO_ERROR',
        message: expect.stringContaining('does not match its SHA-256'),
        hint: expect.stringContaining('from a backup'),
      });
      const { readdir } = await import('node:fs/promises');
      expect((await readdir(out)).sort()).toEqual(['damaged.onnx']);
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
      // The bundle's own server reads binary rows with the same core as wb serve-model.
      const rows = [[1, 2, 3], [0.5, -1, 4]];
      for (const accept of [undefined, 'application/octet-stream']) {
        const fromBundle = await postBinary(`${url}/predict`, float32Body(rows), accept);
        const fromServe = await postBinary(`${server.url}/v1/models/fraud/predict`, float32Body(rows), accept);
        expect(fromBundle.status).toBe(200);
        expect(Buffer.compare(fromBundle.bytes, fromServe.bytes)).toBe(0);
        expect(fromBundle.headers.get('x-output-shape')).toBe(fromServe.headers.get('x-output-shape'));
      }
      const truncated = await postBinary(`${url}/predict`, float32Body(rows).subarray(0, 13));
      expect(truncated.status).toBe(400);
      expect(truncated.json.error.message).toMatch(/13 bytes, not a whole number of 12-byte rows/);
      expect(await rawRequest(url, `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 999999999999\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1.1 413/);
      const badPath = await postBinary(`${url}/v1/models/%E0%A4%A/predict`, float32Body(rows));
      expect(badPath.status).toBe(400);
      expect(badPath.json.error.message).toMatch(/not valid percent-encoding/);
      expect((await postBinary(`${url}/predict`, float32Body(rows))).status).toBe(200);
    } finally {
      child?.kill();
      await dispose();
    }
  });
});
