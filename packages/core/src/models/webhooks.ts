import { createHmac } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Webhook } from '@workbench/api';
import type { Database } from '../db/schema.js';
import { invalid, notFound } from '../errors.js';
import { newId, newToken } from '../ids.js';
import { iso, now } from '../time.js';
import type { Workspace } from '../workspace.js';

/** Retry schedule: 1 s, 2 s, 4 s … capped at 10 minutes; a delivery is given up after this many attempts. */
export const webhookMaxAttempts = 10;
export const webhookBackoffMs = (attempt: number, baseMs = 1000): number => Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 600_000);

export function signWebhookBody(secret: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * Queue an event for every webhook that covers the model's project. Call it inside the
 * transaction that makes the change: the outbox row commits with the change or not at all.
 */
export async function enqueueWebhooks(trx: Transaction<Database>, projectId: string, event: { type: string; actor: string; entityId: string; payload: unknown }): Promise<number> {
  const hooks = await trx
    .selectFrom('webhooks')
    .select('id')
    .where('deleted_at', 'is', null)
    .where((eb) => eb.or([eb('project_id', 'is', null), eb('project_id', '=', projectId)]))
    .execute();
  if (hooks.length === 0) return 0;
  const t = now();
  const body = JSON.stringify({ id: newId(), type: event.type, ts: iso(t), actor: event.actor, entityKind: 'model', entityId: event.entityId, payload: event.payload });
  await trx
    .insertInto('webhook_deliveries')
    .values(hooks.map((h) => ({ webhook_id: h.id, event_type: event.type, body, status: 'pending', attempts: 0, next_attempt_at: t, claimed_until: null, last_error: null, created_at: t, delivered_at: null })))
    .execute();
  return hooks.length;
}

export interface DeliveryReport {
  delivered: number;
  retrying: number;
  failed: number;
}

export class Webhooks {
  constructor(private readonly ws: Workspace) {}

  async add(url: string, opts: { projectId?: string | null; secret?: string } = {}): Promise<{ webhook: Webhook; secret: string }> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalid(`'${url.slice(0, 200)}' is not a URL`, 'give a full http:// or https:// address');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw invalid(`webhooks are delivered over http or https, not ${parsed.protocol}`);
    const secret = opts.secret ?? newToken();
    if (secret.length < 8 || secret.length > 512) throw invalid('a webhook secret must be 8-512 characters');
    const t = now();
    const row = { id: newId(), project_id: opts.projectId ?? null, url: parsed.toString(), secret, created_at: t, deleted_at: null };
    await this.ws.db.transaction().execute(async (trx) => {
      await trx.insertInto('webhooks').values(row).execute();
      // The secret never goes into the event log.
      await trx.insertInto('events').values({ ts: t, actor: this.ws.actor, type: 'webhook.added', entity_kind: 'webhook', entity_id: row.id, payload: JSON.stringify({ url: row.url, projectId: row.project_id }) }).execute();
    });
    this.ws.notify({ events: true });
    return { webhook: { id: row.id, url: row.url, projectId: row.project_id, createdAt: iso(t), pending: 0, failed: 0, delivered: 0 }, secret };
  }

  async list(): Promise<Webhook[]> {
    const rows = await this.ws.db.selectFrom('webhooks').selectAll().where('deleted_at', 'is', null).orderBy('created_at').execute();
    const counts = await this.ws.db
      .selectFrom('webhook_deliveries')
      .select(['webhook_id', 'status', (e) => e.fn.countAll<number>().as('n')])
      .groupBy(['webhook_id', 'status'])
      .execute();
    const count = (id: string, status: string) => Number(counts.find((c) => c.webhook_id === id && c.status === status)?.n ?? 0);
    return rows.map((r) => ({ id: r.id, url: r.url, projectId: r.project_id, createdAt: iso(r.created_at), pending: count(r.id, 'pending'), failed: count(r.id, 'failed'), delivered: count(r.id, 'delivered') }));
  }

  async remove(id: string): Promise<void> {
    const t = now();
    const res = await this.ws.db.transaction().execute(async (trx) => {
      const r = await trx.updateTable('webhooks').set({ deleted_at: t }).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return false;
      await trx.updateTable('webhook_deliveries').set({ status: 'failed', last_error: 'webhook removed' }).where('webhook_id', '=', id).where('status', '=', 'pending').execute();
      await trx.insertInto('events').values({ ts: t, actor: this.ws.actor, type: 'webhook.removed', entity_kind: 'webhook', entity_id: id, payload: '{}' }).execute();
      return true;
    });
    if (!res) throw notFound('webhook', id, 'see the webhooks: wb model webhook list');
  }

  /**
   * Deliver what is due: POST the event JSON with `X-Workbench-Signature: sha256=<hmac>`.
   * A 2xx marks it delivered; anything else schedules a retry with exponential backoff, up
   * to `webhookMaxAttempts`. Deliveries are claimed for a while first, so a server and a
   * CLI process delivering at once do not send the same attempt twice.
   */
  async deliverDue(opts: { limit?: number; timeoutMs?: number; backoffBaseMs?: number } = {}): Promise<DeliveryReport> {
    const t = now();
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const claimed = await this.ws.db.transaction().execute(async (trx) => {
      const due = await trx
        .selectFrom('webhook_deliveries')
        .innerJoin('webhooks', 'webhooks.id', 'webhook_deliveries.webhook_id')
        .select(['webhook_deliveries.id', 'webhook_deliveries.body', 'webhook_deliveries.attempts', 'webhook_deliveries.event_type', 'webhooks.url', 'webhooks.secret'])
        .where('webhook_deliveries.status', '=', 'pending')
        .where('webhook_deliveries.next_attempt_at', '<=', t)
        .where((eb) => eb.or([eb('webhook_deliveries.claimed_until', 'is', null), eb('webhook_deliveries.claimed_until', '<', t)]))
        .orderBy('webhook_deliveries.id')
        .limit(opts.limit ?? 50)
        .execute();
      if (due.length > 0) {
        await trx
          .updateTable('webhook_deliveries')
          .set({ claimed_until: t + timeoutMs + 5000 })
          .where('id', 'in', due.map((d) => d.id))
          .execute();
      }
      return due;
    });
    const report: DeliveryReport = { delivered: 0, retrying: 0, failed: 0 };
    await Promise.all(
      claimed.map(async (d) => {
        let error: string | null = null;
        try {
          const res = await fetch(d.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'user-agent': 'workbench-webhooks', 'x-workbench-event': d.event_type, 'x-workbench-delivery': String(d.id), 'x-workbench-signature': signWebhookBody(d.secret, d.body) },
            body: d.body,
            redirect: 'manual',
            signal: AbortSignal.timeout(timeoutMs),
          });
          await res.arrayBuffer().catch(() => undefined);
          if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
        } catch (err) {
          error = (err as Error).message ?? String(err);
        }
        const attempts = d.attempts + 1;
        const done = now();
        if (error === null) {
          report.delivered++;
          await this.ws.db.updateTable('webhook_deliveries').set({ status: 'delivered', attempts, delivered_at: done, claimed_until: null, last_error: null }).where('id', '=', d.id).execute();
        } else if (attempts >= webhookMaxAttempts) {
          report.failed++;
          await this.ws.db.updateTable('webhook_deliveries').set({ status: 'failed', attempts, claimed_until: null, last_error: error.slice(0, 500) }).where('id', '=', d.id).execute();
        } else {
          report.retrying++;
          await this.ws.db
            .updateTable('webhook_deliveries')
            .set({ attempts, claimed_until: null, last_error: error.slice(0, 500), next_attempt_at: done + webhookBackoffMs(attempts, opts.backoffBaseMs) })
            .where('id', '=', d.id)
            .execute();
        }
      }),
    );
    return report;
  }

  /** When the next pending delivery falls due (ms since the epoch), or null. */
  async nextDueAt(): Promise<number | null> {
    const row = await this.ws.db.selectFrom('webhook_deliveries').select((e) => e.fn.min('next_attempt_at').as('t')).where('status', '=', 'pending').executeTakeFirst();
    return row?.t == null ? null : Number(row.t);
  }
}
