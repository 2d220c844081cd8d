import type { Kysely } from 'kysely';

// Local LLM runtimes the monitor samples beyond the ones it finds at their usual ports.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('llm_endpoints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}
