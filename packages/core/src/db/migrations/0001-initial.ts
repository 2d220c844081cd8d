import { sql, type Kysely } from 'kysely';

// Migrations are forward-only: a workspace is never migrated down. Each one is written with
// Kysely's schema builder so the team server can run the same steps on PostgreSQL.
// Small tables read by their primary key (a run's params, metric summaries, log lines) are
// WITHOUT ROWID: clustered on the key, one B-tree lookup instead of two.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('meta')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('projects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    // Numbers default run names (run-1, run-2, …) without counting the project's runs.
    .addColumn('run_counter', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .execute();
  // Names are unique among live projects only, so a deleted name is free to reuse.
  await db.schema.createIndex('projects_live_name').on('projects').column('name').unique().where(sql.ref('deleted_at'), 'is', null).execute();

  await db.schema
    .createTable('blobs')
    .addColumn('sha256', 'text', (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('verified_at', 'bigint')
    .execute();

  await db.schema
    .createTable('blob_refs')
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('owner_kind', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('blob_refs_pk', ['sha256', 'owner_kind', 'owner_id'])
    .modifyEnd(sql`without rowid`)
    .execute();
  await db.schema.createIndex('blob_refs_owner').on('blob_refs').columns(['owner_kind', 'owner_id']).execute();

  await db.schema
    .createTable('datasets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('file_count', 'integer', (c) => c.notNull())
    .addColumn('manifest_sha256', 'text', (c) => c.notNull())
    .addColumn('source_path', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .execute();
  await db.schema.createIndex('datasets_name_version').on('datasets').columns(['project_id', 'name', 'version']).unique().execute();
  await db.schema.createIndex('datasets_fingerprint').on('datasets').columns(['fingerprint']).execute();

  await db.schema
    .createTable('dataset_files')
    .addColumn('dataset_id', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('dataset_files_pk', ['dataset_id', 'path'])
    .modifyEnd(sql`without rowid`)
    .execute();

  await db.schema
    .createTable('runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    .addColumn('command', 'text', (c) => c.notNull())
    .addColumn('template', 'text')
    .addColumn('cwd', 'text')
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('exit_code', 'integer')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('ended_at', 'bigint')
    .addColumn('progress_current', 'double precision')
    .addColumn('progress_total', 'double precision')
    .addColumn('device', 'text')
    .addColumn('host', 'text')
    .addColumn('supervisor_pid', 'integer')
    .addColumn('supervisor_start', 'text')
    .addColumn('child_pid', 'integer')
    .addColumn('cancel_requested_at', 'bigint')
    .addColumn('heartbeat_at', 'bigint')
    .addColumn('log_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('metric_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('deleted_at', 'bigint')
    .execute();
  await db.schema.createIndex('runs_project_created').on('runs').columns(['project_id', 'created_at']).execute();
  await db.schema.createIndex('runs_status').on('runs').columns(['status']).execute();

  await db.schema
    .createTable('run_params')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('num', 'double precision')
    .addPrimaryKeyConstraint('run_params_pk', ['run_id', 'key'])
    .modifyEnd(sql`without rowid`)
    .execute();
  await db.schema.createIndex('run_params_key').on('run_params').columns(['key', 'num']).execute();

  await db.schema
    .createTable('run_tags')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_tags_pk', ['run_id', 'key'])
    .modifyEnd(sql`without rowid`)
    .execute();

  await db.schema
    .createTable('run_datasets')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('dataset_id', 'text', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_datasets_pk', ['run_id', 'dataset_id'])
    .modifyEnd(sql`without rowid`)
    .execute();
  await db.schema.createIndex('run_datasets_dataset').on('run_datasets').column('dataset_id').execute();

  await db.schema
    .createTable('metric_keys')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .execute();

  await db.schema
    .createTable('metric_chunks')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('key_id', 'integer', (c) => c.notNull())
    .addColumn('first_seq', 'bigint', (c) => c.notNull())
    .addColumn('last_seq', 'bigint', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('min_step', 'double precision', (c) => c.notNull())
    .addColumn('max_step', 'double precision', (c) => c.notNull())
    .addColumn('data', 'blob', (c) => c.notNull())
    .addPrimaryKeyConstraint('metric_chunks_pk', ['run_id', 'key_id', 'first_seq'])
    .execute();

  await db.schema
    .createTable('run_metrics')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('last', 'double precision')
    .addColumn('last_step', 'double precision', (c) => c.notNull())
    .addColumn('last_attempt', 'integer', (c) => c.notNull())
    .addColumn('last_seq', 'bigint', (c) => c.notNull())
    .addColumn('min', 'double precision')
    .addColumn('max', 'double precision')
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_metrics_pk', ['run_id', 'key'])
    .modifyEnd(sql`without rowid`)
    .execute();
  await db.schema.createIndex('run_metrics_key').on('run_metrics').columns(['key', 'last']).execute();

  await db.schema
    .createTable('log_lines')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('ts', 'double precision', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('log_lines_pk', ['run_id', 'seq'])
    .modifyEnd(sql`without rowid`)
    .execute();

  await db.schema
    .createTable('artifacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('artifacts_run_name').on('artifacts').columns(['run_id', 'name']).unique().execute();

  await db.schema
    .createTable('events')
    .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('entity_kind', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('events_entity').on('events').columns(['entity_kind', 'entity_id']).execute();
}
