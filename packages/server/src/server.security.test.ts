import http from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@workbench/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer } from './index.js';
import { startTestServer, type TestServer } from '../test/helpers.js';

/** A raw request, so the Host header can be anything. */
function raw(port: number, opts: { path: string; host?: string; headers?: Record<string, string>; method?: string }): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: opts.path, method: opts.method ?? 'GET', setHost: false, agent: false, headers: { ...(opts.host !== undefined ? { host: opts.host } : {}), ...opts.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('server security', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ logLevel: 'debug' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('binds 127.0.0.1 and serves a public health check', async () => {
    expect(t.server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await fetch(`${t.server.url}/api/v1/health`);
    expect(r.status).toBe(200);
    const b = await r.json();
    expect(b).toMatchObject({ ok: true, version: expect.any(String), schemaVersion: expect.any(Number) });
    expect(t.server.tokenUrl).toBe(`${t.server.url}/?token=${encodeURIComponent(t.server.token)}`);
  });

  it('refuses API requests without the token or with a wrong one', async () => {
    const none = await fetch(`${t.server.url}/api/v1/projects`);
    expect(none.status).toBe(401);
    expect((await none.json()).error).toMatchObject({ code: 'UNAUTHORIZED', message: expect.any(String), hint: expect.any(String) });
    const wrong = await t.api('/projects', { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const wrongQuery = await fetch(`${t.server.url}/api/v1/projects?token=${t.server.token}x`);
    expect(wrongQuery.status).toBe(401);
    // Unknown API paths and the OpenAPI document are behind the token too.
    expect((await fetch(`${t.server.url}/api/v1/no-such-thing`)).status).toBe(401);
    expect((await fetch(`${t.server.url}/api/v1/openapi.json`)).status).toBe(401);
    // A percent-encoded path still reaches the route, and still needs the token.
    expect((await raw(t.server.port, { path: '/%61pi/v1/projects', host: `127.0.0.1:${t.server.port}` })).status).toBe(401);
  });

  it('accepts the token as a Bearer header or as ?token=', async () => {
    expect((await t.api('/projects')).status).toBe(200);
    const q = await fetch(`${t.server.url}/api/v1/projects?token=${encodeURIComponent(t.server.token)}`);
    expect(q.status).toBe(200);
    expect(await q.json()).toEqual({ projects: [] });
  });

  it('refuses a foreign Host header (DNS rebinding) on every route', async () => {
    const port = t.server.port;
    const auth = { authorization: `Bearer ${t.server.token}` };
    for (const p of ['/api/v1/projects', '/api/v1/health', '/', '/some/page']) {
      const r = await raw(port, { path: p, host: `evil.com:${port}`, headers: auth });
      expect(r.status, p).toBe(403);
      expect(JSON.parse(r.body).error.code).toBe('FORBIDDEN_HOST');
    }
    expect((await raw(port, { path: '/api/v1/projects', host: 'evil.com', headers: auth })).status).toBe(403);
    expect((await raw(port, { path: '/api/v1/projects', host: `127.0.0.1:${port + 1}`, headers: auth })).status).toBe(403);
    expect((await raw(port, { path: '/api/v1/projects', host: '127.0.0.1.evil.com', headers: auth })).status).toBe(403);
    // No Host at all: Node refuses it before we see it (400), and we would too.
    expect([400, 403]).toContain((await raw(port, { path: '/api/v1/projects', headers: auth })).status);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, '127.0.0.1', 'localhost', '[::1]']) {
      expect((await raw(port, { path: '/api/v1/projects', host, headers: auth })).status, host).toBe(200);
    }
  });

  it('refuses the WebSocket upgrade with a foreign Host or without the token', async () => {
    const base = `ws://127.0.0.1:${t.server.port}/api/v1/stream`;
    const attempt = (url: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve) => {
        const s = new WebSocket(url, { headers });
        s.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          s.terminate();
        });
        s.on('open', () => {
          resolve(101);
          s.close();
        });
        s.on('error', () => {});
      });
    expect(await attempt(`${base}?token=${t.server.token}`, { host: 'evil.com' })).toBe(403);
    expect(await attempt(base)).toBe(401);
    expect(await attempt(`${base}?token=wrong`)).toBe(401);
    expect(await attempt(`${base}?token=${t.server.token}`)).toBe(101);
  });

  it('maps errors to the error body: 404, 409, 400', async () => {
    const missing = await t.api('/projects/nope');
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toMatchObject({ code: 'NOT_FOUND', message: "project 'nope' not found", hint: expect.any(String) });

    expect((await t.api('/projects', { method: 'POST', json: { name: 'dup' } })).status).toBe(201);
    const dup = await t.api('/projects', { method: 'POST', json: { name: 'dup' } });
    expect(dup.status).toBe(409);
    expect((await dup.json()).error.code).toBe('NAME_TAKEN');

    const bad = await t.api('/projects', { method: 'POST', json: { description: 42 } });
    expect(bad.status).toBe(400);
    const badBody = await bad.json();
    expect(badBody.error.code).toBe('INVALID_INPUT');
    expect(badBody.error.details.issues.length).toBeGreaterThan(0);

    const notJson = await t.api('/projects', { method: 'POST', body: '{oops', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error.code).toBe('INVALID_INPUT');

    const badQuery = await t.api('/runs?limit=abc');
    expect(badQuery.status).toBe(400);
    const badStatus = await t.api('/runs?status=running,bogus');
    expect(badStatus.status).toBe(400);

    const badName = await t.api('/projects', { method: 'POST', json: { name: '../etc' } });
    expect(badName.status).toBe(400);

    const unknownRoute = await t.api('/nothing-here', { method: 'POST', json: {} });
    expect(unknownRoute.status).toBe(404);
    expect((await unknownRoute.json()).error.code).toBe('NOT_FOUND');
  });

  it('never logs the token', async () => {
    await fetch(`${t.server.url}/api/v1/projects?token=${t.server.token}`);
    await t.api('/projects/nope');
    await t.api('/runs?token=' + t.server.token);
    const all = t.logs.join('');
    expect(all.length).toBeGreaterThan(0); // debug level: one line per request
    expect(all).toContain('[redacted]');
    expect(all).not.toContain(t.server.token);
  });

  it('serves the OpenAPI document listing the routes', async () => {
    const doc = await t.json('/openapi.json');
    expect(doc.openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/api/v1/health',
      '/api/v1/projects',
      '/api/v1/projects/{ref}',
      '/api/v1/projects/{ref}/restore',
      '/api/v1/datasets',
      '/api/v1/datasets/import',
      '/api/v1/datasets/{ref}',
      '/api/v1/datasets/{ref}/preview',
      '/api/v1/runs',
      '/api/v1/runs/{id}',
      '/api/v1/runs/{id}/cancel',
      '/api/v1/runs/{id}/logs',
      '/api/v1/runs/{id}/metrics',
      '/api/v1/runs/{id}/artifacts',
      '/api/v1/events',
      '/api/v1/templates',
      '/api/v1/workspace',
    ]) {
      expect(paths, p).toContain(p);
    }
    expect(Object.keys(doc.paths['/api/v1/projects/{ref}'])).toEqual(expect.arrayContaining(['get', 'patch', 'delete']));
    expect(doc.paths['/api/v1/runs'].post.requestBody).toBeDefined();
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('describes the workspace', async () => {
    const w = await t.json('/workspace');
    expect(w).toMatchObject({ dir: t.dir, schemaVersion: expect.any(Number), workspaceId: expect.any(String), sizes: { dbBytes: expect.any(Number), blobCount: 0, blobBytes: 0 } });
    expect(w.sizes.dbBytes).toBeGreaterThan(0);
  });

  it('serves the built-in page at / when the web app is not built', async () => {
    const r = await fetch(`${t.server.url}/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await r.text();
    expect(html).toContain('The web app is not built here');
    expect(html).toContain("api('/projects')");
    expect(html).toContain("api('/runs");
    expect(html).toContain('wb run');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // no external assets
    expect(html).not.toContain(t.server.token);
  });
});

describe('server lifecycle', () => {
  it('serves a web build with SPA fallback, and keeps files inside it', async () => {
    const web = await tempDir('wb-web-');
    await writeFile(path.join(web.dir, 'index.html'), '<!doctype html><title>app</title>');
    await mkdir(path.join(web.dir, 'assets'));
    await writeFile(path.join(web.dir, 'assets', 'app-abcdef1234.js'), 'console.log(1)');
    const t = await startTestServer({ webDir: web.dir });
    try {
      const index = await fetch(`${t.server.url}/`);
      expect(await index.text()).toContain('<title>app</title>');
      const js = await fetch(`${t.server.url}/assets/app-abcdef1234.js`);
      expect(js.headers.get('content-type')).toContain('javascript');
      expect(js.headers.get('cache-control')).toContain('immutable');
      expect(await js.text()).toBe('console.log(1)');
      const route = await fetch(`${t.server.url}/runs/abc`);
      expect(route.status).toBe(200);
      expect(await route.text()).toContain('<title>app</title>');
      expect((await fetch(`${t.server.url}/assets/missing.js`)).status).toBe(404);
      const escape = await raw(t.server.port, { path: '/..%2f..%2f..%2fetc%2fpasswd', host: `127.0.0.1:${t.server.port}` });
      expect(escape.body).not.toContain('root:');
    } finally {
      await t.close();
      await web.dispose();
    }
  });

  it('allows one server per workspace: the second fails with WORKSPACE_LOCKED', async () => {
    const a = await startTestServer();
    try {
      await expect(startServer({ workspaceDir: a.dir, port: 0, webDir: null, handleSignals: false, quiet: true })).rejects.toMatchObject({ code: 'WORKSPACE_LOCKED' });
      // Still serving.
      expect((await a.api('/projects')).status).toBe(200);
    } finally {
      await a.server.close();
    }
    // Released on close: another can start now.
    const b = await startServer({ workspaceDir: a.dir, port: 0, webDir: null, handleSignals: false, quiet: true });
    await b.close();
    await b.close(); // idempotent
    await a.close();
  });

  it('reports a port in use clearly', async () => {
    const a = await startTestServer();
    const other = await tempDir();
    try {
      const err = await startServer({ workspaceDir: other.dir, port: a.server.port, webDir: null, handleSignals: false, quiet: true }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'UNAVAILABLE' });
      expect((err as { hint: string }).hint).toContain('--port');
    } finally {
      await a.close();
      await other.dispose();
    }
  });
});
