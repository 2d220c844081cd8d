import { OperationalError, Runs, Workspace, acquireServerLock, invalid, readServerInfo, readSettings, serverLockedError } from '@workbench/core';
import { buildApp, type BuildAppOptions } from './app.js';
import type { App } from './context.js';

export interface StartServerOptions extends Pick<BuildAppOptions, 'webDir' | 'logLevel' | 'quiet' | 'logStream' | 'maxConcurrentRuns' | 'cancelGraceMs'> {
  workspaceDir: string;
  /** Default WB_PORT (7878); 0 picks a free port. */
  port?: number;
  /** Loopback only: there is no other choice. */
  host?: '127.0.0.1';
  /**
   * Close on SIGINT/SIGTERM (default true); when nothing else in the process listens for the
   * signal, it is raised again after closing so that the process ends as it would have.
   */
  handleSignals?: boolean;
}

export interface RunningServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The URL to open in a browser: it carries the token once (the page then keeps it out of the address bar). */
  tokenUrl: string;
  port: number;
  token: string;
  workspace: Workspace;
  app: App;
  /** Stop: refuse new work, cancel runs this server supervises, release the lock, close the workspace. Idempotent. */
  close(): Promise<void>;
}

/**
 * Open the workspace, listen on 127.0.0.1, take the workspace's server lock (one server per
 * workspace), recover runs whose supervisor died, and serve.
 */
export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw invalid(`the server listens on 127.0.0.1 only, not ${String(host)}`, 'Workbench is local: reach it from another machine through an SSH tunnel');
  const settings = readSettings();
  const port = opts.port ?? settings.WB_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalid(`invalid port ${port}`, 'give a port between 1 and 65535, or 0 for any free port');

  const ws = await Workspace.open(opts.workspaceDir, { actor: 'server' });
  let app: App | null = null;
  let release: (() => Promise<void>) | null = null;
  try {
    // Say early when another server has the workspace (rather than a confusing port clash).
    const other = await readServerInfo(ws);
    if (other) throw serverLockedError(ws, other);
    const token = await ws.token();
    app = await buildApp(ws, {
      token,
      ...(opts.webDir !== undefined ? { webDir: opts.webDir } : {}),
      ...(opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {}),
      ...(opts.quiet !== undefined ? { quiet: opts.quiet } : {}),
      ...(opts.logStream !== undefined ? { logStream: opts.logStream } : {}),
      ...(opts.maxConcurrentRuns !== undefined ? { maxConcurrentRuns: opts.maxConcurrentRuns } : {}),
      ...(opts.cancelGraceMs !== undefined ? { cancelGraceMs: opts.cancelGraceMs } : {}),
    });
    try {
      await app.listen({ host, port });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') {
        throw new OperationalError('UNAVAILABLE', `port ${port} on ${host} is already in use`, { hint: 'choose another with --port N (or --port 0 for any free port), or stop the program using it', cause: err });
      }
      if (code === 'EACCES') {
        throw new OperationalError('UNAVAILABLE', `not allowed to listen on port ${port}`, { hint: 'choose a port above 1023 with --port N (or --port 0 for any free port)', cause: err });
      }
      throw err;
    }
    const addr = app.server.address();
    const actual = addr && typeof addr === 'object' ? addr.port : port;
    const url = `http://${host}:${actual}`;
    release = (await acquireServerLock(ws, url, actual)).release;
    const lost = await new Runs(ws).recoverOrphans();
    if (lost.length > 0) app.log.warn({ runs: lost }, `${lost.length} run(s) whose supervisor had stopped are marked lost`);

    let closing: Promise<void> | null = null;
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
    const onSignal = (sig: NodeJS.Signals): void => {
      for (const s of signals) process.off(s, onSignal);
      // When the embedding program handles the signal too (the CLI does), it decides how to
      // exit; otherwise the signal is raised again once closed, so the process ends as usual.
      const othersHandleIt = process.listenerCount(sig) > 0;
      void close().finally(() => {
        if (!othersHandleIt && process.listenerCount(sig) === 0) process.kill(process.pid, sig);
      });
    };
    const theApp = app;
    const theRelease = release;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        for (const s of signals) process.off(s, onSignal);
        // Idle keep-alive connections are closed at once; one caught between requests would
        // otherwise hold the close for the keep-alive timeout.
        const force = setTimeout(() => theApp.server.closeAllConnections(), 1000);
        force.unref();
        try {
          await theApp.close();
        } finally {
          clearTimeout(force);
          await theRelease().catch(() => {});
          await ws.close();
        }
      })();
      return closing;
    };
    if (opts.handleSignals ?? true) for (const s of signals) process.on(s, onSignal);
    app.log.info({ url, workspace: ws.dir }, 'Workbench server listening');
    return { url, tokenUrl: `${url}/?token=${encodeURIComponent(token)}`, port: actual, token, workspace: ws, app, close };
  } catch (err) {
    if (app) await app.close().catch(() => {});
    if (release) await release().catch(() => {});
    await ws.close().catch(() => {});
    throw err;
  }
}
