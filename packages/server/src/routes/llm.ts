import { llmBenchmarkListSchema, llmHistorySchema, llmStatusSchema, type LlmBenchmarkSummary } from '@workbench/api';
import { toPrometheus } from '@workbench/llm';
import { z } from 'zod';
import type { App, ServerContext } from '../context.js';
import { LlmCollector } from '../llm-collector.js';
import { errors } from '../schemas.js';

const BENCH_KIND = 'benchmark';

/**
 * The LLM monitor: status, history, benchmark history, and Prometheus text at /api/v1/metrics
 * (the workspace token applies, as on every /api route: scrape with a bearer token).
 */
export function llmRoutes(app: App, ctx: ServerContext): void {
  const collector = new LlmCollector(ctx.ws, app.log);
  ctx.hub.setLlmTopic(collector);
  app.addHook('onClose', async () => collector.close());

  app.get('/llm/status', { schema: { tags: ['llm'], summary: 'Local LLM runtimes (connected or not, loaded models, live rates) and the machine (CPU, memory, GPUs)', response: { 200: llmStatusSchema, ...errors } } }, async () => collector.status());

  app.get(
    '/llm/history',
    { schema: { tags: ['llm'], summary: 'The monitor’s in-memory history (bounded), oldest first; ?since=<ms> for points after a time', querystring: z.object({ since: z.coerce.number().min(0).optional() }), response: { 200: llmHistorySchema, ...errors } } },
    async (req) => collector.historyPoints(req.query.since ?? 0),
  );

  app.get(
    '/llm/benchmarks',
    { schema: { tags: ['llm'], summary: 'Stored benchmark runs (wb llm bench), newest first, with their headline figures', querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }), response: { 200: llmBenchmarkListSchema, ...errors } } },
    async (req) => {
      const limit = req.query.limit ?? 200;
      // Benchmarks by kind, newest first, straight from the runs table (any project).
      const ids = await ctx.ws.db.selectFrom('runs').select('id').where('kind', '=', BENCH_KIND).where('deleted_at', 'is', null).orderBy('created_at', 'desc').limit(limit).execute();
      const runs = await Promise.all(ids.map((r) => ctx.runs.get(r.id)));
      const benchmarks: LlmBenchmarkSummary[] = runs.map((r) => {
        const m = (k: string) => {
          const v = r.metrics?.find((x) => x.key === k)?.last;
          return typeof v === 'number' && Number.isFinite(v) ? v : null;
        };
        const p = (k: string) => (r.params[k] === undefined || r.params[k] === null ? null : String(r.params[k]));
        const level = (p('concurrency') ?? '1').split(',')[0];
        return {
          runId: r.id,
          name: r.name,
          project: r.projectName ?? null,
          status: r.status,
          createdAt: r.createdAt,
          model: p('model'),
          endpoint: p('endpoint'),
          promptSet: p('prompt_set'),
          concurrency: p('concurrency'),
          ttftP50Ms: m(`c${level}/ttft_ms/p50`),
          prefillMeanTokPerS: m(`c${level}/prefill_tok_s/mean`),
          decodeP50TokPerS: m(`c${level}/decode_tok_s/p50`),
          decodeP95TokPerS: m(`c${level}/decode_tok_s/p95`),
          latencyP50Ms: m(`c${level}/total_ms/p50`),
          peakMemoryBytes: m('peak_memory_bytes'),
        };
      });
      return { benchmarks };
    },
  );

  app.get('/metrics', { schema: { tags: ['llm'], summary: 'Prometheus text metrics: LLM runtimes (up, loaded models, tok/s, VRAM, CPU spill) and the machine (CPU, memory, GPU gauges)' } }, async (_req, reply) => {
    const status = await collector.status();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(toPrometheus(status as unknown as Parameters<typeof toPrometheus>[0]));
  });
}
