import type { Selectable, Transaction } from 'kysely';
import type { ApprovalDecision, ApprovalRequest, ApprovalStatus, ModelStage } from '@workbench/api';
import type { Database, ModelApprovalRequestsTable } from '../db/schema.js';
import { UserError, invalid, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { iso, isoOrNull, now } from '../time.js';
import type { Workspace } from '../workspace.js';
import { personOf, samePerson } from './actor.js';
import { Models, type ModelRow } from './models.js';
import { assertStageChange } from './stage-machine.js';

type RequestRow = Selectable<ModelApprovalRequestsTable>;

function toRequest(r: RequestRow, modelName: string): ApprovalRequest {
  return {
    id: r.id,
    modelId: r.model_id,
    modelName,
    version: r.version,
    fromStage: r.from_stage as ModelStage,
    toStage: r.to_stage as ModelStage,
    previous: (r.previous as 'archived' | 'staging' | null) ?? null,
    reason: r.reason,
    requestedBy: r.requested_by,
    requestedAt: iso(r.requested_at),
    status: r.status as ApprovalStatus,
    decidedBy: r.decided_by,
    decidedAt: isoOrNull(r.decided_at),
    decisionReason: r.decision_reason,
  };
}

const alreadyDecided = (r: RequestRow): UserError =>
  new UserError('CONFLICT', `approval request ${r.id} is ${r.status}${r.decided_by ? ` (by ${r.decided_by})` : ''}${r.status === 'stale' && r.decision_reason ? `: ${r.decision_reason}` : ''}`, {
    hint: r.status === 'stale' ? 'what was asked for changed before anyone decided: ask again with wb model promote … --to production --reason …' : 'see the requests: wb model approvals',
    details: { status: r.status },
  });

/**
 * Second-person approval for entering production. Where a project's policy asks for it, a
 * promotion to production becomes a request; someone other than the requester approves it
 * (the promotion happens in the approving transaction, under the usual rules), rejects it, or
 * the requester withdraws it. "Someone other" compares the person behind the actor
 * (`cli:alice` = `api:alice`); without team mode that name is a convention, not a proof.
 *
 * A request is about the version as it was when asked: if its stage changes (or it is deleted)
 * before anyone decides, the request becomes stale in the same transaction as that change,
 * and approving it is refused. The requester asks again, so the approver reviews what is.
 */
export class ModelApprovals {
  private readonly models: Models;
  constructor(
    private readonly ws: Workspace,
    opts: { actor?: string } = {},
  ) {
    this.models = new Models(ws, opts);
  }

  private person(doing: string): string {
    const p = personOf(this.models.actor);
    if (!p) {
      throw invalid(`${doing} needs to know who is acting, and this request names no user (actor '${this.models.actor}')`, 'the CLI acts as --as NAME, $WB_USER or your login name; over HTTP send the header X-Workbench-Actor: NAME (in the web app: "Acting as" on the model page)');
    }
    return p;
  }

  /** A request by id or by a unique prefix of it (at least 4 characters). */
  private async row(ref: string, db: Transaction<Database> | Workspace['db'] = this.ws.db): Promise<RequestRow> {
    const exact = await db.selectFrom('model_approval_requests').selectAll().where('id', '=', ref).executeTakeFirst();
    if (exact) return exact;
    const missing = notFound('approval request', ref.slice(0, 80), 'see the requests: wb model approvals');
    if (!/^[0-9a-z]{4,}$/.test(ref)) throw missing;
    const rows = await db.selectFrom('model_approval_requests').selectAll().where('id', 'like', `${ref}%`).limit(2).execute();
    if (rows.length > 1) throw new UserError('AMBIGUOUS', `more than one approval request id starts with '${ref}'`, { hint: 'type more characters of the id' });
    if (!rows[0]) throw missing;
    return rows[0];
  }

  private async modelOf(r: RequestRow, trx: Transaction<Database>): Promise<ModelRow> {
    const m = await trx.selectFrom('models').selectAll().where('id', '=', r.model_id).executeTakeFirst();
    if (!m || m.deleted_at !== null) throw notFound('model', m?.name ?? r.model_id, 'the model of this request was deleted: restore it first (wb model restore NAME)');
    return m;
  }

  private async withModelName(r: RequestRow): Promise<ApprovalRequest> {
    const m = await this.ws.db.selectFrom('models').select('name').where('id', '=', r.model_id).executeTakeFirstOrThrow();
    return toRequest(r, m.name);
  }

  /** The request as it is now, after a change to it. */
  private async decided(id: string): Promise<ApprovalRequest> {
    return this.withModelName(await this.row(id));
  }

  async get(ref: string): Promise<ApprovalRequest> {
    return this.withModelName(await this.row(ref));
  }

  /** Requests of live models (of one model with `model`), pending first, then the newest decided. */
  async list(opts: { model?: string; status?: ApprovalStatus; limit?: number } = {}): Promise<ApprovalRequest[]> {
    let q = this.ws.db
      .selectFrom('model_approval_requests')
      .innerJoin('models', 'models.id', 'model_approval_requests.model_id')
      .selectAll('model_approval_requests')
      .select('models.name as model_name')
      .where('models.deleted_at', 'is', null);
    if (opts.model) q = q.where('model_approval_requests.model_id', '=', (await this.models.modelRow(opts.model)).id);
    if (opts.status) q = q.where('model_approval_requests.status', '=', opts.status);
    const rows = await q
      .orderBy((eb) => eb.case().when('model_approval_requests.status', '=', 'pending').then(0).else(1).end())
      .orderBy('model_approval_requests.requested_at', 'desc')
      .orderBy('model_approval_requests.id', 'desc')
      .limit(Math.min(Math.max(opts.limit ?? 200, 1), 10_000))
      .execute();
    return rows.map((r) => toRequest(r, r.model_name));
  }

  /** Ask for `name@version` to enter production. The stage does not change until someone else approves. */
  async request(name: string, version: number, input: { reason: string; previous?: 'archived' | 'staging' }): Promise<ApprovalRequest> {
    const person = this.person('asking for approval');
    const reason = input.reason?.trim();
    if (!reason) throw invalid('a request for approval needs a reason: the approver reads it', '--reason "why this version should serve"');
    if (reason.length > 2000) throw invalid('a reason is at most 2,000 characters');
    const m = await this.models.modelRow(name);
    const policy = await this.models.policy(m.project_id);
    if (!policy.requireApprovalForProduction) {
      throw new UserError('CONFLICT', `project ${(await this.models.get(m.id)).projectName} does not require approval for production`, { hint: `promote directly: wb model promote ${m.name} ${version} --to production` });
    }
    const id = newId();
    await this.ws.db.transaction().execute(async (trx) => {
      const fresh = await this.models.checkRevision(trx, m, undefined);
      const v = await trx.selectFrom('model_versions').selectAll().where('model_id', '=', m.id).where('version', '=', version).where('deleted_at', 'is', null).executeTakeFirst();
      if (!v) throw notFound('model version', `${m.name}@${version}`, `see its versions: wb model versions ${m.name}`);
      assertStageChange(`${m.name}@${version}`, v.stage as ModelStage, 'production');
      const open = await trx.selectFrom('model_approval_requests').select(['id', 'requested_by']).where('version_id', '=', v.id).where('status', '=', 'pending').executeTakeFirst();
      if (open) {
        throw new UserError('CONFLICT', `${m.name}@${version} already waits for approval (request ${open.id} by ${open.requested_by})`, {
          hint: samePerson(open.requested_by, person) ? `wait for someone to approve it, or withdraw it: wb model withdraw ${open.id}` : `approve it instead: wb model approve ${open.id}`,
          details: { requestId: open.id },
        });
      }
      const t = now();
      await trx
        .insertInto('model_approval_requests')
        .values({ id, model_id: m.id, version_id: v.id, version, from_stage: v.stage, to_stage: 'production', previous: input.previous ?? null, reason, requested_by: person, requested_at: t, status: 'pending', decided_by: null, decided_at: null, decision_reason: null })
        .execute();
      await this.models.recordAndNotify(trx, fresh, 'approval.requested', { name: m.name, version, requestId: id, from: v.stage, to: 'production', reason, requestedBy: person, previous: input.previous ?? null });
    });
    this.ws.notify({ events: true });
    return this.decided(id);
  }

  /**
   * Approve and promote, in one transaction: the request must still be pending and be someone
   * else's, the version must still be in the stage it was asked from, and the stage machine,
   * the one-production rule and `ifRevision` apply as for any promotion. Of two approvers
   * racing, the second finds the request approved already.
   */
  async approve(ref: string, input: { reason?: string; ifRevision?: number } = {}): Promise<ApprovalDecision> {
    const person = this.person('approving');
    const decisionReason = input.reason?.trim() || null;
    const id = (await this.row(ref)).id;
    let stale: UserError | null = null;
    let change: Omit<NonNullable<ApprovalDecision['change']>, 'version'> | undefined;
    let modelName = '';
    await this.ws.db.transaction().execute(async (trx) => {
      const r = await this.row(id, trx);
      if (r.status !== 'pending') throw alreadyDecided(r);
      if (samePerson(r.requested_by, person)) {
        throw new UserError('SELF_APPROVAL', `${person} asked for this promotion and cannot also approve it: a second person must`, {
          hint: `ask someone else to run: wb model approve ${r.id}   (or withdraw it: wb model withdraw ${r.id})`,
          details: { requestedBy: r.requested_by },
        });
      }
      const m = await this.models.checkRevision(trx, await this.modelOf(r, trx), input.ifRevision);
      modelName = m.name;
      const v = await trx.selectFrom('model_versions').select(['stage', 'deleted_at']).where('id', '=', r.version_id).executeTakeFirstOrThrow();
      if (v.deleted_at !== null || v.stage !== r.from_stage) {
        // Normally marked when the version changed; this covers anything that slipped past.
        const why = v.deleted_at !== null ? `version ${r.version} was deleted` : `version ${r.version} moved from ${r.from_stage} to ${v.stage}`;
        await trx.updateTable('model_approval_requests').set({ status: 'stale', decided_at: now(), decision_reason: why }).where('id', '=', r.id).execute();
        await this.models.recordAndNotify(trx, m, 'approval.stale', { name: m.name, version: r.version, requestId: r.id, requestedBy: r.requested_by, why });
        stale = alreadyDecided({ ...r, status: 'stale', decision_reason: why });
        return;
      }
      await trx.updateTable('model_approval_requests').set({ status: 'approved', decided_by: person, decided_at: now(), decision_reason: decisionReason }).where('id', '=', r.id).where('status', '=', 'pending').execute();
      change = await this.models.applyStageChange(trx, m, r.version, {
        to: r.to_stage as ModelStage,
        reason: r.reason,
        ...(r.previous ? { previous: r.previous as 'archived' | 'staging' } : {}),
        approval: { id: r.id, requestedBy: r.requested_by, approvedBy: person },
      });
      await this.models.recordAndNotify(trx, m, 'approval.approved', { name: m.name, version: r.version, requestId: r.id, requestedBy: r.requested_by, approvedBy: person, reason: decisionReason });
    });
    this.ws.notify({ events: true });
    if (stale) throw stale;
    const request = await this.decided(id);
    return { request, change: { version: await this.models.version(`${modelName}@${request.version}`), ...change! } };
  }

  /** Someone other than the requester turns the request down; the stage stays. */
  async reject(ref: string, input: { reason: string }): Promise<ApprovalDecision> {
    const person = this.person('rejecting');
    const reason = input.reason?.trim();
    if (!reason) throw invalid('a rejection needs a reason: the requester reads it', '--reason "what is missing"');
    return this.close(ref, 'rejected', reason, (r) => {
      if (samePerson(r.requested_by, person)) {
        throw new UserError('FORBIDDEN', `${person} asked for this promotion: a rejection comes from someone else`, { hint: `withdraw it instead: wb model withdraw ${r.id}` });
      }
      return person;
    });
  }

  /** The requester takes the request back. */
  async withdraw(ref: string, input: { reason?: string } = {}): Promise<ApprovalDecision> {
    const person = this.person('withdrawing');
    return this.close(ref, 'withdrawn', input.reason?.trim() || null, (r) => {
      if (!samePerson(r.requested_by, person)) {
        throw new UserError('FORBIDDEN', `only ${r.requested_by}, who asked, can withdraw request ${r.id} (you are ${person})`, { hint: `approve or reject it instead: wb model approve ${r.id}   or   wb model reject ${r.id} --reason "…"` });
      }
      return person;
    });
  }

  private async close(ref: string, status: 'rejected' | 'withdrawn', reason: string | null, check: (r: RequestRow) => string): Promise<ApprovalDecision> {
    const id = (await this.row(ref)).id;
    await this.ws.db.transaction().execute(async (trx) => {
      const r = await this.row(id, trx);
      if (r.status !== 'pending') throw alreadyDecided(r);
      const by = check(r);
      const m = await this.modelOf(r, trx);
      await trx.updateTable('model_approval_requests').set({ status, decided_by: by, decided_at: now(), decision_reason: reason }).where('id', '=', r.id).execute();
      await this.models.recordAndNotify(trx, m, `approval.${status}`, { name: m.name, version: r.version, requestId: r.id, requestedBy: r.requested_by, by, reason });
    });
    this.ws.notify({ events: true });
    return { request: await this.decided(id), change: null };
  }
}
