import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server that answers with recorded wire responses of a runtime, for tests of
 * the parsers and of streamed timing. Stream bodies are sent a piece at a time with the
 * given delays, so client-side timing sees real gaps.
 */
export interface ReplayRoute {
  status?: number;
  contentType?: string;
  body?: string;
  /** Pieces of a streamed body, each sent after its delay in ms. */
  pieces?: Array<{ delayMs: number; data: string }>;
}

export interface ReplayServer {
  url: string;
  port: number;
  requests: Array<{ method: string; path: string; body: string }>;
  /** Replace or add a route while running ("GET /api/ps"). */
  set(route: string, r: ReplayRoute): void;
  close(): Promise<void>;
}

export const fixturePath = (name: string): string => new URL(`../../fixtures/${name}`, import.meta.url).pathname;
export const fixture = (name: string): string => readFileSync(fixturePath(name), 'utf8');

/** NDJSON or SSE fixture → pieces: the first after `firstDelayMs`, the rest every `gapMs`. */
export function streamPieces(text: string, sep: 'ndjson' | 'sse', firstDelayMs: number, gapMs: number): ReplayRoute['pieces'] {
  const parts = sep === 'ndjson' ? text.split('\n').filter((l) => l.trim()).map((l) => l + '\n') : text.split('\n\n').filter((l) => l.trim()).map((l) => l + '\n\n');
  return parts.map((data, i) => ({ delayMs: i === 0 ? firstDelayMs : gapMs, data }));
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let s = '';
    req.on('data', (c: Buffer) => (s += c.toString('utf8')));
    req.on('end', () => resolve(s));
  });

export async function startReplayServer(routes: Record<string, ReplayRoute>): Promise<ReplayServer> {
  const table = new Map(Object.entries(routes));
  const requests: ReplayServer['requests'] = [];
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const body = await readBody(req);
    requests.push({ method: req.method ?? 'GET', path, body });
    const r = table.get(`${req.method} ${path}`);
    if (!r) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
      return;
    }
    res.writeHead(r.status ?? 200, { 'content-type': r.contentType ?? 'application/json; charset=utf-8' });
    if (!r.pieces) return res.end(r.body ?? '');
    for (const p of r.pieces) {
      if (res.destroyed) return;
      await new Promise((x) => setTimeout(x, p.delayMs));
      res.write(p.data);
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    set: (route, r) => void table.set(route, r),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Routes of a runtime speaking Ollama's API, from the fixtures. */
export function ollamaWireRoutes(opts: { firstDelayMs?: number; gapMs?: number } = {}): Record<string, ReplayRoute> {
  return {
    'GET /api/ps': { body: fixture('ollama-ps.json') },
    'GET /api/tags': { body: fixture('ollama-tags.json') },
    'GET /api/version': { body: fixture('ollama-version.json') },
    'POST /api/generate': { contentType: 'application/x-ndjson', pieces: streamPieces(fixture('ollama-generate.ndjson'), 'ndjson', opts.firstDelayMs ?? 0, opts.gapMs ?? 0) },
  };
}

/** Routes of a llama.cpp server (OpenAI-compatible), from the fixtures. */
export function llamaServerWireRoutes(opts: { firstDelayMs?: number; gapMs?: number; metrics?: boolean } = {}): Record<string, ReplayRoute> {
  return {
    'GET /v1/models': { body: fixture('llama-server-models.json') },
    'POST /v1/chat/completions': { contentType: 'text/event-stream', pieces: streamPieces(fixture('llama-server-chat.sse'), 'sse', opts.firstDelayMs ?? 0, opts.gapMs ?? 0) },
    ...(opts.metrics === false ? {} : { 'GET /metrics': { contentType: 'text/plain; version=0.0.4', body: fixture('llama-server-metrics.txt') } }),
  };
}
