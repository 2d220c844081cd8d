import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import { apiPrefix } from '@workbench/api';
import { Artifacts, Datasets, Projects, Runs, notFound, readSettings, type Workspace } from '@workbench/core';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyRequest } from 'fastify';
import { jsonSchemaTransform, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { ZodType } from 'zod';
import type { App, ServerContext } from './context.js';
import { errorBody, mapError } from './errors.js';
import { cacheRoutes } from './routes/cache.js';
import { datasetRoutes } from './routes/datasets.js';
import { llmRoutes } from './routes/llm.js';
import { miscRoutes } from './routes/misc.js';
import { modelRoutes } from './routes/models.js';
import { projectRoutes } from './routes/projects.js';
import { runRoutes } from './routes/runs.js';
import { BackgroundCheckpointer } from './checkpointer.js';
import { RunQueue } from './run-queue.js';
import { downloadLinkValid } from './download-links.js';
import { isAllowedHost, redactUrl, requestToken, tokenMatches } from './security.js';
import { resolveWebDir, serveBuiltinPage, serveWeb } from './static.js';
import { StreamHub } from './stream.js';
import { serverVersion } from './version.js';

export interface BuildAppOptions {
  /** The workspace token every API request must carry. */
  token: string;
  /** The web build to serve at / (default packages/web/dist when it exists; null: the built-in page). */
  webDir?: string | null;
  /** pino level (default WB_LOG_LEVEL, or 'warn' when quiet). */
  logLevel?: string;
  quiet?: boolean;
  /** Where log lines go (default stderr). */
  logStream?: DestinationStream;
  /** Runs supervised at once (default WB_MAX_CONCURRENT_RUNS). */
  maxConcurrentRuns?: number;
  /** SIGTERM → SIGKILL grace for cancelled runs (default WB_CANCEL_GRACE_MS). */
  cancelGraceMs?: number;
  /** Check every response against its schema (default: on under vitest). */
  validateResponses?: boolean;
  /** How long closing waits for runs to stop (default: the grace period + 5 s). */
  closeTimeoutMs?: number;
  /** Run SQLite checkpoints in a worker thread instead of on commit (default true). */
  backgroundCheckpoints?: boolean;
}

export interface WorkbenchInternals {
  ctx: ServerContext;
  queue: RunQueue;
  hub: StreamHub;
  webDir: string | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    workbench: WorkbenchInternals;
  }
}

export function createLogger(opts: { level: string; stream?: DestinationStream | undefined }): Logger {
  return pino(
    {
      level: opts.level,
      // The token travels in the Authorization header and, for the WebSocket and the first
      // browser visit, in ?token=: neither may reach a log line.
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'req.query.token', 'headers.authorization', 'headers.cookie', 'token', '*.token'],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: FastifyRequest) => ({ method: req.method, url: redactUrl(req.url), host: req.headers?.host, remoteAddress: req.ip }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    // stderr: stdout belongs to the program that embeds the server (wb serve --json prints there).
    opts.stream ?? pino.destination(2),
  );
}

const isApiPath = (p: string): boolean => p === '/api' || p.startsWith('/api/');

function decodedPath(url: string): string {
  const p = url.split('?')[0]!;
  try {
    return decodeURIComponent(p).toLowerCase();
  } catch {
    return p.toLowerCase();
  }
}

