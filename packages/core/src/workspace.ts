import { EventEmitter } from 'node:events';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { BlobStore } from './blobs/blob-store.js';
import { openSqlite, type Connection } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import type { Database } from './db/schema.js';
import { fromSystemError, UserError } from './errors.js';
import { newId, newToken } from './ids.js';

export interface WorkspaceChange {
  /** A run whose logs, metrics, progress or status changed. */
  runId?: string;
  /** New domain events were committed. */
  events?: boolean;
}

export interface OpenOptions {
  /** Who is acting, recorded on every event (`cli`, `server`, `runner`, …). */
  actor?: string;
  /** Stop at this schema version (tests of upgrades). */
  schemaUpTo?: number;
}

/**
 * One workspace: a SQLite database (WAL) and a content-addressed blob folder. Opening it
 * creates what is missing, upgrades the schema and hands out the pieces every capability uses.
 */
export class Workspace {
  readonly dir: string;
  readonly db: Kysely<Database>;
  readonly conn: Connection;
  readonly blobs: BlobStore;
  readonly actor: string;
  /** In-process change notifications; other processes' writes are seen via `dataVersion()`. */
  readonly changes = new EventEmitter<{ change: [WorkspaceChange] }>();

  private constructor(dir: string, conn: Connection, actor: string) {
    this.dir = dir;
    this.conn = conn;
    this.db = conn.db;
    this.blobs = new BlobStore(path.join(dir, 'blobs'));
    this.actor = actor;
    this.changes.setMaxListeners(0);
  }

  static async open(dir: string, opts: OpenOptions = {}): Promise<Workspace> {
    const abs = path.resolve(dir);
    try {
      await mkdir(abs, { recursive: true, mode: 0o700 });
      const st = await stat(abs);
      if (!st.isDirectory()) throw Object.assign(new Error(`${abs} is not a folder`), { code: 'EEXIST' });
    } catch (err) {
      // mkdir's own EEXIST/ENOTDIR means the path (or a parent) is a file: say so, not the errno.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTDIR') {
        throw new UserError('INVALID_INPUT', `the workspace path ${abs} is a file, or lies under one, not a folder`, {
          hint: 'point WB_HOME or --workspace at a folder (it is created when missing)',
          cause: err,
        });
      }
      throw fromSystemError(err, `opening the workspace ${abs}`);
    }
    const conn = openSqlite(path.join(abs, 'workbench.db'));
    const ws = new Workspace(abs, conn, opts.actor ?? `cli:${os.userInfo().username}`);
    try {
      await migrateToLatest(conn.db, opts.schemaUpTo);
      await ws.blobs.init();
      await mkdir(ws.runsDir, { recursive: true });
      await ws.ensureMeta();
    } catch (err) {
      await conn.close();
      throw err;
    }
    return ws;
  }

  get runsDir(): string {
    return path.join(this.dir, 'runs');
  }
  get datasetsDir(): string {
    return path.join(this.dir, 'datasets');
  }
  get tokenFile(): string {
    return path.join(this.dir, 'token');
  }
  get serverFile(): string {
    return path.join(this.dir, 'server.json');
  }

  runDir(runId: string): string {
    return path.join(this.runsDir, runId);
  }

  notify(change: WorkspaceChange): void {
    this.changes.emit('change', change);
  }

  /** Changes whenever another connection commits; cheap enough to poll every few ms. */
  dataVersion(): number {
    return this.conn.raw.pragma('data_version', { simple: true }) as number;
  }

  /** The per-workspace API token, created with mode 0600 on first use. */
  async token(): Promise<string> {
    try {
      return (await readFile(this.tokenFile, 'utf8')).trim();
    } catch {
      const token = newToken();
      try {
        await writeFile(this.tokenFile, token + '\n', { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(this.tokenFile, 'utf8')).trim();
        throw fromSystemError(err, 'writing the workspace token');
      }
      await chmod(this.tokenFile, 0o600);
      return token;
    }
  }

  async workspaceId(): Promise<string> {
    const row = await this.db.selectFrom('meta').select('value').where('key', '=', 'workspace_id').executeTakeFirst();
    return row?.value ?? '';
  }

  private async ensureMeta(): Promise<void> {
    await this.db
      .insertInto('meta')
      .values({ key: 'workspace_id', value: newId() })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
  }

  async close(): Promise<void> {
    await this.conn.close();
  }
}
