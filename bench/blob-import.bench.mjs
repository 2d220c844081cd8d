// Blob import of one large file vs `sha256sum` on the same file. Budget: >= 80 % of
// sha256sum's throughput, peak RSS < 100 MB. The import runs in its own process so its peak
// RSS is its own. Size: WB_BENCH_BLOB_MB (default 2048; 256 with --quick).
import { spawnSync } from 'node:child_process';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { dist, quick, report, round, tempHome, writePatternFile } from './lib.mjs';

const mb = Number(process.env.WB_BENCH_BLOB_MB ?? (quick ? 256 : 2048));
const { dir, dispose } = await tempHome();
const file = path.join(dir, 'big.bin');
await writePatternFile(file, mb);

// Warm the page cache the same way for both, then time each twice and keep the best.
spawnSync('cat', [file], { stdio: ['ignore', 'ignore', 'ignore'] });
const timeIt = (cmd, args) => {
  const t = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return { seconds: (performance.now() - t) / 1000, stdout: r.stdout };
};
const sums = [timeIt('sha256sum', [file]), timeIt('sha256sum', [file])];
const sumSeconds = Math.min(...sums.map((s) => s.seconds));
const expected = sums[0].stdout.split(' ')[0];

const child = `
const { Workspace } = await import(${JSON.stringify(dist('core'))});
const ws = await Workspace.open(process.argv[1]);
const t = performance.now();
const r = await ws.blobs.importFile(process.argv[2]);
const seconds = (performance.now() - t) / 1000;
await ws.close();
console.log(JSON.stringify({ seconds, sha256: r.sha256, maxRssKb: process.resourceUsage().maxRSS }));
`;
const runs = [];
for (let i = 0; i < 2; i++) {
  const ws = path.join(dir, `ws${i}`);
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', child, ws, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  runs.push(JSON.parse(r.stdout));
  await rm(ws, { recursive: true, force: true });
}
const best = runs.reduce((a, b) => (a.seconds < b.seconds ? a : b));
if (best.sha256 !== expected) throw new Error(`hash mismatch: ${best.sha256} vs ${expected}`);
await dispose();
report('blob-import', {
  sizeMB: mb,
  sha256sumMBps: round(mb / sumSeconds),
  importMBps: round(mb / best.seconds),
  ratio: round(sumSeconds / best.seconds, 3),
  budgetRatio: 0.8,
  peakRssMB: round(Math.max(...runs.map((r) => r.maxRssKb)) / 1024),
  budgetPeakRssMB: 100,
});