/** The Fastify app: REST routes, the WebSocket stream, the web app; no listening. */
export async function buildApp(ws: Workspace, opts: BuildAppOptions): Promise<App> {
  const settings = readSettings();
  const level = opts.logLevel ?? (opts.quiet ? 'warn' : settings.WB_LOG_LEVEL);
  const logger = createLogger({ level, stream: opts.logStream });
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Requests are logged (at debug, with the token redacted) by our own onResponse hook.
    logController: new LogController({ disableRequestLogging: true }),
    // Behind nothing: this server only ever listens on loopback.
    trustProxy: false,
    routerOptions: { maxParamLength: 1024 },
  }).withTypeProvider<ZodTypeProvider>();

  const validate = opts.validateResponses ?? Boolean(process.env.VITEST);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(({ schema, method, url }) => {
    const zs = schema as ZodType;
    return (data: unknown) => {
      if (validate && typeof (zs as { safeParse?: unknown }).safeParse === 'function') {
        const r = zs.safeParse(data);
        if (!r.success) throw new Error(`response of ${method} ${url} does not match its schema: ${JSON.stringify(r.error.issues.slice(0, 3))}`);
      }
      return JSON.stringify(data);
    };
  });

  const projects = new Projects(ws);
  const runs = new Runs(ws);
  const queue = new RunQueue(ws, opts.maxConcurrentRuns ?? settings.WB_MAX_CONCURRENT_RUNS, app.log, opts.cancelGraceMs ?? settings.WB_CANCEL_GRACE_MS);
  const hub = new StreamHub(ws, app.log);
  const ctx: ServerContext = { ws, version: serverVersion, projects, runs, artifacts: new Artifacts(ws), datasets: new Datasets(ws), queue, hub };
  const webDir = resolveWebDir(opts.webDir);
  app.decorate('workbench', { ctx, queue, hub, webDir });

  const listeningPort = (): number | null => {
    const a = app.server.address();
    return a && typeof a === 'object' ? a.port : null;
  };

  // Plugins first: the WebSocket plugin's own hooks must run before ours, so that an upgrade
  // refused by ours still has its socket closed.
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Workbench API',
        version: serverVersion,
        description: [
          'The local Workbench server (127.0.0.1 only). Every route but /api/v1/health needs the workspace token: `Authorization: Bearer <token>`, or `?token=`.',
          'Errors are `{"error":{"code","message","hint?","details?"}}` with a stable code (NOT_FOUND, NAME_TAKEN, INVALID_INPUT, …).',
          'Live updates: WebSocket `GET /api/v1/stream?token=…`. Send `{"op":"subscribe","runId","afterLogSeq","afterMetricSeq"}`, `{"op":"unsubscribe","runId"}`,',
          '`{"op":"subscribe-events","afterSeq"}` or `{"op":"unsubscribe-events"}`; receive `{"type":"logs","runId","lines"}`, `{"type":"metrics","runId","points"}`,',
          '`{"type":"run","run"}` (status and progress; sent after the output it follows), `{"type":"events","events"}` and `{"type":"error","error","runId?"}`.',
          'What is stored after the given seqs comes first, then live; seqs never repeat or skip.',
        ].join(' '),
      },
      servers: [],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'the workspace token (file "token" in the workspace folder)' },
          queryToken: { type: 'apiKey', in: 'query', name: 'token' },
        },
      },
      security: [{ bearer: [] }, { queryToken: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(websocket, { options: { maxPayload: 1 << 20 } });

  // 1. DNS rebinding: only loopback names in Host, on every route (static files and the
  //    WebSocket upgrade included).
  app.addHook('onRequest', async (req, reply) => {
    if (!isAllowedHost(req.headers.host, listeningPort())) {
      return reply
        .code(403)
        .send(errorBody('FORBIDDEN_HOST', `requests must be addressed to 127.0.0.1, localhost or [::1], not '${String(req.headers.host ?? '').slice(0, 100)}'`, 'open the address wb serve printed, e.g. http://127.0.0.1:7878'));
    }
  });

  // 2. The token, on everything under /api but the health check.
  app.addHook('onRequest', async (req, reply) => {
    const route = req.routeOptions.url;
    const needsAuth = (route !== undefined && isApiPath(route)) || isApiPath(decodedPath(req.url));
    if (!needsAuth || route === `${apiPrefix}/health`) return;
    if (!tokenMatches(requestToken(req.headers, req.query), opts.token)) {
      // A short-lived signed artifact link (the web app's downloads) carries no token.
      if ((req.method === 'GET' || req.method === 'HEAD') && downloadLinkValid(req.url)) return;
      return reply.code(401).send(errorBody('UNAUTHORIZED', 'a valid workspace token is required', 'send Authorization: Bearer <token> (the token is in the workspace folder, file "token"; wb serve prints a URL that carries it)'));
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    req.log.debug({ method: req.method, url: redactUrl(req.url), statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    // Every successful change made through the API reaches event subscribers at once.
    if (req.method !== 'GET' && req.method !== 'HEAD' && reply.statusCode < 400 && isApiPath(decodedPath(req.url))) ws.notify({ events: true });
  });

  app.setErrorHandler((err, req, reply) => {
    const m = mapError(err);
    if (m.logIt) req.log.error({ err, method: req.method, url: redactUrl(req.url) }, 'request failed');
    return reply.code(m.status).send(m.body);
  });

  app.setNotFoundHandler((req, reply) => {
    const m = mapError(notFound('route', `${req.method} ${req.url.split('?')[0]}`, 'see GET /api/v1/openapi.json'));
    return reply.code(m.status).send(m.body);
  });

  await app.register(
    async (api) => {
      const a = api as unknown as App;
      miscRoutes(a, ctx);
      projectRoutes(a, ctx);
      datasetRoutes(a, ctx);
      cacheRoutes(a, ctx);
      runRoutes(a, ctx);
      llmRoutes(a, ctx);
      modelRoutes(a, ctx);
    },
    { prefix: apiPrefix },
  );

  // The web app (or the built-in page) for every other GET.
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    if (isApiPath(decodedPath(req.url))) throw notFound('route', `${req.method} ${req.url.split('?')[0]}`, 'see GET /api/v1/openapi.json');
    if (webDir) return serveWeb(webDir, req, reply);
    const p = req.url.split('?')[0]!;
    if (p === '/' || p === '/index.html') return serveBuiltinPage(reply, { workspaceDir: ws.dir, version: serverVersion });
    return reply.code(404).type('text/plain; charset=utf-8').send('not found (the web app is not built here: open / for the stand-in page)');
  });

  // Live delivery must not wait for fsyncs: checkpoints go to a worker thread.
  const checkpointer = new BackgroundCheckpointer(ws, app.log);
  if (opts.backgroundCheckpoints ?? true) checkpointer.start();

  app.addHook('onClose', async () => {
    hub.close();
    await queue.close(opts.closeTimeoutMs ?? (opts.cancelGraceMs ?? settings.WB_CANCEL_GRACE_MS) + 5000);
    await checkpointer.stop();
  });

  return app as unknown as App;
}
