import Fastify, { type FastifyInstance } from 'fastify';
import type { LlmEngine } from '../engine/engine.js';
import { describeError, isLocalHostHeader, isLocalOrigin } from './http.js';
import { registerOllamaRoutes } from './ollama.js';
import { registerOpenAiRoutes } from './openai.js';

export interface LlmServerOptions {
  engine: LlmEngine;
  /** Reported by /api/version. */
  version: string;
  /**
   * Accept only requests whose Host header names this machine (DNS-rebinding defence). On by
   * default; `wb llm serve --host 0.0.0.0` turns it off, because then other hosts are the point.
   */
  localOnly?: boolean;
  /** Largest request body; images and long prompts need room. Default 32 MiB. */
  bodyLimit?: number;
}

/** The built-in engine behind Ollama's native API and the OpenAI-compatible one, on one port. */
export function createLlmServer(opts: LlmServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: opts.bodyLimit ?? 32 * 1024 * 1024, forceCloseConnections: true });
  const localOnly = opts.localOnly ?? true;
  // Ollama reads every body as JSON whatever its content type (curl -d sends form encoding).
  app.removeContentTypeParser(['text/plain']);
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(Object.assign(new Error('the request body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    if (localOnly && !isLocalHostHeader(req.headers.host)) {
      return reply.code(403).send({ error: `requests for host '${req.headers.host ?? ''}' are refused: this server answers for localhost only` });
    }
    // A page served from this machine (the web app, a dev server) may call the engine directly.
    const origin = req.headers.origin;
    if (origin && isLocalOrigin(origin)) {
      reply.raw.setHeader('access-control-allow-origin', origin);
      reply.raw.setHeader('vary', 'Origin');
      reply.raw.setHeader('access-control-expose-headers', '*');
      if (req.method === 'OPTIONS') {
        reply.raw.setHeader('access-control-allow-methods', 'GET, POST, DELETE, HEAD, OPTIONS');
        reply.raw.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] ?? 'content-type, authorization');
        reply.raw.setHeader('access-control-max-age', '600');
        return reply.code(204).send();
      }
    } else if (req.method === 'OPTIONS') {
      return reply.code(403).send({ error: 'cross-origin requests are accepted from localhost pages only' });
    }
    return undefined;
  });

  app.setErrorHandler((err, req, reply) => {
    const d = describeError(err);
    if (req.url.startsWith('/v1/')) return reply.code(d.status).send({ error: { message: d.message, type: 'invalid_request_error', param: null, code: d.code.toLowerCase() } });
    return reply.code(d.status).send({ error: d.message });
  });
  app.setNotFoundHandler((req, reply) => {
    const message = `${req.method} ${req.url.split('?')[0]} is not part of this server's API`;
    if (req.url.startsWith('/v1/')) return reply.code(404).send({ error: { message, type: 'not_found_error', param: null, code: 'not_found' } });
    return reply.code(404).send({ error: message });
  });
  // OPTIONS preflights are answered in onRequest; this route only makes them reach it.
  app.options('*', async (_req, reply) => reply.code(204).send());

  // llama.cpp's server metric names, so a monitor (ours, Prometheus) reads live rates here too.
  app.get('/metrics', async (_req, reply) => reply.type('text/plain; version=0.0.4').send(engineMetricsText(opts.engine.counters)));

  registerOllamaRoutes(app, opts.engine, opts.version);
  registerOpenAiRoutes(app, opts.engine);
  return app;
}

/** The engine's counters as Prometheus text under llama.cpp's server names. */
export function engineMetricsText(c: LlmEngine['counters']): string {
  const rate = (tokens: number, ns: number) => (ns > 0 ? tokens / (ns / 1e9) : 0);
  const rows: Array<[string, 'counter' | 'gauge', string, number]> = [
    ['prompt_tokens_total', 'counter', 'Number of prompt tokens processed.', c.promptTokens],
    ['prompt_seconds_total', 'counter', 'Prompt process time.', c.promptNs / 1e9],
    ['tokens_predicted_total', 'counter', 'Number of generation tokens processed.', c.predictedTokens],
    ['tokens_predicted_seconds_total', 'counter', 'Predict process time.', c.predictedNs / 1e9],
    ['prompt_tokens_seconds', 'gauge', 'Average prompt throughput in tokens/s.', rate(c.promptTokens, c.promptNs)],
    ['predicted_tokens_seconds', 'gauge', 'Average generation throughput in tokens/s.', rate(c.predictedTokens, c.predictedNs)],
    ['requests_processing', 'gauge', 'Number of requests processing.', c.processing],
    ['requests_deferred', 'gauge', 'Number of requests deferred.', c.deferred],
  ];
  return rows.map(([name, type, help, v]) => `# HELP llamacpp:${name} ${help}\n# TYPE llamacpp:${name} ${type}\nllamacpp:${name} ${v}\n`).join('');
}
