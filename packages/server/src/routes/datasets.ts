import { datasetDetailSchema, datasetImportResponseSchema, datasetImportSchema, datasetListSchema, datasetPreviewSchema, datasetVerifyResponseSchema } from '@workbench/api';
import { invalid } from '@workbench/core';
import path from 'node:path';
import { z } from 'zod';
import type { App, ServerContext } from '../context.js';
import { datasetGetQuery, datasetListQuery, datasetPreviewQuery, errors, refParams } from '../schemas.js';

export function datasetRoutes(app: App, ctx: ServerContext): void {
  const tags = ['datasets'];
  const projectOpt = (project: string | undefined) => (project !== undefined ? { project } : {});

  app.get('/datasets', { schema: { tags, summary: 'List datasets (latest version per name unless ?allVersions)', querystring: datasetListQuery, response: { 200: datasetListSchema, ...errors } } }, async (req) => ({
    datasets: await ctx.datasets.list({ ...projectOpt(req.query.project), deleted: req.query.deleted ?? false, allVersions: req.query.allVersions ?? false }),
  }));

  app.post(
    '/datasets/import',
    { schema: { tags, summary: 'Import a file or folder on the server machine into the blob store', body: datasetImportSchema, response: { 200: datasetImportResponseSchema, 201: datasetImportResponseSchema, ...errors } } },
    async (req, reply) => {
      if (!path.isAbsolute(req.body.path)) throw invalid(`'${req.body.path}' is not an absolute path`, 'give the absolute path of the file or folder on the machine the server runs on');
      const r = await ctx.datasets.import(req.body.path, { project: req.body.project, ...(req.body.name !== undefined ? { name: req.body.name } : {}) });
      return reply.code(r.created ? 201 : 200).send(r);
    },
  );

  app.get('/datasets/:ref', { schema: { tags, summary: 'A dataset version (id, name or name@version) with its files', params: refParams, querystring: datasetGetQuery, response: { 200: datasetDetailSchema, ...errors } } }, async (req) => {
    const opts = projectOpt(req.query.project);
    const dataset = await ctx.datasets.get(req.params.ref, opts);
    return { ...dataset, files: await ctx.datasets.files(dataset.id, opts) };
  });

  app.get('/datasets/:ref/preview', { schema: { tags, summary: 'The first rows of a CSV, TSV, JSONL or Parquet file of a dataset', params: refParams, querystring: datasetPreviewQuery, response: { 200: datasetPreviewSchema, ...errors } } }, async (req) =>
    ctx.datasets.preview(req.params.ref, { ...projectOpt(req.query.project), ...(req.query.file !== undefined ? { file: req.query.file } : {}), ...(req.query.limit !== undefined ? { limit: req.query.limit } : {}) }),
  );

  app.post('/datasets/:ref/verify', { schema: { tags, summary: 'Re-hash the stored content of a dataset version', params: refParams, querystring: datasetGetQuery, response: { 200: datasetVerifyResponseSchema, ...errors } } }, async (req) =>
    ctx.datasets.verify(req.params.ref, projectOpt(req.query.project)),
  );

  const trashed = z.object({ datasets: datasetListSchema.shape.datasets });
  app.delete('/datasets/:ref', { schema: { tags, summary: 'Move a dataset (every version of a name, or one version) to the trash', params: refParams, querystring: datasetGetQuery, response: { 200: trashed, ...errors } } }, async (req) => ({
    datasets: await ctx.datasets.remove(req.params.ref, projectOpt(req.query.project)),
  }));

  app.post('/datasets/:ref/restore', { schema: { tags, summary: 'Bring dataset versions back from the trash', params: refParams, querystring: datasetGetQuery, response: { 200: trashed, ...errors } } }, async (req) => ({
    datasets: await ctx.datasets.restore(req.params.ref, projectOpt(req.query.project)),
  }));
}
