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

/** Append several events in one statement (bulk creations); same transaction rule. */
export async function recordEvents(trx: Transaction<Database> | Kysely<Database>, actor: string, events: EventInput[]): Promise<void> {
  const t = now();
  const rows = events.map((e) => ({ ts: t, actor, type: e.type, entity_kind: e.entityKind, entity_id: e.entityId, payload: JSON.stringify(e.payload ?? {}) }));
  for (let i = 0; i < rows.length; i += 4000) await trx.insertInto('events').values(rows.slice(i, i + 4000)).execute();
}

/** The newest event's seq (0 for an empty log): where a live follower starts. */
export async function headEventSeq(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('events').select((e) => e.fn.max('seq').as('head')).executeTakeFirst();
  return Number(row?.head ?? 0);
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
