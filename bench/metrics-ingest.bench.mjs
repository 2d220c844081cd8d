// Metric points into the store, directly (the path every ingest takes): batches of 10,000
// points over 10 keys, one transaction each. Budget: >= 1,000,000 points/s.
import { dist, quick, report, round, tempHome } from './lib.mjs';

const { Workspace, Projects, Runs, readRawSeries } = await import(dist('core'));
const { dir, dispose } = await tempHome();
const ws = await Workspace.open(dir);
await new Projects(ws).create('bench');
const runs = new Runs(ws);
const run = await runs.create({ project: 'bench', command: ['bench'] });

const total = quick ? 100_000 : 2_000_000;
const batch = 10_000;
const keys = Array.from({ length: 10 }, (_, i) => `metric_${i}`);
const ts = Date.now();
let step = 0;
const batches = [];
for (let b = 0; b < total / batch; b++) {
  const points = new Array(batch);
  for (let i = 0; i < batch; i++) {
    points[i] = { key: keys[i % 10], step: step + Math.floor(i / 10), value: Math.random(), ts, attempt: 1 };
  }
  step += batch / 10;
  batches.push(points);
}
const t0 = performance.now();
for (const points of batches) await runs.ingest(run.id, { metrics: points });
const seconds = (performance.now() - t0) / 1000;

const r0 = performance.now();
let read = 0;
for (const k of keys) read += (await readRawSeries(ws.db, run.id, k)).step.length;
const readSeconds = (performance.now() - r0) / 1000;
await ws.close();
await dispose();
report('metrics-ingest-direct', {
  points: total,
  seconds: round(seconds, 3),
  pointsPerSecond: Math.round(total / seconds),
  budgetPointsPerSecond: 1_000_000,
  pointReadsPerSecond: Math.round(read / readSeconds),
  budgetPointReadsPerSecond: 200_000,
});
