import type { Command } from 'commander';
import type { Workspace } from '@workbench/core';

export interface GlobalOptions {
  workspace?: string;
  /** Who acts (`--as`); see cliActor in core for the fallbacks. */
  as?: string;
}

/** Open the workspace named by --workspace / $WB_HOME / ~/.workbench, tidying orphaned runs. */
export async function openWorkspace(cmd: Command, opts: { recover?: boolean } = {}): Promise<Workspace> {
  const { Workspace, Runs, cliActor, resolveWorkspaceDir } = await import('@workbench/core');
  const global = cmd.optsWithGlobals<GlobalOptions>();
  const ws = await Workspace.open(resolveWorkspaceDir(global.workspace), { actor: cliActor(global.as) });
  if (opts.recover !== false) await new Runs(ws).recoverOrphans();
  return ws;
}

/** Run a command body with an open workspace, closing it whatever happens. */
export async function withWorkspace<T>(cmd: Command, body: (ws: Workspace) => Promise<T>): Promise<T> {
  const ws = await openWorkspace(cmd);
  try {
    return await body(ws);
  } finally {
    await ws.close();
  }
}
