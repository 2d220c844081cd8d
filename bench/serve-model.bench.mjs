// Prediction serving of a small ONNX model (16 inputs → 64 → 64 → 2 by default): requests/s and p50/p99
// latency at batch 1 and batch 256, over HTTP on loopback (`wb serve-model`'s server in its
// own process, autocannon as the load) with JSON and with binary float32 requests, and with
// onnxruntime called in-process, so the HTTP layer's overhead is visible. Target: HTTP ≥ 80 %
// of in-process throughput at batch 256.
//
// Load shape. Throughput is measured with 4 connections, one request at a time on each (no
// pipelining): the server always has the next request waiting, so it can read one while
// onnxruntime runs another, as under real concurrent clients; its p50/p99 then include
// queueing behind the other 3. One connection alone would measure a single client's round
// trip instead, with the server idle while the client handles each answer, so each form's
// latency is also measured that way (`latencyOneConnection`), to compare with the in-process
// call. The request bodies cycle through 32 different ones (the in-process calls through 32
// different inputs): the same body every time would let V8's number-to-string cache write
// the answers' numbers for free.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { dist, percentile, quick, report, round, tempHome } from './lib.mjs';

const seconds = quick ? 1 : 10;
const latencySeconds = quick ? 1 : 5;
const connections = 4;
const variants = 32;
const nIn = 16;
// WB_BENCH_SERVE_HIDDEN widens the hidden layers: the wider, the more the model's own compute dominates the HTTP/JSON cost.
// Without it, a second run at width 1024 is reported as `wideModel`.
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
// Feature values with one decimal, as a client's tabular data often has; variant v shifts them.
const value = (v, i, j) => ((i * 31 + j * 7 + v * 13) % 100) / 10;
const row = (v, i) => Object.fromEntries(columns.map((c, j) => [c, value(v, i, j)]));
const floats = (v, batch) => Float32Array.from({ length: batch * nIn }, (_, k) => value(v, Math.floor(k / nIn), k % nIn));

