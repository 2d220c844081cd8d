import { readFile, stat } from 'node:fs/promises';
import type { Selectable, Transaction } from 'kysely';
import {
  modelSignatureSchema,
  type Model,
  type ModelComparison,
  type ModelFormat,
  type ModelLineage,
  type ModelPolicy,
  type ModelSignature,
  type ModelStage,
  type ModelVersion,
  type WbEvent,
} from '@workbench/api';
import type { Database, ModelVersionsTable, ModelsTable } from '../db/schema.js';
import { UserError, invalid, notFound } from '../errors.js';
import { listEvents, recordEvent } from '../events.js';
import { newId } from '../ids.js';
import { checkName } from '../names.js';
import { Projects } from '../projects.js';
import { Artifacts } from '../runs/artifacts.js';
import { Runs } from '../runs/runs.js';
import { iso, isoOrNull, now } from '../time.js';
import type { Workspace } from '../workspace.js';
import { lineageFromRun } from './lineage.js';
import { checkAlias, parseModelRef, type VersionSelector } from './refs.js';
import { assertStageChange, transitionName } from './stage-machine.js';
import { enqueueWebhooks } from './webhooks.js';

export type ModelRow = Selectable<ModelsTable>;
type VersionRow = Selectable<ModelVersionsTable>;

export interface RegisterInput {
  runId: string;
  artifact: string;
  name: string;
  card?: string;
  signature?: ModelSignature;
  /** Reads a signature from the artifact itself (e.g. an ONNX graph's inputs) when none was given or logged. */
  inferSignature?: (file: string, format: ModelFormat) => Promise<ModelSignature | null>;
}

export interface StageChangeInput {
  to: ModelStage;
  reason?: string;
  previous?: 'archived' | 'staging';
  /** Refuse with CONFLICT unless the model is still at this revision (optimistic concurrency). */
  ifRevision?: number;
}

export interface StageChangeResult {
  version: ModelVersion;
  from: ModelStage;
  transition: string;
  displaced: Array<{ version: number; to: ModelStage }>;
}

/** Artifact formats the registry knows how to serve, told by the file name. */
export function formatOf(artifactName: string): ModelFormat {
  const lower = artifactName.toLowerCase();
  if (lower.endsWith('.onnx')) return 'onnx';
  if (/\.(pkl|pickle|joblib)$/.test(lower)) return 'pickle';
  return 'other';
}

/** A signature logged beside the model: `model.onnx` → `model.schema.json`. */
export const signatureArtifactName = (artifactName: string): string => artifactName.replace(/\.[^./]+$/, '') + '.schema.json';

const MAX_SIGNATURE_BYTES = 10 * 1024 * 1024;

export async function readSignatureFile(file: string, label: string): Promise<ModelSignature> {
  const st = await stat(file);
  if (st.size > MAX_SIGNATURE_BYTES) throw invalid(`${label} is ${st.size} bytes; a signature is at most 10 MB`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw invalid(`${label} is not valid JSON (${(err as Error).message})`);
  }
  const parsed = modelSignatureSchema.safeParse(json);
  if (!parsed.success) throw invalid(`${label} is not a model signature: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 500)}`, 'a signature is {"inputs":[{"name","dtype","shape","columns"?}],"outputs":[…],"labels"?}');
  return parsed.data;
}

function isUniqueViolation(err: unknown): boolean {
  return String((err as Error)?.message ?? '').includes('UNIQUE constraint failed');
}

/**
 * The model registry: models, numbered versions with a stage each, aliases and cards. Every
 * change writes its audit event (and its webhook deliveries) in the same transaction.
 */
export class Models {
  /** Who the changes are recorded as: the workspace's actor unless the caller names another (an API request's user). */
  readonly actor: string;
  constructor(
    private readonly ws: Workspace,
    opts: { actor?: string } = {},
  ) {
    this.actor = opts.actor ?? ws.actor;
  }

  // ---- reading ------------------------------------------------------------------------

  /** @internal */
  async modelRow(name: string, opts: { deleted?: boolean } = {}): Promise<ModelRow> {
    const row = await this.ws.db
      .selectFrom('models')
      .selectAll()
      .where((eb) => eb.or([eb('name', '=', name), eb('id', '=', name)]))
      .where('deleted_at', opts.deleted ? 'is not' : 'is', null)
      .orderBy('deleted_at', 'desc')
      .executeTakeFirst();
    if (!row) throw notFound(opts.deleted ? 'deleted model' : 'model', name, opts.deleted ? 'see the trash: wb model list --deleted' : 'see the models: wb model list, or register one: wb model register --run RUN --artifact model.onnx --name ' + name);
    return row;
  }

