import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ModelSignature } from '@workbench/api';
import { tempDir } from '@workbench/core';
import { defaultPython, type PickleWorker } from './pickle-worker.js';
import { startModelServer, type ModelServer } from './serve.js';

const hasSklearn = spawnSync(defaultPython(), ['-c', 'import sklearn, numpy'], { stdio: 'ignore' }).status === 0;

// A pipeline like the tabular-sklearn template's: a numeric and a categorical column.
const TRAIN = String.raw`
import pickle, sys, numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder, OneHotEncoder
X = np.array([[float(a), c] for a, c in zip(range(40), ["red", "blue"] * 20)], dtype=object)
y_raw = ["fraud" if a > 25 else "ok" for a in range(40)]
enc = LabelEncoder().fit(y_raw)
pipe = Pipeline([("prep", ColumnTransformer([("num", SimpleImputer(strategy="median"), [0]), ("cat", Pipeline([("fill", SimpleImputer(strategy="constant", fill_value="__missing__")), ("hot", OneHotEncoder(handle_unknown="ignore"))]), [1])])), ("model", LogisticRegression())])
pipe.fit(X, enc.transform(y_raw))
pickle.dump({"pipeline": pipe, "feature_names": ["amount", "color"], "label_encoder": enc}, open(sys.argv[1], "wb"))
print(",".join(enc.inverse_transform(pipe.predict(np.array([[30.0, "red"], [np.nan, "blue"]], dtype=object)))))
`;

describe.skipIf(!hasSklearn)('pickled scikit-learn models behind a supervised Python worker', () => {
  let dir: string;
  let dispose: () => Promise<void>;
  let server: ModelServer;
  let expected: string[];
  const signature: ModelSignature = { inputs: [{ name: 'features', dtype: 'object', shape: [null, 2], columns: ['amount', 'color'], columnTypes: ['number', 'string'] }], outputs: [], labels: ['fraud', 'ok'] };

  beforeAll(async () => {
    ({ dir, dispose } = await tempDir());
    const r = spawnSync(defaultPython(), ['-c', TRAIN, path.join(dir, 'model.pkl')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    expected = r.stdout.trim().split(',');
    await writeFile(path.join(dir, 'broken.pkl'), 'not a pickle');
    server = await startModelServer({
      port: 0,
      models: [
        { name: 'fraud', version: 1, format: 'pickle', file: path.join(dir, 'model.pkl'), signature },
        { name: 'broken', version: 1, format: 'pickle', file: path.join(dir, 'broken.pkl'), signature },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await dispose?.();
  });

  const predict = async (name: string, body: unknown) => {
    const res = await fetch(`${server.url}/v1/models/${name}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as any };
  };

  test('predicts what the pipeline predicts in Python, labels decoded, null as missing', async () => {
    const r = await predict('fraud', { rows: [{ amount: 30, color: 'red' }, { amount: null, color: 'blue' }] });
    expect(r.status).toBe(200);
    expect(r.json.predictions).toEqual(expected);
    expect(r.json.outputs.probabilities).toHaveLength(2);
  });

  test('requests are checked per column type; a pickle that fails to load is reported, the other serves', async () => {
    expect((await predict('fraud', { rows: [{ amount: 'lots', color: 'red' }] })).json.error.message).toMatch(/must be a finite number/);
    expect((await predict('fraud', { rows: [{ amount: 1, color: 3 }] })).json.error.message).toMatch(/must be a string/);
    expect((await predict('fraud', { rows: [{ amount: 1 }] })).status).toBe(400);
    // Binary rows and raw outputs are for ONNX models: a pickle says so and stays JSON.
    const binary = await fetch(`${server.url}/v1/models/fraud/predict`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(8) });
    expect(binary.status).toBe(415);
    expect(((await binary.json()) as any).error.message).toMatch(/binary requests are for ONNX models/);
    const raw = await fetch(`${server.url}/v1/models/fraud/predict`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/octet-stream' }, body: JSON.stringify({ rows: [{ amount: 30, color: 'red' }] }) });
    expect(raw.status).toBe(406);
    const broken = await predict('broken', { rows: [{ amount: 1, color: 'red' }] });
    expect(broken.status).toBe(503);
    expect(broken.json.error.message).toMatch(/could not be loaded/);
    const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string };
    expect(health.status).toBe('degraded');
  });

  test('a worker that dies is restarted and the next request is answered', async () => {
    const worker = (server.host as unknown as { models: Map<string, { backend: PickleWorker }> }).models.get('fraud')!.backend;
    const pid = worker.pid!;
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    const r = await predict('fraud', { rows: [{ amount: 30, color: 'red' }] });
    expect(r.status).toBe(200);
    expect(r.json.predictions).toEqual([expected[0]]);
    expect(worker.pid).not.toBe(pid);
  });
});
