// Runs every benchmark in its own process, one after another, and prints their JSON lines.
// `npm run bench` (add -- --quick for a fast smoke run).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const extra = process.argv.slice(2).filter((a) => a.startsWith('--'));
let failed = 0;
for (const file of readdirSync(here).filter((f) => f.endsWith('.bench.mjs')).sort()) {
  if (only.length && !only.some((o) => file.includes(o))) continue;
  const r = spawnSync(process.execPath, [path.join(here, file), ...extra], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    failed++;
    process.stderr.write(`bench ${file} failed (exit ${r.status})\n`);
  }
}
process.exit(failed ? 1 : 0);