  private async toModel(r: ModelRow): Promise<Model> {
    const [versions, aliases, project] = await Promise.all([
      this.ws.db.selectFrom('model_versions').select(['id', 'version', 'stage']).where('model_id', '=', r.id).where('deleted_at', 'is', null).orderBy('version').execute(),
      this.ws.db.selectFrom('model_aliases').select(['alias', 'version_id']).where('model_id', '=', r.id).orderBy('alias').execute(),
      this.ws.db.selectFrom('projects').select('name').where('id', '=', r.project_id).executeTakeFirst(),
    ]);
    const stages: Partial<Record<ModelStage, number[]>> = {};
    for (const v of versions) (stages[v.stage as ModelStage] ??= []).push(v.version);
    const byId = new Map(versions.map((v) => [v.id, v.version]));
    return {
      id: r.id,
      name: r.name,
      projectId: r.project_id,
      projectName: project?.name ?? '',
      card: r.card,
      revision: r.revision,
      latestVersion: versions.length ? versions[versions.length - 1]!.version : null,
      versionCount: versions.length,
      stages,
      aliases: Object.fromEntries(aliases.filter((a) => byId.has(a.version_id)).map((a) => [a.alias, byId.get(a.version_id)!])),
      createdAt: iso(r.created_at),
      updatedAt: iso(r.updated_at),
      deletedAt: isoOrNull(r.deleted_at),
    };
  }

  private toVersion(r: VersionRow, modelName: string, aliases: string[]): ModelVersion {
    return {
      id: r.id,
      modelId: r.model_id,
      modelName,
      version: r.version,
      stage: r.stage as ModelStage,
      stageChangedAt: iso(r.stage_changed_at),
      format: r.format as ModelFormat,
      artifactName: r.artifact_name,
      sha256: r.sha256,
      size: Number(r.size),
      runId: r.run_id,
      signature: r.signature ? (JSON.parse(r.signature) as ModelSignature) : null,
      lineage: JSON.parse(r.lineage) as ModelLineage,
      card: r.card,
      aliases,
      createdAt: iso(r.created_at),
      deletedAt: isoOrNull(r.deleted_at),
    };
  }

  async list(opts: { deleted?: boolean; project?: string } = {}): Promise<Model[]> {
    let q = this.ws.db.selectFrom('models').selectAll().where('deleted_at', opts.deleted ? 'is not' : 'is', null);
    if (opts.project) q = q.where('project_id', '=', (await new Projects(this.ws).resolve(opts.project)).id);
    const rows = await q.orderBy('name').execute();
    return Promise.all(rows.map((r) => this.toModel(r)));
  }

  async get(name: string, opts: { deleted?: boolean } = {}): Promise<Model> {
    return this.toModel(await this.modelRow(name, opts));
  }

  async versions(name: string, opts: { deleted?: boolean } = {}): Promise<ModelVersion[]> {
    const m = await this.modelRow(name);
    const rows = await this.ws.db
      .selectFrom('model_versions')
      .selectAll()
      .where('model_id', '=', m.id)
      .where('deleted_at', opts.deleted ? 'is not' : 'is', null)
      .orderBy('version')
      .execute();
    const aliases = await this.aliasesByVersion(m.id);
    return rows.map((r) => this.toVersion(r, m.name, aliases.get(r.id) ?? []));
  }

  private async aliasesByVersion(modelId: string): Promise<Map<string, string[]>> {
    const rows = await this.ws.db.selectFrom('model_aliases').select(['alias', 'version_id']).where('model_id', '=', modelId).orderBy('alias').execute();
    const out = new Map<string, string[]>();
    for (const r of rows) (out.get(r.version_id) ?? out.set(r.version_id, []).get(r.version_id)!).push(r.alias);
    return out;
  }

