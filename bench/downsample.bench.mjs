// One 1,000,000-point series made chart-ready (<= 2,000 points, extremes kept). Budget < 50 ms.
// Reported twice: the reduction alone, and read-from-the-store + resolve + reduce.
import { dist, median, report, round, tempHome } from './lib.mjs';

const { Workspace, Projects, Runs, readSeries, downsample, allocColumns } = await import(dist('core'));
const n = 1_000_000;
const c = allocColumns(n);
for (let i = 0; i < n; i++) {
  c.step[i] = i;
  c.value[i] = Math.sin(i / 5000) + Math.random() * 0.1;
  c.ts[i] = i;
  c.seq[i] = i + 1;
  c.attempt[i] = 1;
}
const reduceTimes = [];
let kept = 0;
for (let r = 0; r < 15; r++) {
  const t = performance.now();
  kept = downsample(c, 2000).series.step.length;
  reduceTimes.push(performance.now() - t);
}

const { dir, dispose } = await tempHome();
const ws = await Workspace.open(dir);
await new Projects(ws).create('bench');
const runs = new Runs(ws);
const run = await runs.create({ project: 'bench', command: ['bench'] });
for (let b = 0; b < n; b += 50_000) {
  const pts = [];
  for (let i = b; i < b + 50_000; i++) pts.push({ key: 'loss', step: i, value: c.value[i], ts: 0, attempt: 1 });
  await runs.ingest(run.id, { metrics: pts });
}
const endToEnd = [];
for (let r = 0; r < 10; r++) {
  const t = performance.now();
  const s = await readSeries(ws.db, run.id, 'loss');
  downsample(s, 2000);
  endToEnd.push(performance.now() - t);
}
await ws.close();
await dispose();
report('series-downsample', {
  points: n,
  keptPoints: kept,
  reduceMsMedian: round(median(reduceTimes), 2),
  readResolveReduceMsMedian: round(median(endToEnd), 2),
  budgetMs: 50,
});
