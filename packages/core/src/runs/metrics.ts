import type { Kysely, Transaction } from 'kysely';
import type { MetricSummary } from '@workbench/api';
import type { Database } from '../db/schema.js';
import { allocColumns, decodeChunk, decodeChunks, encodeChunk, type MetricColumns } from './metric-codec.js';
import { resolveLatest } from './series.js';

export interface MetricIn {
  key: string;
  step: number;
  value: number;
  /** ms since epoch */
  ts: number;
  attempt: number;
}

type Db = Kysely<Database> | Transaction<Database>;

const keyIds = new WeakMap<object, Map<string, number>>();

/** Metric keys are interned to small integers; the map is cached per database handle. */
async function keyId(db: Db, cacheOwner: object, key: string): Promise<number> {
  let cache = keyIds.get(cacheOwner);
  if (!cache) keyIds.set(cacheOwner, (cache = new Map()));
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  await db.insertInto('metric_keys').values({ key }).onConflict((oc) => oc.column('key').doNothing()).execute();
  const row = await db.selectFrom('metric_keys').select('id').where('key', '=', key).executeTakeFirstOrThrow();
  cache.set(key, row.id);
  return row.id;
}

async function lookupKeyId(db: Db, key: string): Promise<number | undefined> {
  return (await db.selectFrom('metric_keys').select('id').where('key', '=', key).executeTakeFirst())?.id;
}

/**
 * Store a batch of points for one run inside `trx`: one chunk per key, sequence numbers in
 * arrival order, and the per-run summary (last/min/max/count) kept current.
 */
export async function appendMetrics(trx: Transaction<Database>, cacheOwner: object, runId: string, points: MetricIn[]): Promise<number> {
  if (points.length === 0) return 0;
  const { metric_seq: end } = await trx
    .updateTable('runs')
    .set((eb) => ({ metric_seq: eb('metric_seq', '+', points.length) }))
    .where('id', '=', runId)
    .returning('metric_seq')
    .executeTakeFirstOrThrow();
  let seq = Number(end) - points.length;

  const byKey = new Map<string, number[]>();
  for (let i = 0; i < points.length; i++) {
    const k = points[i]!.key;
    let list = byKey.get(k);
    if (!list) byKey.set(k, (list = []));
    list.push(i);
  }
  const seqOf = new Float64Array(points.length);
  for (let i = 0; i < points.length; i++) seqOf[i] = ++seq;

  const existing = await trx.selectFrom('run_metrics').selectAll().where('run_id', '=', runId).where('key', 'in', [...byKey.keys()]).execute();
  const summaries = new Map(existing.map((r) => [r.key, r]));

  for (const [key, idx] of byKey) {
    const n = idx.length;
    const c = allocColumns(n);
    let minStep = Infinity;
    let maxStep = -Infinity;
    const prev = summaries.get(key);
    let count = Number(prev?.count ?? 0) + n;
    let min = prev?.min ?? null;
    let max = prev?.max ?? null;
    let lastAttempt = prev?.last_attempt ?? -1;
    let lastStep = prev?.last_step ?? -Infinity;
    let lastSeq = Number(prev?.last_seq ?? -1);
    let last: number | null = prev?.last ?? null;
    for (let j = 0; j < n; j++) {
      const p = points[idx[j]!]!;
      const s = seqOf[idx[j]!]!;
      c.step[j] = p.step;
      c.value[j] = p.value;
      c.ts[j] = p.ts;
      c.seq[j] = s;
      c.attempt[j] = p.attempt;
      if (p.step < minStep) minStep = p.step;
      if (p.step > maxStep) maxStep = p.step;
      if (!Number.isNaN(p.value)) {
        if (min === null || p.value < min) min = p.value;
        if (max === null || p.value > max) max = p.value;
      }
      // "last" is the point a chart ends on: latest attempt, then highest step, then arrival.
      if (p.attempt > lastAttempt || (p.attempt === lastAttempt && (p.step > lastStep || (p.step === lastStep && s > lastSeq)))) {
        lastAttempt = p.attempt;
        lastStep = p.step;
        lastSeq = s;
        last = Number.isNaN(p.value) ? null : p.value;
      }
    }
    const kid = await keyId(trx, cacheOwner, key);
    await trx
      .insertInto('metric_chunks')
      .values({ run_id: runId, key_id: kid, first_seq: c.seq[0]!, last_seq: c.seq[n - 1]!, n, min_step: minStep, max_step: maxStep, data: encodeChunk(c) })
      .execute();
    const row = { run_id: runId, key, last, last_step: lastStep, last_attempt: lastAttempt, last_seq: lastSeq, min, max, count };
    await trx
      .insertInto('run_metrics')
      .values(row)
      .onConflict((oc) => oc.columns(['run_id', 'key']).doUpdateSet({ last, last_step: lastStep, last_attempt: lastAttempt, last_seq: lastSeq, min, max, count }))
      .execute();
    count = 0;
  }
  return Number(end);
}