  private async versionRow(m: ModelRow, selector: VersionSelector, db: Transaction<Database> | Workspace['db'] = this.ws.db): Promise<VersionRow> {
    let q = db.selectFrom('model_versions').selectAll('model_versions').where('model_versions.model_id', '=', m.id).where('model_versions.deleted_at', 'is', null);
    let what: string;
    switch (selector.kind) {
      case 'latest':
        q = q.where('stage', '!=', 'archived').orderBy('version', 'desc');
        what = `${m.name} (latest)`;
        break;
      case 'version':
        q = q.where('version', '=', selector.version);
        what = `${m.name}@${selector.version}`;
        break;
      case 'stage':
        q = q.where('stage', '=', selector.stage).orderBy('stage_changed_at', 'desc').orderBy('version', 'desc');
        what = `${m.name}@${selector.stage}`;
        break;
      case 'alias':
        q = q.innerJoin('model_aliases', 'model_aliases.version_id', 'model_versions.id').where('model_aliases.model_id', '=', m.id).where('model_aliases.alias', '=', selector.alias);
        what = `${m.name}@${selector.alias}`;
        break;
    }
    const row = await q.limit(1).executeTakeFirst();
    if (!row) throw notFound('model version', what, `see its versions: wb model versions ${m.name}`);
    return row;
  }

  /** A version by reference: `name`, `name@3`, `name@production`, `name@champion`. */
  async version(ref: string): Promise<ModelVersion> {
    const { name, selector } = parseModelRef(ref);
    const m = await this.modelRow(name);
    const row = await this.versionRow(m, selector);
    return this.toVersion(row, m.name, (await this.aliasesByVersion(m.id)).get(row.id) ?? []);
  }

  /** Where the version's artifact lies in the blob store. */
  artifactPath(v: Pick<ModelVersion, 'sha256'>): string {
    return this.ws.blobs.pathFor(v.sha256);
  }

  /** The audit trail of a model: every registration, stage, alias and card change. */
  async history(name: string): Promise<WbEvent[]> {
    const m = await this.modelRow(name);
    return listEvents(this.ws.db, { entityId: m.id, limit: 10_000 });
  }

  // ---- registering --------------------------------------------------------------------

  /**
   * A new version (1, 2, 3 …) of `name`, created if needed in the run's project, pointing at
   * the artifact's blob with the run's lineage. It starts as a draft.
   */
  async register(input: RegisterInput): Promise<ModelVersion> {
    checkName('model', input.name);
    const run = await new Runs(this.ws).get(input.runId);
    const artifacts = new Artifacts(this.ws);
    const all = await artifacts.list(run.id);
    const artifact = all.find((a) => a.name === input.artifact);
    if (!artifact) {
      throw notFound('artifact', input.artifact, all.length ? `run ${run.id} has: ${all.map((a) => a.name).join(', ')}` : `run ${run.id} logged no artifacts (wb.log_artifact in the training script)`);
    }
    const format = formatOf(artifact.name);
    const blobPath = this.ws.blobs.pathFor(artifact.sha256);
    let signature: ModelSignature | null = input.signature ?? null;
    if (!signature) {
      const logged = all.find((a) => a.name === signatureArtifactName(artifact.name));
      if (logged) signature = await readSignatureFile(this.ws.blobs.pathFor(logged.sha256), `the run's ${logged.name}`);
    }
    if (!signature && input.inferSignature) signature = await input.inferSignature(blobPath, format);
    const lineage = lineageFromRun(run, artifact);
    const t = now();
    const id = newId();
    const modelName = input.name;
    let versionNumber = 0;
    let modelId = '';
    await this.ws.db.transaction().execute(async (trx) => {
      let m = await trx.selectFrom('models').selectAll().where('name', '=', modelName).where('deleted_at', 'is', null).executeTakeFirst();
      if (!m) {
        m = { id: newId(), project_id: run.projectId, name: modelName, card: '', version_counter: 0, revision: 0, created_at: t, updated_at: t, deleted_at: null };
        await trx.insertInto('models').values(m).execute();
        await recordEvent(trx, this.actor, { type: 'model.created', entityKind: 'model', entityId: m.id, payload: { name: modelName, projectId: run.projectId } });
      }
      modelId = m.id;
      const { version_counter } = await trx
        .updateTable('models')
        .set((eb) => ({ version_counter: eb('version_counter', '+', 1), updated_at: t }))
        .where('id', '=', m.id)
        .returning('version_counter')
        .executeTakeFirstOrThrow();
      versionNumber = version_counter;
      await trx
        .insertInto('model_versions')
        .values({
          id,
          model_id: m.id,
          version: versionNumber,
          stage: 'draft',
          stage_changed_at: t,
          format,
          artifact_name: artifact.name,
          sha256: artifact.sha256,
          size: artifact.size,
          run_id: run.id,
          signature: signature ? JSON.stringify(signature) : null,
          lineage: JSON.stringify(lineage),
          card: input.card ?? '',
          created_at: t,
          deleted_at: null,
        })
        .execute();
      // The version holds its blob: purging the run later does not take the model with it.
      await trx.insertInto('blob_refs').values({ sha256: artifact.sha256, owner_kind: 'model_version', owner_id: id }).onConflict((oc) => oc.doNothing()).execute();
      await recordEvent(trx, this.actor, { type: 'model.version_registered', entityKind: 'model', entityId: m.id, payload: { name: modelName, version: versionNumber, runId: run.id, artifact: artifact.name, sha256: artifact.sha256, format } });
    });
    this.ws.notify({ events: true });
    return this.toVersion((await this.ws.db.selectFrom('model_versions').selectAll().where('id', '=', id).executeTakeFirstOrThrow()), modelName, []);
  }

