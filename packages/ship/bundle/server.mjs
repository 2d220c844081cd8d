#!/usr/bin/env node
// Inference server of an exported Workbench model bundle. Needs Node >= 18 and
// onnxruntime-node (npm install, or the package.json beside this file):
//   node server.mjs [--port 8080] [--host 127.0.0.1]
// GET /health, GET /v1/models, POST /predict (or /v1/models/<name>/predict) with
// {"rows": [{…}, …]} as application/json, or float32 rows as application/octet-stream
// (see README.md). The model and its signature are read from manifest.json.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_BODY_BYTES, ModelHost, RequestError, errorBody } from './predictor.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendAnswer(res, { headers, body }) {
  res.writeHead(200, { ...headers, 'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.length });
  res.end(body);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return reject(new RequestError(413, 'PAYLOAD_TOO_LARGE', `request body of ${declared} bytes; at most ${MAX_BODY_BYTES}`, 'split the rows into several requests'));
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(new RequestError(413, 'PAYLOAD_TOO_LARGE', `request body over ${MAX_BODY_BYTES} bytes`, 'split the rows into several requests'));
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function modelName(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new RequestError(400, 'INVALID_INPUT', `the model name in the path is not valid percent-encoding: ${segment}`);
  }
}

export async function startBundleServer(opts = {}) {
  const dir = opts.dir ?? here;
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
  const host = new ModelHost(() => import('onnxruntime-node'));
  const m = manifest.model;
  await host.add({ name: m.name, version: m.version, format: m.format, file: path.join(dir, m.file), signature: manifest.signature ?? null });

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, host.health());
      if (req.method === 'GET' && url.pathname === '/v1/models') return send(res, 200, { models: host.list() });
      const match = /^\/v1\/models\/([^/]+)\/predict$/.exec(url.pathname);
      if (req.method === 'POST' && (url.pathname === '/predict' || match)) {
        const body = await readBody(req);
        const output = url.searchParams.get('output') ?? undefined;
        return sendAnswer(res, await host.answer(match ? modelName(match[1]) : null, { contentType: req.headers['content-type'], accept: req.headers.accept, body, output }));
      }
      throw new RequestError(404, 'NOT_FOUND', `no route ${req.method} ${url.pathname}`, 'GET /health, GET /v1/models, POST /predict');
    } catch (err) {
      const { status, body } = errorBody(err);
      if (status === 413) res.setHeader('connection', 'close');
      send(res, status, body);
    }
  });
  server.keepAliveTimeout = 65_000;
  const port = Number(opts.port ?? arg('port', process.env.PORT ?? '8080'));
  const hostname = opts.host ?? arg('host', process.env.HOST ?? '127.0.0.1');
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, resolve);
  });
  return { server, host, url: `http://${hostname}:${server.address().port}` };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { url, host } = await startBundleServer();
  const h = host.health();
  for (const m of h.models) process.stderr.write(m.ready ? `serving ${m.name} v${m.version}\n` : `model ${m.name} failed to load: ${m.error}\n`);
  process.stdout.write(`listening on ${url}\n`);
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
