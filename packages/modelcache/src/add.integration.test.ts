import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { tempDir } from '@workbench/core';
import { wb } from '../../cli/src/testing/wb.js';
import { downloadHf } from './add.js';
import { fakeGguf, gitSha1, sha256 } from './testing/fixtures.js';

// A local server speaking the hub's download protocol (model info, file tree, resolve with
// ranges): `hf://` downloads run through @huggingface/hub for real, with no network.
const COMMIT = 'c0ffee'.padEnd(40, '0');
const weights = fakeGguf('hub-model', 300_000);
const readme = Buffer.from('# a model\n');
const files = [
  { path: 'model.Q4_0.gguf', bytes: weights, lfs: true },
  { path: 'README.md', bytes: readme, lfs: false },
];

let dir: string;
let dispose: () => Promise<void>;
let server: http.Server;
let hubUrl: string;
let ranges: string[];

beforeEach(async () => {
  ({ dir, dispose } = await tempDir('wb-mc-hub-'));
  ranges = [];
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/api/models/acme/tiny/revision/main') {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ _id: '1', id: 'acme/tiny', sha: COMMIT, lastModified: new Date().toISOString() }));
    }
    if (url.pathname === `/api/models/acme/tiny/tree/${COMMIT}`) {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify(files.map((f) => ({ type: 'file', path: f.path, size: f.lfs ? 134 : f.bytes.length, oid: gitSha1(f.bytes), ...(f.lfs ? { lfs: { oid: sha256(f.bytes), size: f.bytes.length, pointerSize: 134 } } : {}) }))));
    }
    const m = new RegExp(`^/acme/tiny/resolve/${COMMIT}/(.+)$`).exec(url.pathname);
    const f = m && files.find((x) => x.path === decodeURIComponent(m[1]!));
    if (!f) {
      res.statusCode = 404;
      res.setHeader('X-Error-Code', 'EntryNotFound');
      return res.end('{}');
    }
    const r = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = r ? Number(r[1]) : 0;
    const end = r && r[2] ? Number(r[2]) : f.bytes.length - 1;
    ranges.push(`${f.path} ${start}-${end}`);
    res.statusCode = r ? 206 : 200;
    res.setHeader('content-range', `bytes ${start}-${end}/${f.bytes.length}`);
    res.setHeader('etag', `"${f.lfs ? sha256(f.bytes) : gitSha1(f.bytes)}"`);
    res.end(f.bytes.subarray(start, end + 1));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((r) => server.close(r));
  await dispose();
});

test('hf:// downloads into the standard cache layout and resumes a partial blob with a range request', async () => {
  const hub = path.join(dir, 'hub');
  const blobs = path.join(hub, 'models--acme--tiny', 'blobs');
  await mkdir(blobs, { recursive: true });
  // An earlier, interrupted download left the first 100,000 bytes.
  await writeFile(path.join(blobs, `${sha256(weights)}.incomplete`), weights.subarray(0, 100_000));
  const progress: number[] = [];
  const res = await downloadHf(hub, 'acme/tiny', 'main', { hubUrl, onProgress: (p) => progress.push(p.bytesDone) });
  expect(res.files).toBe(2);
  const snap = path.join(hub, 'models--acme--tiny', 'snapshots', COMMIT);
  expect(res.snapshot).toBe(snap);
  expect(readlinkSync(path.join(snap, 'model.Q4_0.gguf'))).toBe(`../../blobs/${sha256(weights)}`);
  expect(readFileSync(path.join(snap, 'model.Q4_0.gguf')).equals(weights)).toBe(true);
  expect(lstatSync(path.join(snap, 'README.md')).isSymbolicLink()).toBe(true);
  expect(existsSync(path.join(blobs, gitSha1(readme)))).toBe(true);
  expect(readFileSync(path.join(hub, 'models--acme--tiny', 'refs', 'main'), 'utf8')).toBe(COMMIT);
  expect(ranges).toContain(`model.Q4_0.gguf 100000-${weights.length - 1}`);
  expect(progress.at(-1)).toBe(weights.length + readme.length);
  // Again: every blob is there, nothing is fetched.
  ranges = [];
  await downloadHf(hub, 'acme/tiny', 'main', { hubUrl });
  expect(ranges.filter((r) => !r.endsWith(' 0-0'))).toEqual([]);
});

test('wb cache add hf:// lists the model afterwards; a missing repo is a clear error', async () => {
  const home = path.join(dir, 'home');
  const env = { HOME: home, HF_HUB_CACHE: path.join(home, 'hub'), OLLAMA_MODELS: path.join(home, 'ollama'), HF_ENDPOINT: hubUrl };
  const r = await wb(dir, ['cache', 'add', 'hf://acme/tiny', '--json'], { env });
  expect(r.code, r.stderr).toBe(0);
  const st = await wb(dir, ['cache', 'status', '--json'], { env });
  expect(JSON.parse(st.stdout).models.map((m: { id: string }) => m.id)).toEqual([`huggingface:acme/tiny@${COMMIT.slice(0, 12)}`]);
  const missing = await wb(dir, ['cache', 'add', 'hf://acme/nothing'], { env });
  expect(missing.code).toBe(3);
  expect(missing.stderr).toMatch(/not found on the hub/);
});

test('a partial blob that does not match its digest is thrown away, not kept under the digest', async () => {
  const hub = path.join(dir, 'hub');
  const blobs = path.join(hub, 'models--acme--tiny', 'blobs');
  await mkdir(blobs, { recursive: true });
  await writeFile(path.join(blobs, `${sha256(weights)}.incomplete`), Buffer.alloc(100_000, 9));
  await expect(downloadHf(hub, 'acme/tiny', 'main', { hubUrl })).rejects.toThrow(/arrived damaged/);
  expect(existsSync(path.join(blobs, sha256(weights)))).toBe(false);
  expect(existsSync(path.join(blobs, `${sha256(weights)}.incomplete`))).toBe(false);
  // The next attempt starts over and succeeds.
  await downloadHf(hub, 'acme/tiny', 'main', { hubUrl });
  expect(readFileSync(path.join(blobs, sha256(weights))).equals(weights)).toBe(true);
});
