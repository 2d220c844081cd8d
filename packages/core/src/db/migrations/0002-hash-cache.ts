import type { Kysely } from 'kysely';

// Re-checking an unchanged folder must read nothing: remember each file's hash by
// (device, inode) and trust it while size and mtime are unchanged.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('hash_cache')
    .addColumn('dev', 'text', (c) => c.notNull())
    .addColumn('ino', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('mtime_ns', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('checked_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('hash_cache_pk', ['dev', 'ino'])
    .execute();
}
