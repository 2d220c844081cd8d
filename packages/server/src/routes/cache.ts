import { SqliteHashCache, UserError } from '@workbench/core';
import type { LinkMethod, ModelCache } from '@workbench/modelcache';
import { z } from 'zod';
import type { App, ServerContext } from '../context.js';
import { errors } from '../schemas.js';

// The model cache as the web app's Cache page sees it. Responses are the same shapes
// `wb cache … --json` prints; the page reads them loosely (they are summaries of the disk).
const anyObject = z.record(z.string(), z.unknown());
/** Our own typed results, sent as the loose JSON objects the schema describes. */
const loose = <T extends object>(v: T): Record<string, unknown> => v as unknown as Record<string, unknown>;
const dedupBody = z.object({
  /** The page shows the dry-run plan first and sends back what it showed: a changed plan is refused. */
  confirmReclaimBytes: z.number().int().nonnegative(),
  method: z.enum(['hardlink', 'reflink', 'symlink']).default('hardlink'),
});
const linkBody = z.object({ model: z.string().min(1).max(1024), to: z.enum(['lmstudio', 'ollama']), name: z.string().min(1).max(160).optional() });
const unlinkBody = z.object({ model: z.string().min(1).max(1024) });
const planQuery = z.object({ method: z.enum(['hardlink', 'reflink', 'symlink']).default('hardlink') });

export function cacheRoutes(app: App, ctx: ServerContext): void {
  const tags = ['cache'];
  // One change at a time: scans are cheap, but dedup and link must not interleave.
  let busy: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = busy.then(fn, fn);
    busy = next.catch(() => {});
    return next;
  };
  const open = async (): Promise<ModelCache> => {
    const { ModelCache } = await import('@workbench/modelcache');
    return ModelCache.open({ workspaceDir: ctx.ws.dir, hashCache: new SqliteHashCache(ctx.ws.db) });
  };

  app.get('/cache', { schema: { tags, summary: 'Models across the Hugging Face cache, Ollama, LM Studio and folders (the last scan; scans first if none)', response: { 200: anyObject, ...errors } } }, async () => {
    const mc = await open();
    return loose((await mc.summary()) ?? (await serial(async () => (await mc.scan(undefined, { trustUnchangedBlobs: true })).summary)));
  });

  app.post('/cache/scan', { schema: { tags, summary: 'Walk every store again and save the summary', response: { 200: anyObject, ...errors } } }, async () =>
    serial(async () => loose((await (await open()).scan(undefined, { trustUnchangedBlobs: true })).summary)),
  );

  app.get('/cache/dedup', { schema: { tags, summary: 'Dry run: which identical files would become links, and the bytes reclaimed', querystring: planQuery, response: { 200: anyObject, ...errors } } }, async (req) =>
    serial(async () => {
      const { planDedup } = await import('@workbench/modelcache');
      const { index } = await (await open()).scan();
      return loose(planDedup(index, req.query.method as LinkMethod));
    }),
  );

  app.post('/cache/dedup', { schema: { tags, summary: 'Replace identical files by links (after the dry run was shown); undo with POST /cache/undo', body: dedupBody, response: { 200: anyObject, ...errors } } }, async (req) =>
    serial(async () => {
      const { planDedup, applyDedup } = await import('@workbench/modelcache');
      const mc = await open();
      const { index } = await mc.scan();
      const plan = planDedup(index, req.body.method as LinkMethod);
      if (plan.reclaimBytes !== req.body.confirmReclaimBytes) {
        throw new UserError('CONFLICT', `the stores changed since the preview (it would now reclaim ${plan.reclaimBytes} bytes, not ${req.body.confirmReclaimBytes})`, { hint: 'look at the new preview and confirm again' });
      }
      const res = await applyDedup(mc.stateDir, plan);
      await mc.scan();
      return loose(res);
    }),
  );

  app.post('/cache/undo', { schema: { tags, summary: 'Give every file the last dedup linked its own copy again', response: { 200: anyObject, ...errors } } }, async () =>
    serial(async () => {
      const { undoDedup } = await import('@workbench/modelcache');
      const mc = await open();
      const res = await undoDedup(mc.stateDir);
      await mc.scan();
      return loose(res);
    }),
  );

  app.get('/cache/links', { schema: { tags, summary: 'Links made with link (LM Studio files, Ollama manifests)', response: { 200: z.object({ links: z.array(anyObject) }), ...errors } } }, async () => {
    const { readLinks } = await import('@workbench/modelcache');
    return { links: (await readLinks((await open()).stateDir)) as unknown as Array<Record<string, unknown>> };
  });

  app.post('/cache/link', { schema: { tags, summary: 'Expose a model to another tool without a copy (an Ollama GGUF to LM Studio, a Hugging Face GGUF to Ollama)', body: linkBody, response: { 200: anyObject, ...errors } } }, async (req) =>
    serial(async () => {
      const { findModel, linkToLmStudio, linkToOllama } = await import('@workbench/modelcache');
      const mc = await open();
      const { index } = await mc.scan();
      const m = findModel(index.models, req.body.model);
      const rec = req.body.to === 'lmstudio' ? await linkToLmStudio(mc.stateDir, mc.stores, m) : await linkToOllama(mc.stateDir, mc.stores, m, req.body.name ? { name: req.body.name } : {});
      await mc.scan();
      return loose(rec);
    }),
  );

  app.post('/cache/unlink', { schema: { tags, summary: 'Remove what link made for a model', body: unlinkBody, response: { 200: z.object({ removed: z.array(anyObject) }), ...errors } } }, async (req) =>
    serial(async () => {
      const { unlink } = await import('@workbench/modelcache');
      const mc = await open();
      const removed = await unlink(mc.stateDir, req.body.model);
      await mc.scan();
      return { removed: removed as unknown as Array<Record<string, unknown>> };
    }),
  );
}
