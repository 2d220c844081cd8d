// Log line emitted by a child process -> received by a WebSocket subscriber, at 10,000
// lines/s for 3 s. Both ends read CLOCK_MONOTONIC (process.hrtime), shared by all processes.
// Two paths: a run started by the server (in-process notification) and a run started by
// `wb run` in another process (seen through SQLite's data_version). Target: p99 < 20 ms.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import WebSocket from 'ws';
import { dist, percentile, quick, report, root, round, tempHome } from './lib.mjs';

const { startServer } = await import(dist('server'));
const seconds = quick ? 1 : 3;
const rate = 10_000;
const { dir, dispose } = await tempHome();
const emitter = path.join(dir, 'emit.js');
await writeFile(
  emitter,
  `
const perTick = ${rate / 1000};
const total = ${rate * seconds};
let sent = 0;
setTimeout(() => {
  const timer = setInterval(() => {
    let chunk = '';
    for (let i = 0; i < perTick && sent < total; i++, sent++) chunk += 'line ' + sent + ' t=' + process.hrtime.bigint() + '\\n';
    process.stdout.write(chunk);
    if (sent >= total) clearInterval(timer);
  }, 1);
}, 1500);
`,
);

const server = await startServer({ workspaceDir: path.join(dir, 'ws'), port: 0, quiet: true, logLevel: 'warn' });
const api = async (method, url, body) => {
  const r = await fetch(server.url + url, { method, headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
  if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${await r.text()}`);
  return r.json();
};
await api('POST', '/api/v1/projects', { name: 'bench' });

async function measure(runId, done) {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/stream?token=${server.token}`);
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  const lat = [];
  ws.on('message', (data) => {
    const now = process.hrtime.bigint();
    const m = JSON.parse(data.toString());
    if (m.type !== 'logs') return;
    for (const l of m.lines) {
      const t = / t=(\d+)$/.exec(l.text);
      if (t) lat.push(Number(now - BigInt(t[1])) / 1e6);
    }
  });
  ws.send(JSON.stringify({ op: 'subscribe', runId, afterLogSeq: 0, afterMetricSeq: 0 }));
  await done;
  await new Promise((r) => setTimeout(r, 300));
  ws.close();
  lat.sort((a, b) => a - b);
  return { lines: lat.length, p50Ms: round(percentile(lat, 50), 2), p99Ms: round(percentile(lat, 99), 2), maxMs: round(lat.at(-1), 2) };
}

// 1. A run the server supervises.
const run = await api('POST', '/api/v1/runs', { project: 'bench', command: [process.execPath, emitter] });
const serverRun = await measure(run.id, (async () => {
  for (;;) {
    const r = await api('GET', `/api/v1/runs/${run.id}`);
    if (['succeeded', 'failed', 'cancelled', 'lost'].includes(r.status)) return;
    await new Promise((res) => setTimeout(res, 100));
  }
})());

// 2. A run `wb run` supervises in another process.
const cli = spawn(process.execPath, [path.join(root, 'packages/cli/dist/bundle/bin.js'), 'run', '--project', 'bench', '--quiet', '--', process.execPath, emitter], {
  env: { ...process.env, WB_HOME: path.join(dir, 'ws') },
  stdio: 'ignore',
});
let cliRunId;
for (;;) {
  const list = await api('GET', '/api/v1/runs?project=bench&limit=1');
  if (list.runs[0] && list.runs[0].id !== run.id) {
    cliRunId = list.runs[0].id;
    break;
  }
  await new Promise((res) => setTimeout(res, 20));
}
const cliRun = await measure(cliRunId, new Promise((r) => cli.once('exit', r)));
await server.close();
await dispose();
report('log-latency', { linesPerSecond: rate, seconds, serverSupervised: serverRun, cliSupervised: cliRun, budgetP99Ms: 20 });
