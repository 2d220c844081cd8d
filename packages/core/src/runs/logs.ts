import { sql, type Kysely, type Transaction } from 'kysely';
import type { LogLine } from '@workbench/api';
import type { Database } from '../db/schema.js';

export interface LogIn {
  /** ms since epoch */
  ts: number;
  stream: LogLine['stream'];
  level: string;
  text: string;
}

type Db = Kysely<Database> | Transaction<Database>;

/** Append log lines with consecutive sequence numbers; returns the last one. */
export async function appendLogs(trx: Transaction<Database>, runId: string, lines: LogIn[]): Promise<number> {
  if (lines.length === 0) return 0;
  const { log_seq: end } = await trx
    .updateTable('runs')
    .set((eb) => ({ log_seq: eb('log_seq', '+', lines.length) }))
    .where('id', '=', runId)
    .returning('log_seq')
    .executeTakeFirstOrThrow();
  let seq = Number(end) - lines.length;
  // SQLite allows 32766 bound variables per statement: 6 per row.
  for (let i = 0; i < lines.length; i += 5000) {
    const rows = lines.slice(i, i + 5000).map((l) => ({ run_id: runId, seq: ++seq, ts: l.ts, stream: l.stream, level: l.level, text: l.text }));
    await trx.insertInto('log_lines').values(rows).execute();
  }
  return Number(end);
}

export interface LogQuery {
  afterSeq?: number;
  /** Read the last `limit` lines instead of the first. */
  tail?: boolean;
  limit?: number;
  stream?: LogLine['stream'];
  level?: string;
  search?: string;
}

export async function readLogs(db: Db, runId: string, q: LogQuery = {}): Promise<LogLine[]> {
  const limit = Math.min(Math.max(1, q.limit ?? 1000), 100_000);
  let query = db.selectFrom('log_lines').select(['seq', 'ts', 'stream', 'level', 'text']).where('run_id', '=', runId);
  if (q.afterSeq !== undefined) query = query.where('seq', '>', q.afterSeq);
  if (q.stream) query = query.where('stream', '=', q.stream);
  if (q.level) query = query.where('level', '=', q.level.toUpperCase());
  if (q.search) query = query.where(sql<boolean>`text like ${'%' + q.search.replace(/[\\%_]/g, (m) => '\\' + m) + '%'} escape '\\'`);
  const rows = await query.orderBy('seq', q.tail ? 'desc' : 'asc').limit(limit).execute();
  if (q.tail) rows.reverse();
  return rows.map((r) => ({ seq: Number(r.seq), ts: r.ts, stream: r.stream as LogLine['stream'], level: r.level, text: r.text }));
}
