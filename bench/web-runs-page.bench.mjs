// First load of the runs page with 10,000 runs on localhost, in headless Chromium, from
// navigation: to interactive (the newest runs' rows rendered, links and checkboxes live; the
// table loads its first page small) — budget < 1 s — and to every run loaded (sorting and
// filtering then cover all 10,000). Also reports the production bundle's size, gzipped
// (packages/web/dist).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { dist, median, quick, report, root, round, tempHome } from './lib.mjs';

const N = quick ? 1000 : 10_000;
const webDist = path.join(root, 'packages/web/dist');

function bundleSize() {
  const files = readdirSync(path.join(webDist, 'assets')).map((f) => path.join(webDist, 'assets', f));
  files.push(path.join(webDist, 'index.html'));
  const html = readFileSync(path.join(webDist, 'index.html'), 'utf8');
  let raw = 0;
  let gz = 0;
  let initialGz = 0;
  for (const f of files) {
    const b = readFileSync(f);
    const g = gzipSync(b, { level: 9 }).length;
    raw += statSync(f).size;
    gz += g;
    // What the first page load fetches: index.html and the assets it names (pages that draw charts load later).
    if (f.endsWith('index.html') || html.includes(path.basename(f))) initialGz += g;
  }
  return { files: files.length, rawKB: round(raw / 1024), gzipKB: round(gz / 1024), initialLoadGzipKB: round(initialGz / 1024) };
}

const { Workspace, Projects, Runs } = await import(dist('core'));
const { dir, dispose } = await tempHome();
const home = path.join(dir, 'home');
const ws = await Workspace.open(home);
await new Projects(ws).create('sweep');
const runs = new Runs(ws);
for (let b = 0; b < N; b += 1000) {
  const ids = await runs.createMany(Array.from({ length: Math.min(1000, N - b) }, (_, i) => ({ project: 'sweep', name: `trial-${b + i}`, command: ['x'], params: { lr: ((b + i) % 97) / 1000, layers: (b + i) % 7, seed: b + i } })));
  for (const [i, id] of ids.entries()) await runs.ingest(id, { metrics: [{ key: 'loss', step: 0, value: ((b + i) % 101) / 100, ts: 0, attempt: 1 }, { key: 'acc', step: 0, value: ((b + i) % 89) / 89, ts: 0, attempt: 1 }] });
}
await ws.close();

const server = spawn(process.execPath, [path.join(root, 'packages/cli/dist/bundle/bin.js'), 'serve', '--port', '0', '--json'], { env: { ...process.env, WB_HOME: home }, stdio: ['ignore', 'pipe', 'inherit'] });
const info = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const nl = out.indexOf('\n');
    if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)));
  });
  server.once('exit', (c) => reject(new Error(`wb serve exited ${c}`)));
});
const browser = await chromium.launch({ executablePath: process.env.WB_CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'], headless: true });
try {
  const loads = [];
  const firsts = [];
  for (let i = 0; i < (quick ? 2 : 5); i++) {
    // A fresh context each time: nothing cached, the token taken from the address as a user would.
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const u = new URL(info.tokenUrl);
    u.pathname = '/runs';
    await page.goto(u.toString(), { waitUntil: 'commit' });
    const want = `${N.toLocaleString('en-US')} of ${N.toLocaleString('en-US')}`;
    const first = await page.waitForFunction(() => (document.querySelector('[data-testid="run-row"] [data-testid="run-link"]') ? performance.now() : false), null, { polling: 'raf', timeout: 60_000 });
    firsts.push(await first.jsonValue());
    const handle = await page.waitForFunction((w) => (document.querySelector('[data-testid="run-row"]') && document.querySelector('[data-testid="runs-count"]')?.textContent?.startsWith(w) ? performance.now() : false), want, { polling: 'raf', timeout: 60_000 });
    loads.push(await handle.jsonValue());
    await context.close();
  }
  report('web-runs-page', { runs: N, firstLoadToInteractiveMs: { first: round(firsts[0]), median: round(median(firsts)), all: firsts.map((x) => round(x)) }, budgetMs: 1000, allRunsLoadedMs: { first: round(loads[0]), median: round(median(loads)), all: loads.map((x) => round(x)) }, bundle: bundleSize() });
} finally {
  await browser.close();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  await dispose();
}
