import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import {
  aliasBodySchema,
  aliasResultSchema,
  approvalDecisionBodySchema,
  approvalDecisionSchema,
  approvalListSchema,
  approvalRequestBodySchema,
  approvalRequestSchema,
  approvalStatusSchema,
  cardBodySchema,
  eventSchema,
  modelComparisonSchema,
  modelDetailSchema,
  modelListSchema,
  modelPolicySchema,
  modelSchema,
  modelVersionSchema,
  policyBodySchema,
  registerModelBodySchema,
  stageChangeBodySchema,
  stageChangeResultSchema,
} from '@workbench/api';
import { ModelApprovals, Models, apiActor, invalid } from '@workbench/core';
import type { App, ServerContext } from '../context.js';
import { startWebhookDelivery } from '../webhooks.js';
import { errors, qBool, refParams } from '../schemas.js';

const nameParams = z.object({ name: z.string().min(1).max(128) });
const versionParams = nameParams.extend({ version: z.string().min(1).max(80) });
const aliasParams = nameParams.extend({ alias: z.string().min(1).max(80) });
const requestParams = z.object({ id: z.string().min(1).max(80) });
/**
 * Who acts on this request: the user the caller names in X-Workbench-Actor (the web app sends
 * its "Acting as" name), else the server itself. The token already proves access to the
 * workspace; the name is taken as given until team mode authenticates it.
 */
const actorOf = (req: { headers: Record<string, string | string[] | undefined> }): { actor: string } => ({ actor: apiActor(req.headers['x-workbench-actor']) });
const versionNumber = (s: string): number => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw invalid(`'${s}' is not a version number`);
  return n;
};

