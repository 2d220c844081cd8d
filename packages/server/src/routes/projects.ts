import { projectCreateSchema, projectListSchema, projectPatchSchema, projectSchema } from '@workbench/api';
import type { App, ServerContext } from '../context.js';
import { errors, projectDeleteQuery, projectListQuery, refParams } from '../schemas.js';

export function projectRoutes(app: App, ctx: ServerContext): void {
  const tags = ['projects'];
  app.get('/projects', { schema: { tags, summary: 'List projects (with run and dataset counts)', querystring: projectListQuery, response: { 200: projectListSchema, ...errors } } }, async (req) => ({
    projects: await ctx.projects.list({ deleted: req.query.deleted ?? false }),
  }));

  app.post('/projects', { schema: { tags, summary: 'Create a project', body: projectCreateSchema, response: { 201: projectSchema, ...errors } } }, async (req, reply) => {
    const p = await ctx.projects.create(req.body.name, req.body.description ?? '');
    return reply.code(201).send(p);
  });

  app.get('/projects/:ref', { schema: { tags, summary: 'A project by name or id', params: refParams, response: { 200: projectSchema, ...errors } } }, async (req) => ctx.projects.get(req.params.ref));

  app.patch('/projects/:ref', { schema: { tags, summary: 'Rename a project or change its description', params: refParams, body: projectPatchSchema, response: { 200: projectSchema, ...errors } } }, async (req) => {
    let p = await ctx.projects.get(req.params.ref);
    if (req.body.name !== undefined && req.body.name !== p.name) p = await ctx.projects.rename(p.id, req.body.name);
    if (req.body.description !== undefined && req.body.description !== p.description) p = await ctx.projects.describe(p.id, req.body.description);
    return p;
  });

  app.delete('/projects/:ref', { schema: { tags, summary: 'Move a project to the trash (with its runs and datasets when ?force)', params: refParams, querystring: projectDeleteQuery, response: { 200: projectSchema, ...errors } } }, async (req) =>
    ctx.projects.delete(req.params.ref, { force: req.query.force ?? false }),
  );

  app.post('/projects/:ref/restore', { schema: { tags, summary: 'Bring a project back from the trash', params: refParams, response: { 200: projectSchema, ...errors } } }, async (req) => ctx.projects.restore(req.params.ref));
}
