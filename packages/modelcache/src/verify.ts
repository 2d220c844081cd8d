import { HashPool } from '@workbench/core';
import type { Model, ModelFile } from './types.js';

export interface VerifyResult {
  checked: number;
  bytes: number;
  ok: number;
  mismatched: Array<{ model: string; path: string; expected: string; actual: string }>;
  unreadable: Array<{ model: string; path: string; message: string }>;
  /** Files with no digest yet (never hashed); `wb cache scan` hashes them. */
  unknown: number;
}

/** Re-read every file (each inode once) and compare with the digest its name or the hash cache gave. */
export async function verifyModels(models: Model[], opts: { pool?: HashPool; onBytes?: (done: number, total: number) => void } = {}): Promise<VerifyResult> {
  const todo = new Map<string, { f: ModelFile; model: string }>();
  let unknown = 0;
  for (const m of models)
    for (const f of m.files) {
      if (!f.sha256) unknown++;
      else if (!todo.has(f.blobPath)) todo.set(f.blobPath, { f, model: m.id });
    }
  const res: VerifyResult = { checked: 0, bytes: 0, ok: 0, mismatched: [], unreadable: [], unknown };
  const pool = opts.pool ?? new HashPool();
  const total = [...todo.values()].reduce((s, t) => s + t.f.size, 0);
  let done = 0;
  try {
    const items = [...todo.values()];
    const batches: Array<typeof items> = [];
    for (let i = 0; i < items.length; i += 64) batches.push(items.slice(i, i + 64));
    await Promise.all(
      batches.map(async (batch) => {
        const results = await pool.hashBatch(
          batch.map((t) => t.f.blobPath),
          (n) => opts.onBytes?.((done += n), total),
        );
        results.forEach((r, i) => {
          const t = batch[i]!;
          res.checked++;
          if (!r.ok) return void res.unreadable.push({ model: t.model, path: t.f.blobPath, message: r.message });
          res.bytes += r.size;
          if (r.sha256 === t.f.sha256) res.ok++;
          else res.mismatched.push({ model: t.model, path: t.f.blobPath, expected: t.f.sha256!, actual: r.sha256 });
        });
      }),
    );
  } finally {
    if (!opts.pool) await pool.close();
  }
  return res;
}