/** The model registry over HTTP, and the webhook deliveries while the server runs. */
export function modelRoutes(app: App, ctx: ServerContext): void {
  const tags = ['models'];
  const models = new Models(ctx.ws);
  const delivery = startWebhookDelivery(ctx.ws, app.log);
  app.addHook('onClose', async () => delivery.stop());

  app.get('/models', { schema: { tags, summary: 'List models', querystring: z.object({ deleted: qBool, project: z.string().optional() }), response: { 200: modelListSchema, ...errors } } }, async (req) => ({
    models: await models.list({ deleted: req.query.deleted ?? false, ...(req.query.project ? { project: req.query.project } : {}) }),
  }));

  app.post('/models', { schema: { tags, summary: "Register a run's artifact as a new version of a model", body: registerModelBodySchema, response: { 201: modelVersionSchema, ...errors } } }, async (req, reply) => {
    const { inferSignature } = await import('@workbench/ship');
    const b = req.body;
    const v = await new Models(ctx.ws, actorOf(req)).register({ runId: b.runId, artifact: b.artifact, name: b.name, ...(b.card ? { card: b.card } : {}), ...(b.signature ? { signature: b.signature } : {}), inferSignature });
    return reply.code(201).send(v);
  });

  app.get('/models/:name', { schema: { tags, summary: 'A model with its versions', params: nameParams, response: { 200: modelDetailSchema, ...errors } } }, async (req) => ({
    ...(await models.get(req.params.name)),
    versions: await models.versions(req.params.name),
  }));

  app.delete('/models/:name', { schema: { tags, summary: 'Move a model to the trash', params: nameParams, response: { 200: modelSchema, ...errors } } }, async (req) => new Models(ctx.ws, actorOf(req)).delete(req.params.name));
  app.post('/models/:name/restore', { schema: { tags, summary: 'Bring a model back from the trash', params: nameParams, response: { 200: modelSchema, ...errors } } }, async (req) => new Models(ctx.ws, actorOf(req)).restore(req.params.name));

  app.get('/models/:name/versions/:version', { schema: { tags, summary: 'A version by number, stage or alias', params: versionParams, response: { 200: modelVersionSchema, ...errors } } }, async (req) =>
    models.version(`${req.params.name}@${req.params.version}`),
  );

  app.post('/models/:name/versions/:version/stage', { schema: { tags, summary: 'Promote, demote, archive or restore a version', params: versionParams, body: stageChangeBodySchema, response: { 200: stageChangeResultSchema, ...errors } } }, async (req) => {
    const b = req.body;
    const r = await new Models(ctx.ws, actorOf(req)).changeStage(req.params.name, versionNumber(req.params.version), { to: b.to, ...(b.reason ? { reason: b.reason } : {}), ...(b.previous ? { previous: b.previous } : {}), ...(b.ifRevision !== undefined ? { ifRevision: b.ifRevision } : {}) });
    delivery.kick();
    return r;
  });

  app.put('/models/:name/aliases/:alias', { schema: { tags, summary: 'Point an alias at a version', params: aliasParams, body: aliasBodySchema, response: { 200: aliasResultSchema, ...errors } } }, async (req) => {
    const r = await new Models(ctx.ws, actorOf(req)).setAlias(req.params.name, req.params.alias, req.body.version, req.body.ifRevision === undefined ? {} : { ifRevision: req.body.ifRevision });
    delivery.kick();
    return r;
  });

  app.delete('/models/:name/aliases/:alias', { schema: { tags, summary: 'Remove an alias', params: aliasParams, response: { 204: z.null(), ...errors } } }, async (req, reply) => {
    await new Models(ctx.ws, actorOf(req)).removeAlias(req.params.name, req.params.alias);
    delivery.kick();
    return reply.code(204).send(null);
  });

  app.put('/models/:name/card', { schema: { tags, summary: "Set a model's markdown card", params: nameParams, body: cardBodySchema, response: { 200: modelSchema, ...errors } } }, async (req) => {
    await new Models(ctx.ws, actorOf(req)).setCard(req.params.name, req.body.card);
    return models.get(req.params.name);
  });

  app.put('/models/:name/versions/:version/card', { schema: { tags, summary: "Set a version's markdown card", params: versionParams, body: cardBodySchema, response: { 200: modelVersionSchema, ...errors } } }, async (req) => {
    const n = versionNumber(req.params.version);
    await new Models(ctx.ws, actorOf(req)).setCard(req.params.name, req.body.card, n);
    return models.version(`${req.params.name}@${n}`);
  });

  app.get('/models/:name/compare', { schema: { tags, summary: 'Versions side by side: metrics, params, lineage', params: nameParams, querystring: z.object({ versions: z.string().min(1).max(200) }), response: { 200: modelComparisonSchema, ...errors } } }, async (req) =>
    models.compare(req.params.name, req.query.versions.split(',').map((s) => versionNumber(s.trim()))),
  );

  app.get('/models/:name/history', { schema: { tags, summary: 'The audit trail of a model', params: nameParams, response: { 200: z.object({ events: z.array(eventSchema) }), ...errors } } }, async (req) => ({ events: await models.history(req.params.name) }));

  app.get(
    '/models/:name/versions/:version/export',
    { schema: { tags, summary: 'Download a ZIP bundle of a version (model, manifest, inference server, README)', params: versionParams, produces: ['application/zip'], response: { ...errors } } },
    async (req, reply) => {
      const { exportZip } = await import('@workbench/ship');
      const v = await models.version(`${req.params.name}@${req.params.version}`);
      const tmp = await mkdtemp(path.join(os.tmpdir(), 'wb-export-'));
      try {
        const file = path.join(tmp, 'bundle.zip');
        const r = await exportZip({ version: v, artifactPath: models.artifactPath(v) }, file);
        const stream = createReadStream(file);
        stream.on('close', () => void rm(tmp, { recursive: true, force: true }));
        return reply
          .header('content-type', 'application/zip')
          .header('content-length', String(r.bytes))
          .header('content-disposition', `attachment; filename="${v.modelName}-v${v.version}.zip"`)
          .send(stream as never);
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        throw err;
      }
    },
  );

  app.get('/projects/:ref/model-policy', { schema: { tags, summary: "A project's rules for entering production", params: refParams, response: { 200: modelPolicySchema, ...errors } } }, async (req) => models.policy(req.params.ref));
  app.put('/projects/:ref/model-policy', { schema: { tags, summary: "Require a reason, or a second person's approval, to enter production", params: refParams, body: policyBodySchema, response: { 200: modelPolicySchema, ...errors } } }, async (req) =>
    new Models(ctx.ws, actorOf(req)).setPolicy(req.params.ref, req.body),
  );

  // ---- second-person approval -----------------------------------------------------------

  app.get(
    '/model-approvals',
    { schema: { tags, summary: 'Approval requests for production: pending first, then decided ones', querystring: z.object({ model: z.string().max(128).optional(), status: approvalStatusSchema.optional() }), response: { 200: approvalListSchema, ...errors } } },
    async (req) => ({ requests: await new ModelApprovals(ctx.ws).list({ ...(req.query.model ? { model: req.query.model } : {}), ...(req.query.status ? { status: req.query.status } : {}) }) }),
  );
  app.get('/model-approvals/:id', { schema: { tags, summary: 'One approval request', params: requestParams, response: { 200: approvalRequestSchema, ...errors } } }, async (req) => new ModelApprovals(ctx.ws).get(req.params.id));

  app.post(
    '/models/:name/versions/:version/approval-requests',
    { schema: { tags, summary: 'Ask a second person to approve this version for production (X-Workbench-Actor names who asks)', params: versionParams, body: approvalRequestBodySchema, response: { 201: approvalRequestSchema, ...errors } } },
    async (req, reply) => {
      const r = await new ModelApprovals(ctx.ws, actorOf(req)).request(req.params.name, versionNumber(req.params.version), { reason: req.body.reason, ...(req.body.previous ? { previous: req.body.previous } : {}) });
      delivery.kick();
      return reply.code(201).send(r);
    },
  );

  app.post(
    '/model-approvals/:id/approve',
    { schema: { tags, summary: "Approve someone else's request: the version enters production in the same transaction", params: requestParams, body: approvalDecisionBodySchema, response: { 200: approvalDecisionSchema, ...errors } } },
    async (req) => {
      const b = req.body;
      const d = await new ModelApprovals(ctx.ws, actorOf(req)).approve(req.params.id, { ...(b.reason ? { reason: b.reason } : {}), ...(b.ifRevision !== undefined ? { ifRevision: b.ifRevision } : {}) });
      delivery.kick();
      return d;
    },
  );
  app.post(
    '/model-approvals/:id/reject',
    { schema: { tags, summary: "Turn down someone else's request", params: requestParams, body: z.object({ reason: z.string().min(1).max(2000) }), response: { 200: approvalDecisionSchema, ...errors } } },
    async (req) => {
      const d = await new ModelApprovals(ctx.ws, actorOf(req)).reject(req.params.id, { reason: req.body.reason });
      delivery.kick();
      return d;
    },
  );
  app.post(
    '/model-approvals/:id/withdraw',
    { schema: { tags, summary: 'Take back your own request', params: requestParams, body: z.object({ reason: z.string().max(2000).optional() }), response: { 200: approvalDecisionSchema, ...errors } } },
    async (req) => {
      const d = await new ModelApprovals(ctx.ws, actorOf(req)).withdraw(req.params.id, req.body.reason ? { reason: req.body.reason } : {});
      delivery.kick();
      return d;
    },
  );
}