/** Every stored point of a key, in arrival order (optionally only those after `afterSeq`). */
export async function readRawSeries(db: Db, runId: string, key: string, afterSeq = 0): Promise<MetricColumns> {
  const kid = await lookupKeyId(db, key);
  if (kid === undefined) return allocColumns(0);
  const rows = await db
    .selectFrom('metric_chunks')
    .select('data')
    .where('run_id', '=', runId)
    .where('key_id', '=', kid)
    .where('last_seq', '>', afterSeq)
    .orderBy('first_seq')
    .execute();
  const all = decodeChunks(rows.map((r) => r.data));
  if (afterSeq <= 0 || all.seq.length === 0 || all.seq[0]! > afterSeq) return all;
  let from = 0;
  while (from < all.seq.length && all.seq[from]! <= afterSeq) from++;
  return {
    step: all.step.subarray(from),
    value: all.value.subarray(from),
    ts: all.ts.subarray(from),
    seq: all.seq.subarray(from),
    attempt: all.attempt.subarray(from),
  };
}

/** The series a chart shows: latest attempt per step, by step. */
export async function readSeries(db: Db, runId: string, key: string): Promise<MetricColumns> {
  return resolveLatest(await readRawSeries(db, runId, key));
}

/** Points of every key that arrived after `afterSeq` (live tailing), in arrival order. */
export async function readMetricsAfter(db: Db, runId: string, afterSeq: number, limit = 100_000): Promise<Array<{ key: string; step: number; value: number; ts: number; seq: number; attempt: number }>> {
  const rows = await db
    .selectFrom('metric_chunks')
    .innerJoin('metric_keys', 'metric_keys.id', 'metric_chunks.key_id')
    .select(['metric_keys.key', 'metric_chunks.data'])
    .where('run_id', '=', runId)
    .where('last_seq', '>', afterSeq)
    .orderBy('first_seq')
    .execute();
  const out: Array<{ key: string; step: number; value: number; ts: number; seq: number; attempt: number }> = [];
  for (const r of rows) {
    const c = decodeChunk(r.data);
    for (let i = 0; i < c.seq.length; i++) {
      if (c.seq[i]! <= afterSeq) continue;
      out.push({ key: r.key, step: c.step[i]!, value: c.value[i]!, ts: c.ts[i]!, seq: c.seq[i]!, attempt: c.attempt[i]! });
    }
  }
  out.sort((a, b) => a.seq - b.seq);
  return out.length > limit ? out.slice(0, limit) : out;
}

export async function metricSummaries(db: Db, runId: string): Promise<MetricSummary[]> {
  const rows = await db.selectFrom('run_metrics').selectAll().where('run_id', '=', runId).orderBy('key').execute();
  return rows.map((r) => ({ key: r.key, last: r.last, lastStep: r.last_step, min: r.min, max: r.max, count: Number(r.count) }));
}
