// `wb --version` and `wb project list` as whole processes (what a user waits for), medians of
// 15 runs after 2 warm-ups. Budget: < 200 ms each.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { median, report, root, round, tempHome } from './lib.mjs';

const bin = path.join(root, 'packages/cli/dist/bundle/bin.js');
const { dir, dispose } = await tempHome();
const env = { ...process.env, WB_HOME: path.join(dir, 'ws') };
const wb = (...args) => {
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return performance.now() - t;
};
for (let i = 0; i < 20; i++) wb('project', 'create', `p${i}`);
const measure = (...args) => {
  wb(...args);
  wb(...args);
  return median(Array.from({ length: 15 }, () => wb(...args)));
};
const version = measure('--version');
const list = measure('project', 'list');
const runList = measure('run', 'list');
const bare = median(Array.from({ length: 15 }, () => {
  const t = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - t;
}));
await dispose();
report('cli-startup', { versionMs: round(version), projectListMs: round(list), runListMs: round(runList), bareNodeMs: round(bare), budgetMs: 200 });
