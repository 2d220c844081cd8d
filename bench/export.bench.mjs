// Export of a large model artifact as a ZIP bundle: time and peak RSS of the exporting
// process (budget < 100 MB), then the time of verifying it.
// The export runs in its own process so its peak RSS is its own. Size: WB_BENCH_EXPORT_MB
// (default 1024; 64 with --quick).
import { spawnSync } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { quick, report, root, round, tempHome, writePatternFile } from './lib.mjs';

const mb = Number(process.env.WB_BENCH_EXPORT_MB ?? (quick ? 64 : 1024));
const { dir, dispose } = await tempHome();
const file = path.join(dir, 'model.onnx');
await writePatternFile(file, mb);
const sum = spawnSync('sha256sum', [file], { encoding: 'utf8' });
const sha256 = sum.stdout.split(' ')[0];

const version = {
  id: 'bench', modelId: 'bench', modelName: 'big', version: 1, stage: 'production', stageChangedAt: new Date(0).toISOString(), format: 'onnx',
  artifactName: 'model.onnx', sha256, size: mb * 1024 * 1024, runId: null, signature: null, card: '', aliases: [], createdAt: new Date(0).toISOString(), deletedAt: null,
  lineage: { run: { id: 'r', name: 'r', project: 'p', status: 'succeeded', template: null, command: [], endedAt: null }, params: {}, metrics: [], datasets: [], code: null, environment: null, artifact: { name: 'model.onnx', kind: 'model', sha256, size: mb * 1024 * 1024 } },
};
const child = `
const { exportZip } = await import(${JSON.stringify(path.join(root, 'packages/ship/dist/export.js'))});
const { verifyExport } = await import(${JSON.stringify(path.join(root, 'packages/ship/dist/verify.js'))});
const baseKb = process.resourceUsage().maxRSS;
const [file, out, v] = process.argv.slice(1);
const t = performance.now();
await exportZip({ version: JSON.parse(v), artifactPath: file }, out);
const seconds = (performance.now() - t) / 1000;
const exportKb = process.resourceUsage().maxRSS;
const t2 = performance.now();
const check = await verifyExport(out);
const verifySeconds = (performance.now() - t2) / 1000;
console.log(JSON.stringify({ seconds, verifySeconds, ok: check.ok, baseKb, exportKb, maxRssKb: process.resourceUsage().maxRSS }));
`;
const out = path.join(dir, 'bundle.zip');
const r = spawnSync(process.execPath, ['--input-type=module', '-e', child, file, out, JSON.stringify(version)], { encoding: 'utf8' });
if (r.status !== 0) throw new Error(r.stderr);
const res = JSON.parse(r.stdout);
if (!res.ok) throw new Error('the exported bundle does not verify');
const zipBytes = (await stat(out)).size;
await dispose();
report('export', {
  sizeMB: mb,
  exportSeconds: round(res.seconds, 2),
  exportMBps: round(mb / res.seconds),
  verifySeconds: round(res.verifySeconds, 2),
  zipMB: round(zipBytes / 1024 / 1024),
  rssAfterImportsMB: round(res.baseKb / 1024),
  peakRssMB: round(res.exportKb / 1024),
  peakRssWithVerifyMB: round(res.maxRssKb / 1024),
  budgetPeakRssMB: 100,
});
