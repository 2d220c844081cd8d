// Fingerprint of a folder of 100,000 small files: first time (hashes every file on both
// cores) and an unchanged re-check (stat only, through the hash cache).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dist, quick, report, round, tempHome } from './lib.mjs';

const core = await import(dist('core'));
const { Workspace, fingerprintFolder, SqliteHashCache } = core;
const n = quick ? 10_000 : 100_000;
const { dir, dispose } = await tempHome();
const folder = path.join(dir, 'data');
for (let d = 0; d < n / 1000; d++) {
  const sub = path.join(folder, `shard-${String(d).padStart(3, '0')}`);
  await mkdir(sub, { recursive: true });
  await Promise.all(Array.from({ length: 1000 }, (_, i) => writeFile(path.join(sub, `${i}.txt`), `file ${d}-${i} `.repeat(8))));
}
// Files written in the last 2 s are not trusted to the cache (their mtime may not change on
// the next write): wait that out, as any real folder has.
await new Promise((r) => setTimeout(r, 2100));
const ws = await Workspace.open(path.join(dir, 'ws'));
const cache = new SqliteHashCache(ws.db);
let t = performance.now();
const first = await fingerprintFolder(folder, { cache });
const firstSeconds = (performance.now() - t) / 1000;
t = performance.now();
const again = await fingerprintFolder(folder, { cache });
const againSeconds = (performance.now() - t) / 1000;
if (again.fingerprint !== first.fingerprint) throw new Error('fingerprint changed on an unchanged folder');
await ws.close();
await dispose();
report('folder-fingerprint', {
  files: n,
  firstSeconds: round(firstSeconds, 2),
  firstFilesPerSecond: Math.round(n / firstSeconds),
  recheckSeconds: round(againSeconds, 2),
  recheckFilesHashed: again.filesHashed,
});
