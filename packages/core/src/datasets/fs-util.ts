import type { Dirent } from 'node:fs';
import { chmod, readdir, rm, utimes } from 'node:fs/promises';
import path from 'node:path';

/**
 * Remove a folder tree even where its folders were made read-only (materialized datasets
 * are 0555): write permission is given back on the way down, then the tree is removed.
 * A missing tree is not an error.
 */
export async function removeTree(dir: string): Promise<void> {
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    try {
      await chmod(d, 0o755);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    let entries: Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const e of entries) if (e.isDirectory()) stack.push(path.join(d, e.name));
  }
  await rm(dir, { recursive: true, force: true });
}

/**
 * Mark a file as just used (mtime now). The garbage collector keeps any blob touched in the
 * last few minutes, which is how an import protects blobs it found already stored until its
 * own rows reference them. false when the file does not exist.
 */
export async function touch(file: string): Promise<boolean> {
  const t = new Date();
  try {
    await utimes(file, t, t);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Run `fn` over `items` with at most `limit` in flight. The first failure stops new work; the
 * call settles only once the work in flight has, then rejects with that first failure.
 */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | null = null;
  const worker = async () => {
    while (failure === null && next < items.length) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== null) throw (failure as { err: unknown }).err;
}

/** Let the event loop turn (between slices of synchronous file-system calls). */
export const yieldToLoop = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
