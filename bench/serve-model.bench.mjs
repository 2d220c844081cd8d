// Prediction serving of a small ONNX model (16 inputs → 64 → 64 → 2 by default): requests/s and p50/p99
// latency at batch 1 and batch 256, over HTTP on loopback (`wb serve-model`'s server in its
// own process, autocannon as the load) and with onnxruntime called in-process, so the HTTP
// layer's overhead is visible. Target: HTTP ≥ 80 % of in-process throughput at batch 256.
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { dist, percentile, quick, report, round, tempHome } from './lib.mjs';

const seconds = quick ? 1 : 10;
const nIn = 16;
// WB_BENCH_SERVE_HIDDEN widens the hidden layers: the wider, the more the model's own compute dominates the HTTP/JSON cost.
const hidden = Number(process.env.WB_BENCH_SERVE_HIDDEN ?? 64);
const { dir, dispose } = await tempHome();
const file = path.join(dir, 'mlp.onnx');
const py = spawnSync('/usr/bin/python3', ['-c', `
import sys, random, onnx
from onnx import helper, TensorProto
random.seed(0)
def t(name, shape):
    n = 1
    for d in shape: n *= d
    return helper.make_tensor(name, TensorProto.FLOAT, shape, [random.uniform(-0.3, 0.3) for _ in range(n)])
nodes = [helper.make_node("Gemm", ["features", "W1", "B1"], ["h1"]), helper.make_node("Relu", ["h1"], ["r1"]),
         helper.make_node("Gemm", ["r1", "W2", "B2"], ["h2"]), helper.make_node("Relu", ["h2"], ["r2"]),
         helper.make_node("Gemm", ["r2", "W3", "B3"], ["logits"])]
g = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", ${nIn}])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 2])],
    [t("W1", [${nIn}, ${hidden}]), t("B1", [${hidden}]), t("W2", [${hidden}, ${hidden}]), t("B2", [${hidden}]), t("W3", [${hidden}, 2]), t("B3", [2])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 7
onnx.save(m, sys.argv[1])
`, file], { encoding: 'utf8' });
if (py.status !== 0) throw new Error(`building the model needs /usr/bin/python3 with onnx: ${py.stderr}`);

const columns = Array.from({ length: nIn }, (_, i) => `f${i}`);
const signature = { inputs: [{ name: 'features', dtype: 'float32', shape: [null, nIn], columns }], outputs: [{ name: 'logits', dtype: 'float32', shape: [null, 2] }], labels: ['no', 'yes'] };
const row = (i) => Object.fromEntries(columns.map((c, j) => [c, ((i * 31 + j * 7) % 100) / 10]));

// In-process: the same session options the server uses (1 intra-op thread per model).
const ort = await import('onnxruntime-node');
const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
async function inProcess(batch) {
  const data = Float32Array.from({ length: batch * nIn }, (_, k) => (k % 100) / 10);
  const lat = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    await session.run({ features: new ort.Tensor('float32', data, [batch, nIn]) });
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  return { requestsPerSecond: round(lat.length / seconds), rowsPerSecond: round((lat.length * batch) / seconds), p50Ms: round(percentile(lat, 50), 3), p99Ms: round(percentile(lat, 99), 3) };
}

// Over HTTP: the server in its own process, as `wb serve-model` runs it.
const serverCode = `
const { startModelServer } = await import(${JSON.stringify(dist('ship'))});
const s = await startModelServer({ port: 0, models: [{ name: 'mlp', version: 1, format: 'onnx', file: process.argv[1], signature: JSON.parse(process.argv[2]) }] });
console.log(s.url);
`;
const server = spawn(process.execPath, ['--input-type=module', '-e', serverCode, file, JSON.stringify(signature)], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  server.stdout.once('data', (d) => resolve(String(d).trim()));
  server.once('exit', (c) => reject(new Error(`server exited ${c}`)));
});
async function overHttp(batch, form = 'rows') {
  const body =
    form === 'rows'
      ? JSON.stringify({ rows: Array.from({ length: batch }, (_, i) => row(i)) })
      : JSON.stringify({ inputs: { features: Array.from({ length: batch }, (_, i) => columns.map((c) => row(i)[c])) } });
  const check = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (check.status !== 200) throw new Error(`predict failed: ${check.status} ${await check.text()}`);
  const r = await autocannon({ url: `${url}/predict`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 4, pipelining: 1, duration: seconds });
  if (r.non2xx || r.errors) throw new Error(`${r.non2xx} non-2xx, ${r.errors} errors`);
  const rps = r.requests.total / seconds;
  return { requestsPerSecond: round(rps), rowsPerSecond: round(rps * batch), p50Ms: r.latency.p50, p99Ms: r.latency.p99, bodyBytes: body.length };
}

const figures = {};
for (const batch of [1, 256]) {
  figures[`batch${batch}`] = { inProcess: await inProcess(batch), http: await overHttp(batch) };
}
// The same batch as a bare tensor ({"inputs": {"features": [[…]]}}): no column names to parse.
figures.batch256.httpTensorForm = await overHttp(256, 'tensor');
server.kill();
await session.release();
await dispose();
const b = figures.batch256;
report('serve-model', {
  seconds,
  model: `MLP ${nIn}→${hidden}→${hidden}→2 (ONNX, 1 thread)`,
  connections: 4,
  ...figures,
  httpVsInProcessAtBatch256: round(b.http.rowsPerSecond / b.inProcess.rowsPerSecond, 3),
  httpTensorFormVsInProcessAtBatch256: round(b.httpTensorForm.rowsPerSecond / b.inProcess.rowsPerSecond, 3),
  loadAverage: os.loadavg().map((x) => round(x, 1)),
  target: 0.8,
});
