import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { OperationalError } from '../errors.js';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-hash-cache.js';
import * as m0003 from './migrations/0003-registry.js';
import * as m0004 from './migrations/0004-llm.js';
import * as m0005 from './migrations/0005-approvals.js';

/** The ordered list of schema versions this build knows. Append only. */
export const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-hash-cache': m0002,
  '0003-registry': m0003,
  '0004-llm': m0004,
  '0005-approvals': m0005,
};
export const schemaVersion = Object.keys(migrations).length;

class StaticProvider implements MigrationProvider {
  constructor(private readonly upTo: number) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return Object.fromEntries(Object.entries(migrations).slice(0, this.upTo));
  }
}

/**
 * Bring a database to `upTo` (default: the latest). A workspace written by a newer
 * Workbench is refused rather than guessed at.
 */
export async function migrateToLatest(db: Kysely<any>, upTo = schemaVersion): Promise<{ applied: string[] }> {
  const known = new Set(Object.keys(migrations));
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (tables.some((t) => t.name === 'kysely_migration')) {
    const rows = await db.selectFrom('kysely_migration').select('name').execute();
    const unknown = rows.map((r: { name: string }) => r.name).filter((n: string) => !known.has(n));
    if (unknown.length > 0) {
      throw new OperationalError('WORKSPACE_TOO_NEW', `this workspace was written by a newer Workbench (schema steps ${unknown.join(', ')} are unknown to this version)`, {
        hint: 'upgrade Workbench (git pull && npm start), or point --workspace at another folder',
      });
    }
  }
  const migrator = new Migrator({ db, provider: new StaticProvider(upTo) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    throw new OperationalError('IO_ERROR', `could not upgrade the workspace schema: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