  // ---- stages and aliases -------------------------------------------------------------

  /** @internal */
  async checkRevision(trx: Transaction<Database>, m: ModelRow, ifRevision: number | undefined): Promise<ModelRow> {
    const fresh = await trx.selectFrom('models').selectAll().where('id', '=', m.id).executeTakeFirstOrThrow();
    if (fresh.deleted_at !== null) throw notFound('model', m.name);
    if (ifRevision !== undefined && fresh.revision !== ifRevision) {
      throw new UserError('CONFLICT', `model ${m.name} changed while you were acting on it (revision ${ifRevision} → ${fresh.revision}): another stage or alias change won`, {
        hint: `look at it again (wb model show ${m.name}) and retry if it still makes sense`,
        details: { expected: ifRevision, actual: fresh.revision },
      });
    }
    return fresh;
  }

  private async bumpRevision(trx: Transaction<Database>, modelId: string, t: number): Promise<void> {
    await trx.updateTable('models').set((eb) => ({ revision: eb('revision', '+', 1), updated_at: t })).where('id', '=', modelId).execute();
  }

  /** @internal the audit event and its webhook deliveries, in the caller's transaction. */
  async recordAndNotify(trx: Transaction<Database>, m: ModelRow, type: string, payload: Record<string, unknown>): Promise<void> {
    await recordEvent(trx, this.actor, { type, entityKind: 'model', entityId: m.id, payload });
    await enqueueWebhooks(trx, m.project_id, { type, actor: this.actor, entityId: m.id, payload });
  }

  /**
   * Move a version along the stage machine. Entering production displaces the current
   * production version (to archived, or to staging with `previous`) in the same transaction,
   * so a model never has two. Who, when and why go into the audit trail. Where the project
   * requires a second person's approval, entering production is refused here: it goes
   * through `ModelApprovals.request` instead.
   */
  async changeStage(name: string, version: number, input: StageChangeInput): Promise<StageChangeResult> {
    const m = await this.modelRow(name);
    const reason = input.reason?.trim() || null;
    if (input.to === 'production') {
      const policy = await this.policy(m.project_id);
      const project = async () => (await this.get(m.id)).projectName;
      if (policy.requireApprovalForProduction) {
        throw new UserError('CONFLICT', `project ${await project()} requires a second person's approval to put a version into production`, {
          hint: `request it: wb model promote ${m.name} ${version} --to production --reason "why" (then someone else runs wb model approve REQUEST)`,
          details: { approvalRequired: true },
        });
      }
      if (policy.requireReasonForProduction && !reason) throw invalid(`project ${await project()} requires a reason to put a version into production`, `add --reason "why this version should serve"`);
    }
    let result: Omit<StageChangeResult, 'version'> | undefined;
    await this.ws.db.transaction().execute(async (trx) => {
      const fresh = await this.checkRevision(trx, m, input.ifRevision);
      result = await this.applyStageChange(trx, fresh, version, { ...input, reason });
    });
    this.ws.notify({ events: true });
    return { version: await this.version(`${m.name}@${version}`), ...result! };
  }

