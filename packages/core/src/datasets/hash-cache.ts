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
    for (const [dev, inos] of byDev) {
      for (let i = 0; i < inos.length; i += CHUNK) {
        const rows = await this.db
          .selectFrom('hash_cache')
          .select(['dev', 'ino', 'size', 'mtime_ns', 'sha256'])
          .where('dev', '=', dev)
          .where('ino', 'in', inos.slice(i, i + CHUNK))
          .execute();
        for (const r of rows) {
          out.set(fileKey(r), { dev: r.dev, ino: r.ino, size: Number(r.size), mtimeNs: r.mtime_ns, sha256: r.sha256 });
        }
      }
    }
    return out;
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
