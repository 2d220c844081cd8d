// Run records: runs created per second (each with 10 params, in one transaction per run, the
// way `wb run` and the API create them) and log lines stored per second in batches.
import { dist, quick, report, round, tempHome } from './lib.mjs';

const { Workspace, Projects, Runs, readLogs } = await import(dist('core'));
const { dir, dispose } = await tempHome();
const ws = await Workspace.open(dir);
await new Projects(ws).create('bench');
const runs = new Runs(ws);

const nRuns = quick ? 500 : 5_000;
const params = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`p${i}`, i * 0.1]));
let t = performance.now();
for (let i = 0; i < nRuns; i++) await runs.create({ project: 'bench', command: ['x'], params });
const runsPerSecond = nRuns / ((performance.now() - t) / 1000);

// Bulk creation (a sweep, an import), 1,000 runs per transaction: bare run records (the run
// row and its event), then runs with 10 params each.
const nBulk = quick ? 10_000 : 100_000;
const bulk = async (withParams) => {
  const t0 = performance.now();
  for (let b = 0; b < nBulk; b += 1000) {
    await runs.createMany(Array.from({ length: 1000 }, (_, i) => ({ project: 'bench', name: `sweep-${b + i}`, command: ['x'], ...(withParams ? { params } : {}) })));
  }
  return nBulk / ((performance.now() - t0) / 1000);
};
const bareBulkRunsPerSecond = await bulk(false);
const bulkRunsPerSecond = await bulk(true);
t = performance.now();

const run = await runs.create({ project: 'bench', command: ['x'] });
const nLines = quick ? 50_000 : 500_000;
const batch = 1000;
t = performance.now();
for (let b = 0; b < nLines; b += batch) {
  const logs = [];
  for (let i = 0; i < batch; i++) logs.push({ ts: Date.now(), stream: 'stdout', level: 'INFO', text: `epoch ${b + i} loss=0.123 acc=0.98 lr=0.001` });
  await runs.ingest(run.id, { logs });
}
const logLinesPerSecond = nLines / ((performance.now() - t) / 1000);

t = performance.now();
let read = 0;
for (let after = 0; ; ) {
  const lines = await readLogs(ws.db, run.id, { afterSeq: after, limit: 10_000 });
  if (lines.length === 0) break;
  read += lines.length;
  after = lines.at(-1).seq;
}
const logReadsPerSecond = read / ((performance.now() - t) / 1000);
await ws.close();
await dispose();
report('run-records', {
  runsCreatedPerSecond: Math.round(runsPerSecond),
  runRecordsInBulkPerSecond: Math.round(bareBulkRunsPerSecond),
  runsWith10ParamsInBulkPerSecond: Math.round(bulkRunsPerSecond),
  rowsInsertedInBulkPerSecond: Math.round(bulkRunsPerSecond * 12),
  logLinesStoredPerSecond: Math.round(logLinesPerSecond),
  logLinesReadPerSecond: Math.round(logReadsPerSecond),
  budgetInsertsPerSecond: 50_000,
  budgetReadsPerSecond: 200_000,
  note: 'runsCreatedPerSecond: one transaction per run with 10 params (as wb run and the API create them); bulk: 1,000 runs per transaction (Runs.createMany), a bare run record being the run row plus its event, a run with params 12 rows',
  runs: nRuns,
  lines: nLines,
  seconds: round(nLines / logLinesPerSecond, 2),
});