  /**
   * The stage change itself, inside the caller's transaction (after its revision check): the
   * one-production rule, the audit events and webhooks, the revision bump. Open approval
   * requests of every version whose stage moves become stale: what was reviewed changed.
   * @internal used by `changeStage` and by approvals.
   */
  async applyStageChange(trx: Transaction<Database>, m: ModelRow, version: number, input: Omit<StageChangeInput, 'ifRevision' | 'reason'> & { reason: string | null; approval?: { id: string; requestedBy: string; approvedBy: string } }): Promise<Omit<StageChangeResult, 'version'>> {
    const t = now();
    const { reason } = input;
    const v = await this.versionRow(m, { kind: 'version', version }, trx);
    const from = v.stage as ModelStage;
    assertStageChange(`${m.name}@${version}`, from, input.to);
    const displaced: Array<{ version: number; to: ModelStage }> = [];
    if (input.to === 'production') {
      const current = await trx.selectFrom('model_versions').select(['id', 'version']).where('model_id', '=', m.id).where('stage', '=', 'production').where('deleted_at', 'is', null).execute();
      const next = input.previous ?? 'archived';
      for (const c of current) {
        await trx.updateTable('model_versions').set({ stage: next, stage_changed_at: t }).where('id', '=', c.id).execute();
        displaced.push({ version: c.version, to: next });
        await this.recordAndNotify(trx, m, 'model.stage_changed', { name: m.name, version: c.version, from: 'production', to: next, transition: transitionName('production', next), reason: `displaced by version ${version}${reason ? `: ${reason}` : ''}` });
        await this.staleRequests(trx, m, c.id, `version ${c.version} moved from production to ${next}`);
      }
    }
    await trx.updateTable('model_versions').set({ stage: input.to, stage_changed_at: t }).where('id', '=', v.id).execute();
    await this.recordAndNotify(trx, m, 'model.stage_changed', { name: m.name, version, from, to: input.to, transition: transitionName(from, input.to), reason, displaced, ...(input.approval ? { approval: input.approval } : {}) });
    await this.staleRequests(trx, m, v.id, `version ${version} moved from ${from} to ${input.to}`);
    await this.bumpRevision(trx, m.id, t);
    return { from, transition: transitionName(from, input.to), displaced };
  }

  /** Pending approval requests of a version that changed become stale, each with its event. */
  private async staleRequests(trx: Transaction<Database>, m: ModelRow, versionId: string, why: string): Promise<void> {
    const open = await trx.selectFrom('model_approval_requests').select(['id', 'version', 'requested_by']).where('version_id', '=', versionId).where('status', '=', 'pending').execute();
    if (open.length === 0) return;
    await trx
      .updateTable('model_approval_requests')
      .set({ status: 'stale', decided_at: now(), decision_reason: why })
      .where('id', 'in', open.map((r) => r.id))
      .execute();
    for (const r of open) await this.recordAndNotify(trx, m, 'approval.stale', { name: m.name, version: r.version, requestId: r.id, requestedBy: r.requested_by, why });
  }

  /** Point an alias at a version, creating or moving it atomically. */
  async setAlias(name: string, alias: string, version: number, opts: { ifRevision?: number } = {}): Promise<{ alias: string; version: number; previous: number | null }> {
    checkAlias(alias);
    const m = await this.modelRow(name);
    const t = now();
    let previous: number | null = null;
    await this.ws.db.transaction().execute(async (trx) => {
      const fresh = await this.checkRevision(trx, m, opts.ifRevision);
      const v = await this.versionRow(fresh, { kind: 'version', version }, trx);
      const old = await trx
        .selectFrom('model_aliases')
        .innerJoin('model_versions', 'model_versions.id', 'model_aliases.version_id')
        .select('model_versions.version')
        .where('model_aliases.model_id', '=', m.id)
        .where('model_aliases.alias', '=', alias)
        .executeTakeFirst();
      previous = old?.version ?? null;
      await trx
        .insertInto('model_aliases')
        .values({ model_id: m.id, alias, version_id: v.id, updated_at: t })
        .onConflict((oc) => oc.columns(['model_id', 'alias']).doUpdateSet({ version_id: v.id, updated_at: t }))
        .execute();
      await this.recordAndNotify(trx, m, 'model.alias_set', { name: m.name, alias, version, previous });
      await this.bumpRevision(trx, m.id, t);
    });
    this.ws.notify({ events: true });
    return { alias, version, previous };
  }

