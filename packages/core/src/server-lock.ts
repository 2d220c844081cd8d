import { open, readFile, unlink } from 'node:fs/promises';
import { OperationalError, fromSystemError } from './errors.js';
import { isAlive, selfIdentity } from './process-info.js';
import type { Workspace } from './workspace.js';

export interface ServerInfo {
  pid: number;
  start: string | null;
  host: string;
  url: string;
  port: number;
  startedAt: string;
}

/** The server that currently serves this workspace, if its process is alive. */
export async function readServerInfo(ws: Workspace): Promise<ServerInfo | null> {
  let info: ServerInfo;
  try {
    info = JSON.parse(await readFile(ws.serverFile, 'utf8')) as ServerInfo;
  } catch {
    return null;
  }
  if (typeof info?.pid !== 'number' || !isAlive(info.pid, info.start)) return null;
  return info;
}

export function serverLockedError(ws: Workspace, other: ServerInfo): OperationalError {
  return new OperationalError('WORKSPACE_LOCKED', `a Workbench server is already running for ${ws.dir} at ${other.url} (pid ${other.pid})`, {
    hint: `open it in your browser, or stop it (kill ${other.pid}) before starting another; a second workspace needs its own folder (--workspace DIR)`,
  });
}

/**
 * One server per workspace. The lock file is created exclusively (O_EXCL); a lock left by a
 * dead process (killed server) is taken over.
 */
export async function acquireServerLock(ws: Workspace, url: string, port: number): Promise<{ release: () => Promise<void> }> {
  const self = selfIdentity();
  const info: ServerInfo = { pid: self.pid, start: self.start, host: self.host, url, port, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(ws.serverFile, 'wx', 0o600);
      await fh.writeFile(JSON.stringify(info, null, 2) + '\n');
      await fh.close();
      return {
        release: async () => {
          const current = await readFile(ws.serverFile, 'utf8').catch(() => '');
          if (current.includes(`"pid": ${self.pid},`)) await unlink(ws.serverFile).catch(() => {});
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fromSystemError(err, 'writing the server lock');
      const other = await readServerInfo(ws);
      if (other) throw serverLockedError(ws, other);
      await unlink(ws.serverFile).catch(() => {});
    }
  }
  throw new OperationalError('WORKSPACE_LOCKED', `could not take the server lock ${ws.serverFile}`, { hint: 'remove the file if no server is running' });
}
