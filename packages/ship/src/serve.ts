import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { MAX_BODY_BYTES, ModelHost, RequestError, errorBody, type HostedModelEntry } from '../bundle/predictor.mjs';
import { PickleWorker } from './pickle-worker.js';

export interface ModelServer {
  app: FastifyInstance;
  host: ModelHost;
  url: string;
  close: () => Promise<void>;
}

/**
 * `wb serve-model`: the models over HTTP with the same routes and the same prediction core
 * as an exported bundle's server (so both answer alike). Pickled scikit-learn models are
 * served by a supervised Python worker (pickle-worker.ts). Each model loads on its own: one
 * that fails is reported by /health and answers 503, the others keep serving.
 */
export async function startModelServer(opts: { models: HostedModelEntry[]; host?: string; port?: number; threads?: number }): Promise<ModelServer> {
  const threads = opts.threads ?? 1;
  // ONNX models run in-process; pickled scikit-learn models in a supervised Python worker each.
  const host = new ModelHost(() => import('onnxruntime-node'), { intraOpNumThreads: threads, interOpNumThreads: 1 }, { pickle: (e) => PickleWorker.start(e) });
  for (const m of opts.models) await host.add(m);

  const app = Fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    return503OnClosing: true,
    // Errors Fastify raises before routing (a malformed URL) answer in the same shape as the rest.
    frameworkErrors: (err, _req, reply) => void (reply as FastifyReply).code(err.statusCode ?? 400).send({ error: { code: 'INVALID_INPUT', message: err.message } }),
  });
  app.removeAllContentTypeParsers();
  // Bodies reach the prediction core as bytes: it reads JSON rows and binary float32 rows
  // itself (one implementation with the bundle's server) and rejects other types with 415.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: unknown, _req, reply) => {
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (!(err instanceof RequestError) && e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ error: { code: 'PAYLOAD_TOO_LARGE', message: `request body over ${MAX_BODY_BYTES} bytes`, hint: 'split the rows into several requests' } });
    }
    if (!(err instanceof RequestError) && e.statusCode && e.statusCode < 500) {
      return reply.code(e.statusCode).send({ error: { code: 'INVALID_INPUT', message: e.message ?? 'bad request' } });
    }
    const { status, body } = errorBody(err);
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}`, hint: 'GET /health, GET /v1/models, POST /predict' } }));
  app.get('/health', async () => host.health());
  app.get('/v1/models', async () => ({ models: host.list() }));
  const answer = async (name: string | null, req: FastifyRequest, reply: FastifyReply) => {
    const query = req.query as { output?: string };
    const a = await host.answer(name, { contentType: req.headers['content-type'], accept: req.headers.accept, body: req.body as Buffer | undefined, output: query.output });
    return reply.headers(a.headers).send(a.body);
  };
  app.post('/predict', (req, reply) => answer(null, req, reply));
  app.post<{ Params: { name: string } }>('/v1/models/:name/predict', (req, reply) => answer(req.params.name, req, reply));

  const address = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 8080 });
  return {
    app,
    host,
    url: address,
    close: async () => {
      await app.close();
      await host.close();
    },
  };
}
