import { sql, type Kysely } from 'kysely';

// Second-person approval for entering production: a project policy flag, and the requests
// a promotion becomes while that flag is on (pending until approved, rejected, withdrawn,
// or made stale by a change to the version).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('model_policies').addColumn('require_approval', 'integer', (c) => c.notNull().defaultTo(0)).execute();

  await db.schema
    .createTable('model_approval_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('model_id', 'text', (c) => c.notNull())
    .addColumn('version_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    // The stage the version was in when the request was made: approval applies only to that state.
    .addColumn('from_stage', 'text', (c) => c.notNull())
    .addColumn('to_stage', 'text', (c) => c.notNull())
    .addColumn('previous', 'text') // what the displaced production version becomes; null: archived
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // pending, approved, rejected, withdrawn, stale
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'bigint')
    .addColumn('decision_reason', 'text')
    .execute();
  await db.schema.createIndex('model_approval_requests_model').on('model_approval_requests').columns(['model_id', 'status']).execute();
  // At most one open request per version: a second one would only race the first.
  await db.schema.createIndex('model_approval_requests_one_pending').on('model_approval_requests').column('version_id').unique().where(sql.ref('status'), '=', 'pending').execute();
}
