import type { ServerResponse } from 'node:http';
import { WbError } from '@workbench/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GenerationAbortedError } from '../engine/engine.js';
import { KeepAliveError } from '../engine/keep-alive.js';

/** Origins a browser page on this machine has: the web app and dev servers may call the engine directly. */
export function isLocalOrigin(origin: string): boolean {
  try {
    const u = new URL(origin);
    return (u.protocol === 'http:' || u.protocol === 'https:') && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
}

export function isLocalHostHeader(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return ['localhost', '127.0.0.1', '[::1]'].includes(name.toLowerCase());
}

/** An error as an HTTP status plus message and hint, whatever threw it. */
export function describeError(err: unknown): { status: number; code: string; message: string; hint?: string } {
  if (err instanceof WbError) return { status: err.httpStatus, code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  if (err instanceof KeepAliveError) return { status: 400, code: 'INVALID_INPUT', message: err.message };
  if (err instanceof GenerationAbortedError) return { status: 499, code: 'CANCELLED', message: err.message };
  const e = err as { statusCode?: number; message?: string; validation?: unknown };
  if (typeof e?.statusCode === 'number' && e.statusCode < 500) return { status: e.statusCode, code: 'INVALID_INPUT', message: e.message ?? 'bad request' };
  return { status: 500, code: 'INTERNAL', message: e?.message ?? String(err) };
}

/**
 * An AbortSignal that fires when the client goes away before the response is complete, so a
 * closed connection stops generation instead of burning the CPU for nobody.
 */
export function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}

/**
 * A streamed response whose status line is sent only with its first chunk: an error before any
 * token (unknown model, queue full, prompt too long) still gets a proper status code.
 */
export class LazyStream {
  private started = false;
  constructor(
    private readonly reply: FastifyReply,
    private readonly contentType: string,
  ) {
    reply.hijack();
  }
  get raw(): ServerResponse {
    return this.reply.raw;
  }
  get isStarted(): boolean {
    return this.started;
  }
  write(chunk: string): void {
    if (this.raw.destroyed) return;
    if (!this.started) {
      this.started = true;
      // No flushHeaders(): the status line goes out in the same write as the first chunk, one
      // packet and one wake-up for the client instead of two before the first token shows.
      this.raw.writeHead(200, { 'content-type': this.contentType, 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    }
    this.raw.write(chunk);
  }
  /** Before any chunk: a plain error response. After: the caller writes the error in-band. */
  fail(status: number, body: unknown): void {
    if (this.raw.destroyed) return;
    this.raw.writeHead(status, { 'content-type': 'application/json' });
    this.raw.end(JSON.stringify(body));
  }
  end(): void {
    if (!this.raw.destroyed) this.raw.end();
  }
}

export const nowIso = (): string => new Date().toISOString();

export type Body = Record<string, unknown>;
export function bodyOf(req: FastifyRequest): Body {
  const b = req.body;
  return b && typeof b === 'object' && !Array.isArray(b) ? (b as Body) : {};
}

/** Read an optional number field; strings, NaN and infinities are input errors. */
export function num(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badInput(`${field} must be a finite number`);
  return v;
}

export function str(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badInput(`${field} must be a string`);
  return v;
}

export function badInput(message: string, hint?: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode: 400, hint });
}

export function stopList(v: unknown, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  throw badInput(`${field} must be a string or a list of strings`);
}
