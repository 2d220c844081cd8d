import { mkdtemp, rm } from 'node:fs/promises';
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
