import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTinyServer, type TinyServer } from '../serve/testing.js';
import { runConformance } from './suite.js';

let srv: TinyServer;
beforeAll(async () => {
  srv = await startTinyServer();
}, 60_000);
afterAll(async () => srv?.close());

/**
 * A deliberately broken server: the real engine behind a proxy that reports durations in
 * milliseconds and forgets the closing `data: [DONE]`.
 */
async function brokenProxy(target: string): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const upstream = await fetch(target + req.url, { method: req.method, headers: { 'content-type': 'application/json' }, ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}) });
    let text = await upstream.text();
    if (req.url!.startsWith('/api/'))
      text = text
        .split('\n')
        .map((line) => {
          if (!line.trim()) return line;
          const o = JSON.parse(line);
          for (const k of Object.keys(o)) if (k.endsWith('_duration')) o[k] = Math.round(o[k] / 1e6);
          return JSON.stringify(o);
        })
        .join('\n');
    text = text.replace('data: [DONE]\n\n', '');
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(text);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

describe('wb llm conform', () => {
  test("Workbench's own server passes", async () => {
    const report = await runConformance(srv.url, { maxTokens: 4 });
    const failures = report.results.filter((r) => r.status === 'fail');
    expect(failures).toEqual([]);
    expect(report.apis).toEqual({ ollama: true, openai: true });
    expect(report.passed).toBeGreaterThanOrEqual(14);
    expect(report.results.find((r) => r.id === 'tools')?.status).toBe('skip');
  }, 120_000);

  test('a server with millisecond durations and no [DONE] is caught', async () => {
    const broken = await brokenProxy(srv.url);
    try {
      const report = await runConformance(broken.url, { maxTokens: 4, skipUnload: true });
      const failed = Object.fromEntries(report.results.filter((r) => r.status === 'fail').map((r) => [`${r.api}:${r.id}`, r.detail]));
      expect(failed['ollama:durations']).toMatch(/looks like milliseconds/);
      expect(failed['openai:chat-stream']).toMatch(/does not end with data: \[DONE\]/);
      expect(report.failed).toBeGreaterThanOrEqual(2);
    } finally {
      broken.server.close();
    }
  }, 120_000);

  test('nothing listening is a clear error', async () => {
    await expect(runConformance('http://127.0.0.1:9')).rejects.toThrow(/nothing answers at/);
  });
});
