// Metric points end to end: a real Python process calls wb.log_metric() in a loop, the
// supervisor parses the event channel and stores every point. Budget: >= 300,000 points/s.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { dist, quick, report, round, tempHome } from './lib.mjs';

const { Workspace, Projects, Runs } = await import(dist('core'));
const { prepareRun } = await import(dist('runner'));
const python = process.env.WB_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const n = quick ? 100_000 : 1_000_000;
const { dir, dispose } = await tempHome();
const ws = await Workspace.open(path.join(dir, 'ws'));
await new Projects(ws).create('bench');
const code = `
import time, workbench as wb
t = time.perf_counter()
for i in range(${n}):
    wb.log_metric("loss", 1.0 / (i + 1), step=i)
print("python loop seconds", time.perf_counter() - t)
`;
const prepared = await prepareRun(ws, { project: 'bench', command: [python, '-c', code], cwd: dir });
let loop = null;
const t0 = performance.now();
const outcome = await prepared.start();
const seconds = (performance.now() - t0) / 1000;
const run = await new Runs(ws).get(prepared.run.id);
const stored = run.metrics?.find((m) => m.key === 'loss')?.count ?? 0;
const logs = await ws.db.selectFrom('log_lines').select('text').where('run_id', '=', run.id).execute();
for (const l of logs) {
  const m = /python loop seconds ([\d.]+)/.exec(l.text);
  if (m) loop = Number(m[1]);
}
await ws.close();
await dispose();
if (outcome.status !== 'succeeded' || stored !== n) throw new Error(`run ${outcome.status}, stored ${stored} of ${n}`);
report('metrics-ingest-protocol', {
  points: n,
  python,
  secondsEndToEnd: round(seconds, 3),
  pointsPerSecondEndToEnd: Math.round(n / seconds),
  pythonLoopSeconds: loop === null ? null : round(loop, 3),
  budgetPointsPerSecond: 300_000,
});
