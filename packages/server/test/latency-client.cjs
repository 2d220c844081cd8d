// A WebSocket subscriber in its own process (so that the server's event loop is measured
// alone): prints {lines, p50, p99, max} of (receive time − emit time) for stdout lines of the
// form "<emit ms> <i>", once the run has ended.
// usage: node latency-client.cjs <ws-url> <runId> <expected lines>
// Writes "ready" on stderr once subscribed.
const path = require('node:path');
const WebSocket = require(require.resolve('ws', { paths: [path.join(__dirname, '..')] }));
const [url, runId, expected] = process.argv.slice(2);
const now = () => performance.timeOrigin + performance.now();
const lat = [];
let ready = false;
const s = new WebSocket(url);
s.on('open', () => s.send(JSON.stringify({ op: 'subscribe', runId })));
s.on('message', (data) => {
  const at = now();
  const m = JSON.parse(String(data));
  if (!ready && m.type === 'run') {
    ready = true;
    process.stderr.write('ready\n');
  }
  if (m.type === 'logs') {
    for (const l of m.lines) if (l.stream === 'stdout') lat.push(at - Number(l.text.split(' ')[0]));
  } else if (m.type === 'run' && ['succeeded', 'failed', 'cancelled', 'lost'].includes(m.run.status) && lat.length >= Number(expected)) {
    lat.sort((a, b) => a - b);
    const p = (q) => +lat[Math.min(lat.length - 1, Math.floor(q * lat.length))].toFixed(2);
    process.stdout.write(JSON.stringify({ lines: lat.length, status: m.run.status, p50: p(0.5), p90: p(0.9), p99: p(0.99), max: +lat[lat.length - 1].toFixed(2) }) + '\n');
    s.close();
  } else if (m.type === 'error') {
    process.stdout.write(JSON.stringify({ error: m.error }) + '\n');
    s.close();
  }
});
