import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { now } from '../time.js';

/** Identifies a file's inode; strings because 64-bit values do not fit a JS number. */
export interface FileKey {
  dev: string;
  ino: string;
}

export interface CachedHash extends FileKey {
  size: number;
  mtimeNs: string;
  sha256: string;
}

/**
 * Remembers each file's SHA-256 by (device, inode), trusted while size and mtime are
 * unchanged. Lookups and stores take many keys at once: one query per few hundred files.
 */
export interface HashCache {
  lookup(keys: FileKey[]): Promise<Map<string, CachedHash>>;
  store(entries: CachedHash[]): Promise<void>;
}

export const fileKey = (k: FileKey): string => `${k.dev}:${k.ino}`;

/** SQLite limits bound variables per statement; stay well under. */
const CHUNK = 500;

/**
 * A hit refreshes its row's `checked_at` at most this often, so a warm re-check stays
 * read-only on most days while rows of files still in use never look abandoned.
 */
export const HASH_CACHE_REFRESH_MS = 86_400_000;

/** `wb gc` forgets rows no lookup has hit for this long: their files are gone or unused. */
export const HASH_CACHE_TTL_MS = 90 * 86_400_000;

export class SqliteHashCache implements HashCache {
  constructor(private readonly db: Kysely<Database>) {}

  async lookup(keys: FileKey[]): Promise<Map<string, CachedHash>> {
    const out = new Map<string, CachedHash>();
    // Nearly always one device: group by it and look inodes up through the primary key.
    const byDev = new Map<string, string[]>();
    for (const k of keys) {
      let inos = byDev.get(k.dev);
      if (!inos) byDev.set(k.dev, (inos = []));
      inos.push(k.ino);
    }
    const t = now();
    const stale = new Map<string, string[]>();
    for (const [dev, inos] of byDev) {
      for (let i = 0; i < inos.length; i += CHUNK) {
        const rows = await this.db
          .selectFrom('hash_cache')
          .select(['dev', 'ino', 'size', 'mtime_ns', 'sha256', 'checked_at'])
          .where('dev', '=', dev)
          .where('ino', 'in', inos.slice(i, i + CHUNK))
          .execute();
        for (const r of rows) {
          out.set(fileKey(r), { dev: r.dev, ino: r.ino, size: Number(r.size), mtimeNs: r.mtime_ns, sha256: r.sha256 });
          if (t - Number(r.checked_at) >= HASH_CACHE_REFRESH_MS) {
            let list = stale.get(dev);
            if (!list) stale.set(dev, (list = []));
            list.push(r.ino);
          }
        }
      }
    }
    if (stale.size > 0) await this.touch(stale, t);
    return out;
  }

  /** Marks rows as still in use; the caller's answer does not depend on it, so a busy database only delays it. */
  private async touch(stale: Map<string, string[]>, t: number): Promise<void> {
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const [dev, inos] of stale) {
          for (let i = 0; i < inos.length; i += CHUNK) {
            await trx.updateTable('hash_cache').set({ checked_at: t }).where('dev', '=', dev).where('ino', 'in', inos.slice(i, i + CHUNK)).execute();
          }
        }
      });
    } catch (err) {
      if (!/SQLITE_BUSY|SQLITE_READONLY/.test(String((err as { code?: string }).code ?? err))) throw err;
    }
  }

  /** Forgets rows no lookup has hit since `before` (ms since the epoch); returns how many. */
  async prune(before: number, dryRun = false): Promise<number> {
    if (dryRun) {
      const row = await this.db.selectFrom('hash_cache').select((e) => e.fn.countAll<number>().as('n')).where('checked_at', '<', before).executeTakeFirstOrThrow();
      return Number(row.n);
    }
    const res = await this.db.deleteFrom('hash_cache').where('checked_at', '<', before).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async store(entries: CachedHash[]): Promise<void> {
    if (entries.length === 0) return;
    const t = now();
    // One transaction for all chunks: a single fsync instead of one per chunk.
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < entries.length; i += CHUNK) {
        const part = entries.slice(i, i + CHUNK);
        await trx
          .insertInto('hash_cache')
          .values(part.map((e) => ({ dev: e.dev, ino: e.ino, size: e.size, mtime_ns: e.mtimeNs, sha256: e.sha256, checked_at: t })))
          .onConflict((oc) =>
            oc.columns(['dev', 'ino']).doUpdateSet((eb) => ({
              size: eb.ref('excluded.size'),
              mtime_ns: eb.ref('excluded.mtime_ns'),
              sha256: eb.ref('excluded.sha256'),
              checked_at: eb.ref('excluded.checked_at'),
            })),
          )
          .execute();
      }
    });
  }
}

/** An in-memory cache, for callers without a workspace (and tests). */
export class MemoryHashCache implements HashCache {
  readonly entries = new Map<string, CachedHash>();
  async lookup(keys: FileKey[]): Promise<Map<string, CachedHash>> {
    const out = new Map<string, CachedHash>();
    for (const k of keys) {
      const e = this.entries.get(fileKey(k));
      if (e) out.set(fileKey(k), e);
    }
    return out;
  }
  async store(entries: CachedHash[]): Promise<void> {
    for (const e of entries) this.entries.set(fileKey(e), { ...e });
  }
}
