import type { Kysely, Transaction } from 'kysely';
import type { WbEvent } from '@workbench/api';
import type { Database } from './db/schema.js';
import { iso, now } from './time.js';

export interface EventInput {
  type: string;
  entityKind: string;
  entityId: string;
  payload?: unknown;
}

/**
 * Append a domain event. Call it inside the transaction that makes the change it describes
 * (transactional outbox): the change and its event are committed together or not at all.
 */
export async function recordEvent(trx: Transaction<Database> | Kysely<Database>, actor: string, e: EventInput): Promise<void> {
  await trx
    .insertInto('events')
    .values({ ts: now(), actor, type: e.type, entity_kind: e.entityKind, entity_id: e.entityId, payload: JSON.stringify(e.payload ?? {}) })
    .execute();
}

export async function listEvents(db: Kysely<Database>, opts: { after?: number; limit?: number; entityId?: string } = {}): Promise<WbEvent[]> {
  let q = db.selectFrom('events').selectAll().where('seq', '>', opts.after ?? 0);
  if (opts.entityId) q = q.where('entity_id', '=', opts.entityId);
  const rows = await q.orderBy('seq').limit(Math.min(opts.limit ?? 1000, 10_000)).execute();
  return rows.map((r) => ({
    seq: r.seq,
    ts: iso(r.ts),
    actor: r.actor,
    type: r.type,
    entityKind: r.entity_kind,
    entityId: r.entity_id,
    payload: JSON.parse(r.payload) as unknown,
  }));
}
