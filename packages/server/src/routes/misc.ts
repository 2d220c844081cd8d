import { stat } from 'node:fs/promises';
import path from 'node:path';
import { eventPageSchema, healthSchema, templateSchema, workspaceInfoSchema } from '@workbench/api';
import { headEventSeq, listEvents, schemaVersion } from '@workbench/core';
import { listTemplates } from '@workbench/runner';
import { z } from 'zod';
import type { App, ServerContext } from '../context.js';
import { errors, eventQuery } from '../schemas.js';

export function miscRoutes(app: App, ctx: ServerContext): void {
  app.get('/health', { schema: { tags: ['server'], summary: 'Liveness; the one route that needs no token', security: [], response: { 200: healthSchema } } }, async () => ({
    ok: true,
    version: ctx.version,
    schemaVersion,
  }));

  app.get('/events', { schema: { tags: ['events'], summary: 'The domain event log, by seq (?after to read on)', querystring: eventQuery, response: { 200: eventPageSchema, ...errors } } }, async (req) => {
    const events = await listEvents(ctx.ws.db, { ...(req.query.after !== undefined ? { after: req.query.after } : {}), ...(req.query.limit !== undefined ? { limit: req.query.limit } : {}) });
    return { events, lastSeq: events.length > 0 ? events[events.length - 1]!.seq : (req.query.after ?? 0), headSeq: await headEventSeq(ctx.ws.db) };
  });

  app.get('/templates', { schema: { tags: ['runs'], summary: 'Training templates a run can start from', response: { 200: z.object({ templates: z.array(templateSchema) }), ...errors } } }, async () => ({
    templates: listTemplates(),
  }));

  app.get('/workspace', { schema: { tags: ['server'], summary: 'The workspace: folder, schema version, id, sizes', response: { 200: workspaceInfoSchema, ...errors } } }, async () => {
    const size = async (f: string) => (await stat(path.join(ctx.ws.dir, f)).catch(() => null))?.size ?? 0;
    const total = (table: 'datasets' | 'artifacts') =>
      ctx.ws.db
        .selectFrom(table)
        .select((e) => e.fn.sum<number>('size').as('bytes'))
        .executeTakeFirstOrThrow()
        .then((r) => Number(r.bytes ?? 0));
    const [db, wal, blobs, workspaceId, datasetBytes, artifactBytes] = await Promise.all([
      size('workbench.db'),
      size('workbench.db-wal'),
      ctx.ws.db
        .selectFrom('blobs')
        .select((e) => [e.fn.countAll<number>().as('count'), e.fn.sum<number>('size').as('bytes')])
        .executeTakeFirstOrThrow(),
      ctx.ws.workspaceId(),
      total('datasets'),
      total('artifacts'),
    ]);
    return { dir: ctx.ws.dir, schemaVersion, workspaceId, sizes: { dbBytes: db + wal, blobCount: Number(blobs.count ?? 0), blobBytes: Number(blobs.bytes ?? 0), referencedBytes: datasetBytes + artifactBytes } };
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/stream', { websocket: true }, (socket) => ctx.hub.attach(socket));
}
