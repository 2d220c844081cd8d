// Listing 10,000 runs with 100 params and 50 metrics each: sorted by a metric, sorted by a
// param, and filtered by both. Budget: < 100 ms for the metric sort.
import { dist, median, quick, report, round, tempHome } from './lib.mjs';

const { Workspace, Projects, Runs } = await import(dist('core'));
const { dir, dispose } = await tempHome();
const ws = await Workspace.open(dir);
await new Projects(ws).create('bench');
const runs = new Runs(ws);
const n = quick ? 1000 : 10_000;
const t0 = performance.now();
for (let b = 0; b < n; b += 500) {
  const ids = await runs.createMany(
    Array.from({ length: 500 }, (_, i) => ({
      project: 'bench',
      name: `run-${b + i}`,
      command: ['x'],
      params: Object.fromEntries(Array.from({ length: 100 }, (_, p) => [`param_${p}`, (b + i) * 0.001 + p])),
    })),
  );
  // 50 metrics per run, a few points each: the summary is what the list reads.
  for (const id of ids) {
    const points = [];
    for (let m = 0; m < 50; m++) for (let s = 0; s < 3; s++) points.push({ key: `metric_${m}`, step: s, value: Math.random(), ts: 0, attempt: 1 });
    await runs.ingest(id, { metrics: points });
  }
}
const setupSeconds = (performance.now() - t0) / 1000;
const time = async (q) => {
  await runs.list(q);
  return median(await Promise.all([0, 1, 2, 3, 4].map(async () => 0)).then(async () => {
    const xs = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      await runs.list(q);
      xs.push(performance.now() - t);
    }
    return xs;
  }));
};
const byMetric = await time({ sort: 'metric:metric_7', limit: 100 });
const byMetricMin = await time({ sort: 'metric:metric_7:min', limit: 100, desc: false });
const byParam = await time({ sort: 'param:param_42', limit: 100 });
const filtered = await time({ where: ['param:param_3>5', 'metric:metric_9<0.5'], sort: 'metric:metric_1', limit: 100 });
const withDetails = await time({ sort: 'metric:metric_7', limit: 100, details: true });
await ws.close();
await dispose();
report('runs-list', {
  runs: n,
  paramsPerRun: 100,
  metricsPerRun: 50,
  sortByMetricMs: round(byMetric),
  sortByMetricMinMs: round(byMetricMin),
  sortByParamMs: round(byParam),
  filterParamAndMetricMs: round(filtered),
  sortByMetricWithDetailsMs: round(withDetails),
  budgetMs: 100,
  setupSeconds: round(setupSeconds),
});