  async removeAlias(name: string, alias: string, opts: { ifRevision?: number } = {}): Promise<void> {
    const m = await this.modelRow(name);
    const t = now();
    await this.ws.db.transaction().execute(async (trx) => {
      await this.checkRevision(trx, m, opts.ifRevision);
      const r = await trx.deleteFrom('model_aliases').where('model_id', '=', m.id).where('alias', '=', alias).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) throw notFound('alias', `${m.name}@${alias}`, `see the aliases: wb model show ${m.name}`);
      await this.recordAndNotify(trx, m, 'model.alias_removed', { name: m.name, alias });
      await this.bumpRevision(trx, m.id, t);
    });
    this.ws.notify({ events: true });
  }

  // ---- cards --------------------------------------------------------------------------

  async setCard(name: string, card: string, version?: number): Promise<void> {
    if (card.length > 200_000) throw invalid('a model card is at most 200,000 characters');
    const m = await this.modelRow(name);
    const t = now();
    await this.ws.db.transaction().execute(async (trx) => {
      if (version === undefined) {
        await trx.updateTable('models').set({ card, updated_at: t }).where('id', '=', m.id).execute();
      } else {
        const v = await this.versionRow(m, { kind: 'version', version }, trx);
        await trx.updateTable('model_versions').set({ card }).where('id', '=', v.id).execute();
      }
      await recordEvent(trx, this.actor, { type: 'model.card_updated', entityKind: 'model', entityId: m.id, payload: { name: m.name, version: version ?? null, length: card.length } });
    });
    this.ws.notify({ events: true });
  }

  // ---- trash --------------------------------------------------------------------------

  /** Soft delete: the model and its versions go to the trash; the name is free again. */
  async delete(name: string): Promise<Model> {
    const m = await this.modelRow(name);
    const t = now();
    await this.ws.db.transaction().execute(async (trx) => {
      await trx.updateTable('models').set({ deleted_at: t, updated_at: t }).where('id', '=', m.id).execute();
      await recordEvent(trx, this.actor, { type: 'model.deleted', entityKind: 'model', entityId: m.id, payload: { name: m.name } });
    });
    this.ws.notify({ events: true });
    return this.get(m.id, { deleted: true });
  }

  async restore(name: string): Promise<Model> {
    const m = await this.modelRow(name, { deleted: true });
    try {
      await this.ws.db.transaction().execute(async (trx) => {
        await trx.updateTable('models').set({ deleted_at: null, updated_at: now() }).where('id', '=', m.id).execute();
        await recordEvent(trx, this.actor, { type: 'model.restored', entityKind: 'model', entityId: m.id, payload: { name: m.name } });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new UserError('NAME_TAKEN', `a live model is already named '${m.name}'`, { hint: `delete or rename that one first` });
      throw err;
    }
    this.ws.notify({ events: true });
    return this.get(m.id);
  }

  /** A version goes to the trash (a production version must leave production first); its aliases are removed. */
  async deleteVersion(name: string, version: number): Promise<void> {
    const m = await this.modelRow(name);
    const t = now();
    await this.ws.db.transaction().execute(async (trx) => {
      const v = await this.versionRow(m, { kind: 'version', version }, trx);
      if (v.stage === 'production') throw new UserError('CONFLICT', `${m.name}@${version} is in production`, { hint: `archive it first: wb model archive ${m.name} ${version}` });
      const aliases = await trx.selectFrom('model_aliases').select('alias').where('version_id', '=', v.id).execute();
      await trx.deleteFrom('model_aliases').where('version_id', '=', v.id).execute();
      await trx.updateTable('model_versions').set({ deleted_at: t }).where('id', '=', v.id).execute();
      await this.recordAndNotify(trx, m, 'model.version_deleted', { name: m.name, version, aliasesRemoved: aliases.map((a) => a.alias) });
      await this.staleRequests(trx, m, v.id, `version ${version} was deleted`);
      await this.bumpRevision(trx, m.id, t);
    });
    this.ws.notify({ events: true });
  }

  async restoreVersion(name: string, version: number): Promise<ModelVersion> {
    const m = await this.modelRow(name);
    const t = now();
    await this.ws.db.transaction().execute(async (trx) => {
      const r = await trx.updateTable('model_versions').set({ deleted_at: null }).where('model_id', '=', m.id).where('version', '=', version).where('deleted_at', 'is not', null).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw notFound('deleted model version', `${m.name}@${version}`, `see the trash: wb model versions ${m.name} --deleted`);
      await recordEvent(trx, this.actor, { type: 'model.version_restored', entityKind: 'model', entityId: m.id, payload: { name: m.name, version } });
      await this.bumpRevision(trx, m.id, t);
    });
    this.ws.notify({ events: true });
    return this.version(`${m.name}@${version}`);
  }

  // ---- policy -------------------------------------------------------------------------

  async policy(project: string): Promise<ModelPolicy> {
    // By project id (what the registry passes) or by anything a user types (name, id prefix).
    const byId = await this.ws.db.selectFrom('projects').select('id').where('id', '=', project).executeTakeFirst();
    const id = byId?.id ?? (await new Projects(this.ws).resolve(project)).id;
    const row = await this.ws.db.selectFrom('model_policies').selectAll().where('project_id', '=', id).executeTakeFirst();
    return { projectId: id, requireReasonForProduction: (row?.require_reason ?? 0) === 1, requireApprovalForProduction: (row?.require_approval ?? 0) === 1 };
  }

  /** Change one rule or both; what is left out stays as it is. Pending approval requests are kept either way. */
  async setPolicy(project: string, policy: { requireReasonForProduction?: boolean | undefined; requireApprovalForProduction?: boolean | undefined }): Promise<ModelPolicy> {
    const p = await new Projects(this.ws).resolve(project);
    const t = now();
    await this.ws.db.transaction().execute(async (trx) => {
      const old = await trx.selectFrom('model_policies').selectAll().where('project_id', '=', p.id).executeTakeFirst();
      const require_reason = policy.requireReasonForProduction === undefined ? (old?.require_reason ?? 0) : policy.requireReasonForProduction ? 1 : 0;
      const require_approval = policy.requireApprovalForProduction === undefined ? (old?.require_approval ?? 0) : policy.requireApprovalForProduction ? 1 : 0;
      await trx
        .insertInto('model_policies')
        .values({ project_id: p.id, require_reason, require_approval, updated_at: t })
        .onConflict((oc) => oc.column('project_id').doUpdateSet({ require_reason, require_approval, updated_at: t }))
        .execute();
      await recordEvent(trx, this.actor, { type: 'model.policy_updated', entityKind: 'project', entityId: p.id, payload: { requireReasonForProduction: require_reason === 1, requireApprovalForProduction: require_approval === 1 } });
    });
    this.ws.notify({ events: true });
    return this.policy(p.id);
  }

  // ---- compare ------------------------------------------------------------------------

  /** Metrics and params side by side, and what differs in their lineage. */
  async compare(name: string, versions: number[]): Promise<ModelComparison> {
    if (versions.length < 2) throw invalid('compare needs at least two versions', `wb model compare ${name} 1 2`);
    const m = await this.modelRow(name);
    const vs = await Promise.all(versions.map((n) => this.version(`${m.name}@${n}`)));
    const metricKeys = [...new Set(vs.flatMap((v) => v.lineage.metrics.map((x) => x.key)))].sort();
    const paramKeys = [...new Set(vs.flatMap((v) => Object.keys(v.lineage.params)))].sort();
    const same = (values: unknown[]) => values.every((x) => JSON.stringify(x) === JSON.stringify(values[0]));
    const lineageFields: Array<[string, (v: ModelVersion) => string]> = [
      ['run', (v) => v.lineage.run.id],
      ['artifact sha256', (v) => v.sha256],
      ['format', (v) => v.format],
      ['datasets', (v) => v.lineage.datasets.map((d) => `${d.name}@${d.version} ${d.fingerprint.slice(0, 12)}`).join(', ') || '-'],
      ['code commit', (v) => (v.lineage.code ? v.lineage.code.commit.slice(0, 12) + (v.lineage.code.dirty ? ' (dirty)' : '') : '-')],
      ['python', (v) => v.lineage.environment?.python ?? '-'],
    ];
    const pkgs = [...new Set(vs.flatMap((v) => Object.keys(v.lineage.environment?.packages ?? {})))].sort();
    for (const p of pkgs) lineageFields.push([`package ${p}`, (v) => v.lineage.environment?.packages[p] ?? '-']);
    return {
      model: m.name,
      versions,
      metrics: metricKeys.map((key) => ({ key, values: vs.map((v) => v.lineage.metrics.find((x) => x.key === key)?.last ?? null) })),
      params: paramKeys.map((key) => {
        const values = vs.map((v) => v.lineage.params[key] ?? null);
        return { key, values, differs: !same(values) };
      }),
      lineage: lineageFields.map(([field, get]) => {
        const values = vs.map(get);
        return { field, values, differs: !same(values) };
      }),
    };
  }
}
