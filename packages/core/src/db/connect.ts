import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
} from 'kysely';
import type { Database } from './schema.js';

/**
 * Write transactions take SQLite's write lock up front (BEGIN IMMEDIATE). A deferred
 * transaction that reads first and writes later can fail with SQLITE_BUSY the moment another
 * process (a second `wb run`, the server) commits in between, without waiting for the lock.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * Kysely prepares every query anew; preparing costs more than running most of ours. Reuse
 * prepared statements by SQL text (Kysely runs one query at a time on this connection, and we
 * never stream, so a cached statement is never busy when it is reused).
 */
function withStatementCache(db: BetterSqlite3.Database, size = 256): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = db.prepare.bind(db);
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop !== 'prepare') return Reflect.get(target, prop, receiver) as unknown;
      return (sql: string) => {
        let stmt = cache.get(sql);
        if (stmt) {
          cache.delete(sql);
          cache.set(sql, stmt);
          return stmt;
        }
        stmt = prepare(sql);
        cache.set(sql, stmt);
        if (cache.size > size) cache.delete(cache.keys().next().value!);
        return stmt;
      };
    },
  });
}

/**
 * SQLite rolls DDL back with the transaction, but Kysely's adapter says it cannot, so its
 * migrator would run each schema step unwrapped: a process killed during the very first open
 * left a half-made schema that no later open could finish. Saying so makes every upgrade
 * all-or-nothing.
 */
class WorkspaceAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class WorkspaceDialect implements Dialect {
  private readonly database: BetterSqlite3.Database;
  constructor(database: BetterSqlite3.Database) {
    this.database = withStatementCache(database);
  }
  createAdapter() {
    return new WorkspaceAdapter();
  }
  createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: this.database });
  }
  createIntrospector(db: Kysely<any>) {
    return new SqliteIntrospector(db);
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
}

export interface Connection {
  db: Kysely<Database>;
  /** The underlying handle, for the few hot paths and pragmas Kysely does not cover. */
  raw: BetterSqlite3.Database;
  close(): Promise<void>;
}

export function openSqlite(file: string, opts: { readonly?: boolean } = {}): Connection {
  const raw = new BetterSqlite3(file, { readonly: opts.readonly ?? false, timeout: 15_000 });
  // WAL lets readers (the server, `wb run logs`) work while a run writes. synchronous=NORMAL
  // in WAL mode survives any process crash; only a power cut can lose the last commits.
  if (!opts.readonly) {
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
  }
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 15000');
  raw.defaultSafeIntegers(false);
  const db = new Kysely<Database>({ dialect: new WorkspaceDialect(raw) });
  let closed = false;
  return {
    db,
    raw,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy(); // closes `raw` too
    },
  };
}
