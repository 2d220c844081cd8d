import { randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { defaultWebDir } from './paths.js';
import type { FastifyReply, FastifyRequest } from 'fastify';

export { defaultWebDir } from './paths.js';

/** The web build to serve, or null when there is none (the built-in page is served). */
export function resolveWebDir(webDir: string | null | undefined): string | null {
  const dir = webDir === undefined ? defaultWebDir : webDir;
  if (!dir) return null;
  const abs = path.resolve(dir);
  try {
    return statSync(path.join(abs, 'index.html')).isFile() ? abs : null;
  } catch {
    return null;
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

function commonHeaders(reply: FastifyReply): void {
  // The first visit carries ?token=: never hand it on in a Referer.
  reply.header('Referrer-Policy', 'no-referrer');
  reply.header('X-Content-Type-Options', 'nosniff');
  reply.header('X-Frame-Options', 'DENY');
}

/** Serve a file of the web build, or index.html for any other path (SPA routing). */
export async function serveWeb(webDir: string, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  commonHeaders(reply);
  const pathname = req.url.split('?')[0]!;
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    rel = '/';
  }
  let file = path.join(webDir, path.normalize(rel));
  const inside = path.relative(webDir, file);
  if (inside.startsWith('..') || path.isAbsolute(inside) || rel.includes('\0')) file = path.join(webDir, 'index.html');
  let st = await stat(file).catch(() => null);
  if (!st?.isFile()) {
    // A missing asset is a 404; any other path is a route of the app.
    if (path.extname(rel) && !rel.endsWith('.html')) {
      return reply.code(404).type('text/plain; charset=utf-8').send('not found');
    }
    file = path.join(webDir, 'index.html');
    st = await stat(file).catch(() => null);
    if (!st?.isFile()) return reply.code(404).type('text/plain; charset=utf-8').send('the web build has no index.html');
  }
  const ext = path.extname(file).toLowerCase();
  reply.type(TYPES[ext] ?? 'application/octet-stream');
  reply.header('Content-Length', st.size);
  reply.header('Cache-Control', ext === '.html' ? 'no-cache' : /[.-][0-9a-zA-Z_-]{8,}\.\w+$/.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache');
  if (req.method === 'HEAD') return reply.send();
  return reply.send(createReadStream(file));
}

/** The page served at / when the web app has not been built: no external assets. */
export function serveBuiltinPage(reply: FastifyReply, info: { workspaceDir: string; version: string }): FastifyReply {
  commonHeaders(reply);
  const nonce = randomBytes(16).toString('base64');
  reply.header('Content-Security-Policy', `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
  reply.header('Cache-Control', 'no-store');
  reply.type('text/html; charset=utf-8');
  return reply.send(builtinPage(nonce, info));
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function builtinPage(nonce: string, info: { workspaceDir: string; version: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Workbench</title>
<style nonce="${nonce}">
  body { font: 15px/1.5 system-ui, -apple-system, Segoe UI, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
  main { max-width: 960px; margin: 0 auto; padding: 24px; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  h2 { font-size: 17px; margin: 28px 0 8px; }
  .notice { background: #fff7e0; border: 1px solid #f0d48a; border-radius: 8px; padding: 12px 16px; margin: 16px 0; }
  .muted { color: #667085; }
  table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid #e4e7ec; border-radius: 8px; }
  th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #eef0f3; font-size: 14px; }
  th { background: #fafbfc; font-weight: 600; }
  code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
  pre { background: #1d2330; color: #e6e9ef; padding: 12px 16px; border-radius: 8px; overflow-x: auto; }
  .status { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; background: #eef0f3; }
  .succeeded { background: #dcfae6; color: #067647; } .failed, .lost { background: #fee4e2; color: #b42318; }
  .running { background: #d1e9ff; color: #175cd3; } .queued { background: #f2f4f7; } .cancelled { background: #fef0c7; color: #93370d; }
  .error { color: #b42318; }
</style>
</head>
<body>
<main>
  <h1>Workbench</h1>
  <div class="muted">server ${esc(info.version)} · workspace <code>${esc(info.workspaceDir)}</code></div>
  <div class="notice"><strong>The web app is not built here.</strong> Its build (packages/web/dist) was not
    found, so this small page, served by the Workbench server, stands in for it: run <code>npm start</code> (or
    <code>npm run build</code>) in the repository and restart the server. Everything also works from the command
    line and the HTTP API.</div>
  <div id="auth" class="error" hidden></div>
  <h2>Projects</h2>
  <div id="projects" class="muted">loading…</div>
  <h2>Latest runs</h2>
  <div id="runs" class="muted">loading…</div>
  <h2>Use the command line</h2>
<pre>wb project create demo
wb dataset import data.csv --project demo --name data
wb run --project demo -- python3 train.py          # a supervised run: live logs and metrics
wb run --project demo --template tabular-sklearn --dataset data --param target=label
wb run list
wb run show &lt;run-id&gt;
wb run cancel &lt;run-id&gt;</pre>
  <p class="muted">In a Python training script: <code>import workbench as wb; wb.log_metric("loss", 0.5, step=1)</code>.
    The API is described at <code>/api/v1/openapi.json</code> (send the token as <code>Authorization: Bearer …</code>).</p>
</main>
<script nonce="${nonce}">
(function () {
  var url = new URL(location.href);
  var token = url.searchParams.get('token');
  if (token) {
    try { sessionStorage.setItem('wb-token', token); } catch (e) {}
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  } else {
    try { token = sessionStorage.getItem('wb-token'); } catch (e) {}
  }
  function el(tag, text, cls) { var e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; }
  function table(target, head, rows) {
    target.textContent = '';
    target.className = '';
    if (rows.length === 0) { target.className = 'muted'; target.textContent = 'none yet'; return; }
    var t = el('table'), tr = el('tr');
    head.forEach(function (h) { tr.appendChild(el('th', h)); });
    t.appendChild(tr);
    rows.forEach(function (r) { var row = el('tr'); r.forEach(function (c) { row.appendChild(c instanceof Node ? wrap(c) : el('td', c)); }); t.appendChild(row); });
    target.appendChild(t);
  }
  function wrap(node) { var td = el('td'); td.appendChild(node); return td; }
  function api(path) {
    return fetch('/api/v1' + path, { headers: { Authorization: 'Bearer ' + token } }).then(function (r) {
      return r.json().then(function (b) { if (!r.ok) throw new Error((b && b.error && b.error.message) || r.statusText); return b; });
    });
  }
  if (!token) {
    var a = document.getElementById('auth');
    a.hidden = false;
    a.textContent = 'No token: open the address that wb serve printed (it ends with ?token=…).';
    document.getElementById('projects').textContent = '';
    document.getElementById('runs').textContent = '';
    return;
  }
  api('/projects').then(function (b) {
    table(document.getElementById('projects'), ['name', 'runs', 'datasets', 'description'], b.projects.map(function (p) {
      return [p.name, String(p.runCount == null ? '' : p.runCount), String(p.datasetCount == null ? '' : p.datasetCount), p.description];
    }));
  }).catch(function (e) { var t = document.getElementById('projects'); t.className = 'error'; t.textContent = e.message; });
  function loadRuns() {
    api('/runs?limit=20').then(function (b) {
      table(document.getElementById('runs'), ['run', 'project', 'status', 'created', 'id'], b.runs.map(function (r) {
        return [r.name, r.projectName || '', el('span', r.status, 'status ' + r.status), new Date(r.createdAt).toLocaleString(), r.id];
      }));
    }).catch(function (e) { var t = document.getElementById('runs'); t.className = 'error'; t.textContent = e.message; });
  }
  loadRuns();
  setInterval(loadRuns, 5000);
})();
</script>
</body>
</html>
`;
}

