import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Workspace, type OpenOptions } from '../workspace.js';

/** A real workspace in a fresh temporary folder, removed by `dispose`. For tests. */
export async function tempWorkspace(opts: OpenOptions = {}): Promise<{ ws: Workspace; dir: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wb-test-'));
  const ws = await Workspace.open(dir, opts);
  return {
    ws,
    dir,
    dispose: async () => {
      await ws.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function tempDir(prefix = 'wb-test-'): Promise<{ dir: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

const HOUR_AGO = new Date(Date.now() - 3600_000);

/**
 * Write files under `root` from a map of relative (posix) paths to contents. `old` back-dates
 * them an hour, past the hash cache's window for files that may still be changing.
 */
export async function writeTree(root: string, files: Record<string, string | Buffer>, opts: { old?: boolean } = {}): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, ...rel.split('/'));
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, content);
    if (opts.old) await utimes(p, HOUR_AGO, HOUR_AGO);
  }
}