// In-process: the same session options the server uses (1 intra-op thread per model).
const ort = await import('onnxruntime-node');
const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
async function inProcess(batch) {
  const inputs = Array.from({ length: variants }, (_, v) => floats(v, batch));
  const lat = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    await session.run({ features: new ort.Tensor('float32', inputs[lat.length % variants], [batch, nIn]) });
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

/** CPU seconds the server process has used so far, in user space and in the kernel (from /proc). */
function serverCpuSeconds() {
  try {
    const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { user: Number(fields[11]) / 100, kernel: Number(fields[12]) / 100 }; // utime, stime in clock ticks (100/s on Linux)
  } catch {
    return { user: NaN, kernel: NaN };
  }
}

const FORMS = {
  // {"rows": [{"f0": …}, …]} → JSON
  json: { type: 'application/json', body: (v, batch) => JSON.stringify({ rows: Array.from({ length: batch }, (_, i) => row(v, i)) }) },
  // {"inputs": {"features": [[…], …]}} → JSON
  tensor: { type: 'application/json', body: (v, batch) => JSON.stringify({ inputs: { features: Array.from({ length: batch }, (_, i) => columns.map((c) => row(v, i)[c])) } }) },
  // float32 rows → JSON
  binaryInJsonOut: { type: 'application/octet-stream', body: (v, batch) => Buffer.from(floats(v, batch).buffer) },
  // float32 rows → raw float32 logits
  binary: { type: 'application/octet-stream', accept: 'application/octet-stream', body: (v, batch) => Buffer.from(floats(v, batch).buffer) },
};

async function load(requests, conns, duration) {
  const lat = [];
  const run = autocannon({ url: `${url}/predict`, requests, connections: conns, pipelining: 1, duration });
  run.on('response', (_client, _status, _bytes, ms) => lat.push(ms)); // autocannon's own histogram keeps whole milliseconds
  const r = await run;
  if (r.non2xx || r.errors) throw new Error(`${r.non2xx} non-2xx, ${r.errors} errors`);
  lat.sort((a, b) => a - b);
  return { requestsPerSecond: r.requests.total / duration, p50Ms: round(percentile(lat, 50), 3), p99Ms: round(percentile(lat, 99), 3) };
}

async function overHttp(batch, form, withLatency = true) {
  const f = FORMS[form];
  const headers = { 'content-type': f.type, ...(f.accept ? { accept: f.accept } : {}) };
  const requests = Array.from({ length: variants }, (_, v) => ({ method: 'POST', path: '/predict', headers, body: f.body(v, batch) }));
  const check = await fetch(`${url}/predict`, { method: 'POST', headers, body: requests[0].body });
  if (check.status !== 200) throw new Error(`predict failed: ${check.status} ${await check.text()}`);
  await check.arrayBuffer();
  const cpu0 = serverCpuSeconds();
  const client0 = process.cpuUsage();
  const busy = await load(requests, connections, seconds);
  const client = process.cpuUsage(client0);
  const cpu1 = serverCpuSeconds();
  const total = busy.requestsPerSecond * seconds;
  const figures = {
    requestsPerSecond: round(busy.requestsPerSecond),
    rowsPerSecond: round(busy.requestsPerSecond * batch),
    p50Ms: busy.p50Ms,
    p99Ms: busy.p99Ms,
    bodyBytes: requests[0].body.length,
    // Where the 2 cores went, per request: the server process (HTTP, parsing, onnxruntime) and the load generator.
    serverCpuMsPerRequest: round(((cpu1.user + cpu1.kernel - cpu0.user - cpu0.kernel) * 1000) / total, 3),
    serverKernelCpuMsPerRequest: round(((cpu1.kernel - cpu0.kernel) * 1000) / total, 3),
    loadGeneratorCpuMsPerRequest: round((client.user + client.system) / 1000 / total, 3),
  };
  if (withLatency) {
    const one = await load(requests, 1, latencySeconds);
    figures.latencyOneConnection = { requestsPerSecond: round(one.requestsPerSecond), p50Ms: one.p50Ms, p99Ms: one.p99Ms };
  }
  return figures;
}

const figures = {};
for (const batch of [1, 256]) {
  figures[`batch${batch}`] = { inProcess: await inProcess(batch), http: await overHttp(batch, 'json'), httpBinary: await overHttp(batch, 'binary') };
}
// Batch 256 in the other shapes: a bare tensor ({"inputs": {"features": [[…]]}}, no column
// names to read) and binary rows answered in JSON.
figures.batch256.httpTensorForm = await overHttp(256, 'tensor', false);
figures.batch256.httpBinaryInJsonOut = await overHttp(256, 'binaryInJsonOut', false);
server.kill();
await session.release();
await dispose();
const b = figures.batch256;
const vsInProcess = (form) => round(b[form].rowsPerSecond / b.inProcess.rowsPerSecond, 3);

// The same measurement on a wider model (16→1024→1024→2, about a million weights, 4 MB), in
// a process of its own: where the model's own compute is not dwarfed by any HTTP request's fixed
// cost, which is what the ≥ 80 % target can speak to. Skipped in quick mode and when
// WB_BENCH_SERVE_HIDDEN already picks a width.
let wideModel;
if (!quick && process.env.WB_BENCH_SERVE_HIDDEN === undefined) {
  const child = spawnSync(process.execPath, [new URL(import.meta.url).pathname], { env: { ...process.env, WB_BENCH_SERVE_HIDDEN: '1024' }, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (child.status !== 0) throw new Error(`the wide-model run failed: ${child.stderr}`);
  const w = JSON.parse(child.stdout.trim().split('\n').pop());
  wideModel = {
    model: w.model,
    batch256: { inProcess: w.batch256.inProcess, http: w.batch256.http, httpBinary: w.batch256.httpBinary },
    httpVsInProcessAtBatch256: w.httpVsInProcessAtBatch256,
    httpBinaryVsInProcessAtBatch256: w.httpBinaryVsInProcessAtBatch256,
  };
}
report('serve-model', {
  seconds,
  model: `MLP ${nIn}→${hidden}→${hidden}→2 (ONNX, 1 thread)`,
  connections,
  requestVariants: variants,
  ...figures,
  httpVsInProcessAtBatch256: vsInProcess('http'),
  httpTensorFormVsInProcessAtBatch256: vsInProcess('httpTensorForm'),
  httpBinaryVsInProcessAtBatch256: vsInProcess('httpBinary'),
  httpBinaryInJsonOutVsInProcessAtBatch256: vsInProcess('httpBinaryInJsonOut'),
  // The same ratio in CPU time: in-process time per call over the server's CPU per request.
  // It leaves out the load generator's share of the 2 cores and other processes' load, so it
  // is the throughput ratio the server would reach with a core to itself.
  serverCpuVsInProcessAtBatch256: Object.fromEntries(['http', 'httpTensorForm', 'httpBinary', 'httpBinaryInJsonOut'].map((form) => [form, round(1000 / b.inProcess.requestsPerSecond / b[form].serverCpuMsPerRequest, 3)])),
  ...(wideModel ? { wideModel } : {}),
  loadAverage: os.loadavg().map((x) => round(x, 1)),
  target: 0.8,
});
