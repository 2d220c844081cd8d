// Builds the component harness (harness/index.html) into a folder, for the browser tests and
// the benchmarks; serveHarness answers its files to a Playwright browser context.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
// A loopback origin is a secure context (the clipboard works); nothing listens there: every
// request is answered by serveHarness.
export const HARNESS_ORIGIN = 'http://127.0.0.1:9';

export function buildHarness(outDir = mkdtempSync(path.join(tmpdir(), 'wb-harness-'))) {
  const vite = path.join(root, 'node_modules/vite/bin/vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--config', path.join(here, 'vite.config.ts'), '--outDir', outDir], { cwd: here, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`building the component harness failed (exit ${r.status}): ${r.stderr || r.stdout}`);
  return outDir;
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

/** Serve the built harness at HARNESS_ORIGIN inside a browser context (no port, no server). */
export async function serveHarness(context, dir) {
  await context.route(`${HARNESS_ORIGIN}/**`, async (route) => {
    const rel = decodeURIComponent(new URL(route.request().url()).pathname).replace(/^\/+/, '') || 'index.html';
    const file = path.resolve(dir, rel);
    if (!file.startsWith(dir + path.sep)) return route.fulfill({ status: 403, body: 'outside the harness' });
    try {
      await route.fulfill({ status: 200, body: readFileSync(file), contentType: TYPES[path.extname(file)] ?? 'application/octet-stream' });
    } catch {
      await route.fulfill({ status: 404, body: 'not found' });
    }
  });
}
