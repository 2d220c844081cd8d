import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  artifactListSchema,
  logPageSchema,
  metricSeriesSchema,
  metricSummaryListSchema,
  runCreateSchema,
  runDetailSchema,
  runListSchema,
  runMoveSchema,
  runSchema,
  runTagsSchema,
  toWireNumber,
  type SeriesPoint,
} from '@workbench/api';
import { OperationalError, downsample, metricSummaries, notFound, readLogs, readRawSeries, readSeries, type MetricColumns } from '@workbench/core';
import { z } from 'zod';
import type { App, ServerContext } from '../context.js';
import { artifactPath, signDownloadLink } from '../download-links.js';
import { errors, idParams, logQuery, runGetQuery, runListQuery, seriesQuery, wildcardParams } from '../schemas.js';
import { toWireRun, toWireSummary } from '../wire.js';

const toPoints = (c: MetricColumns): SeriesPoint[] => {
  const out: SeriesPoint[] = new Array(c.step.length);
  for (let i = 0; i < c.step.length; i++) out[i] = { step: c.step[i]!, value: toWireNumber(c.value[i]!), ts: c.ts[i]!, seq: c.seq[i]!, attempt: c.attempt[i]! };
  return out;
};

/** RFC 6266 / 5987: a plain ASCII fallback and the exact UTF-8 name. */
function contentDisposition(name: string): string {
  const base = path.posix.basename(name) || 'artifact';
  const ascii = base.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(base).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export function runRoutes(app: App, ctx: ServerContext): void {
  const tags = ['runs'];

  app.get('/runs', { schema: { tags, summary: 'List runs: filter, sort, page', querystring: runListQuery, response: { 200: runListSchema, ...errors } } }, async (req) => {
    const q = req.query;
    const { runs, total } = await ctx.runs.list({
      ...(q.project !== undefined ? { project: q.project } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
      ...(q.name !== undefined ? { name: q.name } : {}),
      ...(q.dataset !== undefined ? { dataset: q.dataset } : {}),
      ...(q.sort !== undefined ? { sort: q.sort } : {}),
      ...(q.desc !== undefined ? { desc: q.desc } : {}),
      where: q.where,
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
      ...(q.offset !== undefined ? { offset: q.offset } : {}),
      deleted: q.deleted ?? false,
      details: q.details ?? false,
    });
    return { runs: runs.map(toWireRun), total };
  });

  app.post(
    '/runs',
    { schema: { tags, summary: 'Start a run: a command or a template, supervised by the server (queued while WB_MAX_CONCURRENT_RUNS are running)', body: runCreateSchema, response: { 201: runSchema, ...errors } } },
    async (req, reply) => {
      const b = req.body;
      const run = await ctx.queue.submit({
        project: b.project,
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.kind !== undefined ? { kind: b.kind } : {}),
        ...(b.command !== undefined ? { command: b.command } : {}),
        ...(b.template !== undefined ? { template: b.template } : {}),
        ...(b.datasets !== undefined ? { datasets: b.datasets } : {}),
        ...(b.params !== undefined ? { params: b.params } : {}),
        ...(b.tags !== undefined ? { tags: b.tags } : {}),
        ...(b.cwd !== undefined ? { cwd: b.cwd } : {}),
      });
      return reply.code(201).send(toWireRun(run));
    },
  );

  app.get('/runs/:id', { schema: { tags, summary: 'A run (id or unique id prefix) with params, tags, metric summaries and artifacts', params: idParams, querystring: runGetQuery, response: { 200: runDetailSchema, ...errors } } }, async (req) => {
    const run = await ctx.runs.get(req.params.id, { deleted: req.query.deleted ?? false });
    return { ...toWireRun(run), artifacts: await ctx.artifacts.list(run.id) };
  });

  app.post('/runs/:id/cancel', { schema: { tags, summary: 'Cancel a queued or running run (SIGTERM, then SIGKILL after the grace period)', params: idParams, response: { 200: runSchema, ...errors } } }, async (req) =>
    toWireRun(await ctx.queue.cancel(req.params.id)),
  );

  app.post(
    '/runs/:id/resume',
    { schema: { tags, summary: 'Start the next attempt of a failed, cancelled or lost run (same command, params and datasets), supervised by the server', params: idParams, response: { 200: runSchema, ...errors } } },
    async (req) => toWireRun(await ctx.queue.resume(req.params.id)),
  );

  app.delete('/runs/:id', { schema: { tags, summary: 'Move an ended run to the trash', params: idParams, response: { 200: runSchema, ...errors } } }, async (req) => toWireRun(await ctx.runs.delete(req.params.id)));

  app.post('/runs/:id/restore', { schema: { tags, summary: 'Bring a run back from the trash', params: idParams, response: { 200: runSchema, ...errors } } }, async (req) => toWireRun(await ctx.runs.restore(req.params.id)));

  app.post('/runs/:id/move', { schema: { tags, summary: 'Move a run to another project', params: idParams, body: runMoveSchema, response: { 200: runSchema, ...errors } } }, async (req) =>
    toWireRun(await ctx.runs.move(req.params.id, req.body.project)),
  );

  app.patch('/runs/:id/tags', { schema: { tags, summary: 'Set tags on a run (others are kept)', params: idParams, body: runTagsSchema, response: { 200: runSchema, ...errors } } }, async (req) =>
    toWireRun(await ctx.runs.setTags(req.params.id, req.body.tags)),
  );

  app.get('/runs/:id/logs', { schema: { tags, summary: 'Log lines of a run, by seq (?after to read on, ?tail for the last ones)', params: idParams, querystring: logQuery, response: { 200: logPageSchema, ...errors } } }, async (req) => {
    const r = await ctx.runs.row(req.params.id, { deleted: false }).catch(async (err: unknown) => {
      // Logs of a run in the trash stay readable.
      try {
        return await ctx.runs.row(req.params.id, { deleted: true });
      } catch {
        throw err;
      }
    });
    const q = req.query;
    const lines = await readLogs(ctx.ws.db, r.id, {
      ...(q.after !== undefined ? { afterSeq: q.after } : {}),
      ...(q.tail !== undefined ? { tail: q.tail } : {}),
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
      ...(q.stream !== undefined ? { stream: q.stream } : {}),
      ...(q.level !== undefined ? { level: q.level } : {}),
      ...(q.search !== undefined ? { search: q.search } : {}),
    });
    return { lines, lastSeq: lines.length > 0 ? lines[lines.length - 1]!.seq : (q.after ?? 0) };
  });

  app.get('/runs/:id/metrics', { schema: { tags, summary: 'Per-key metric summaries (last, min, max, count); NaN and ±Infinity as strings', params: idParams, response: { 200: metricSummaryListSchema, ...errors } } }, async (req) => {
    const r = await ctx.runs.row(req.params.id);
    return { metrics: (await metricSummaries(ctx.ws.db, r.id)).map(toWireSummary) };
  });

  app.get(
    '/runs/:id/metrics/*',
    { schema: { tags, summary: 'One metric series: chart-ready (latest per step, ≤ maxPoints, default 2000) or ?all=1 every point in arrival order', params: wildcardParams, querystring: seriesQuery, response: { 200: metricSeriesSchema, ...errors } } },
    async (req) => {
      const r = await ctx.runs.row(req.params.id);
      const key = req.params['*'];
      const exists = await ctx.ws.db.selectFrom('run_metrics').select('key').where('run_id', '=', r.id).where('key', '=', key).executeTakeFirst();
      if (!exists) throw notFound('metric', key, `see the run's metrics: GET /api/v1/runs/${r.id}/metrics`);
      if (req.query.all) {
        const cols = await readRawSeries(ctx.ws.db, r.id, key);
        let nonFinite = 0;
        for (let i = 0; i < cols.value.length; i++) if (!Number.isFinite(cols.value[i]!)) nonFinite++;
        return { key, mode: 'all' as const, total: cols.step.length, nonFinite, downsampled: false, points: toPoints(cols) };
      }
      const cols = await readSeries(ctx.ws.db, r.id, key);
      const { series, nonFinite } = downsample(cols, req.query.maxPoints ?? 2000);
      return { key, mode: 'series' as const, total: cols.step.length, nonFinite, downsampled: series.step.length < cols.step.length - nonFinite, points: toPoints(series) };
    },
  );

  app.post(
    '/runs/:id/artifact-links',
    {
      schema: {
        tags,
        summary: 'A link that downloads one artifact without the token, for a minute (browser downloads cannot send headers)',
        params: idParams,
        body: z.object({ name: z.string().min(1).max(4096) }),
        response: { 200: z.object({ url: z.string(), expiresAt: z.number() }), ...errors },
      },
    },
    async (req) => {
      const r = await ctx.runs.row(req.params.id);
      const a = await ctx.artifacts.get(r.id, req.body.name);
      return signDownloadLink(artifactPath(r.id, a.name));
    },
  );

  app.get('/runs/:id/artifacts', { schema: { tags, summary: "A run's artifacts", params: idParams, response: { 200: artifactListSchema, ...errors } } }, async (req) => {
    const r = await ctx.runs.row(req.params.id);
    return { artifacts: await ctx.artifacts.list(r.id) };
  });

  app.get(
    '/runs/:id/artifacts/*',
    { schema: { tags, summary: 'Download an artifact (its name may contain /)', params: wildcardParams, produces: ['application/octet-stream'], response: { ...errors } } },
    async (req, reply) => {
      const r = await ctx.runs.row(req.params.id);
      const a = await ctx.artifacts.get(r.id, req.params['*']);
      const st = await stat(a.path).catch(() => null);
      if (!st?.isFile()) {
        throw new OperationalError('IO_ERROR', `the stored content of artifact '${a.name}' (sha256 ${a.sha256}) is missing from the blob store`, { hint: 'the workspace blob folder was changed by hand; restore it from a backup' });
      }
      reply.header('Content-Type', 'application/octet-stream');
      reply.header('Content-Length', st.size);
      reply.header('Content-Disposition', contentDisposition(a.name));
      reply.header('X-Content-Type-Options', 'nosniff');
      reply.header('ETag', `"${a.sha256}"`);
      reply.header('X-Workbench-Sha256', a.sha256);
      if (req.method === 'HEAD') return reply.send(undefined as never);
      return reply.send(createReadStream(a.path) as never);
    },
  );
}
