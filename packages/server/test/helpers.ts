import { Writable } from 'node:stream';
import { tempDir } from '@workbench/core';
import WebSocket from 'ws';
import { startServer, type RunningServer, type StartServerOptions } from '../src/index.js';

export interface TestServer {
  server: RunningServer;
  dir: string;
  logs: string[];
  /** fetch an API path (under /api/v1) with the token. */
  api: (path: string, init?: RequestInit & { json?: unknown }) => Promise<Response>;
  json: <T = any>(path: string, init?: RequestInit & { json?: unknown }) => Promise<T>;
  close: () => Promise<void>;
}

export async function startTestServer(opts: Partial<StartServerOptions> = {}): Promise<TestServer> {
  const { dir, dispose } = await tempDir('wb-server-test-');
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const server = await startServer({ workspaceDir: dir, port: 0, webDir: null, handleSignals: false, logLevel: 'warn', logStream, ...opts });
  const api = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has('authorization')) headers.set('authorization', `Bearer ${server.token}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    }
    return fetch(`${server.url}/api/v1${path}`, { ...init, headers, ...(body !== undefined ? { body } : {}) });
  };
  const json = async <T,>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> => {
    const r = await api(path, init);
    const text = await r.text();
    if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${path} → ${r.status}: ${text}`);
    return JSON.parse(text) as T;
  };
  return {
    server,
    dir,
    logs,
    api,
    json,
    close: async () => {
      await server.close();
      await dispose();
    },
  };
}

/** A WebSocket client that records every message. */
export class WsClient {
  readonly messages: any[] = [];
  private waiters: Array<() => void> = [];
  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)));
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async connect(server: RunningServer, token = server.token): Promise<WsClient> {
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/stream?token=${encodeURIComponent(token)}`);
    const client = new WsClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  send(m: unknown): void {
    this.socket.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  async waitFor<T = any>(pred: (m: any) => boolean, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.messages.find(pred);
      if (hit) return hit as T;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a message; got ${JSON.stringify(this.messages.map((m) => m.type))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}

export async function waitUntil<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 15_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
