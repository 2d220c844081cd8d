import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Workspace } from '@workbench/core';
import type { FastifyBaseLogger } from 'fastify';

/**
 * Moves SQLite's WAL checkpoints off the event loop.
 *
 * By default the connection that commits past 1000 WAL pages runs the checkpoint itself,
 * synchronously, fsync included: on the server's connection (which also stores the output of
 * the runs it supervises) that stalls live delivery for up to hundreds of milliseconds on an
 * ordinary disk. The server turns automatic checkpoints off for its connection and a worker
 * thread with its own connection runs PASSIVE checkpoints (never blocking readers or writers)
 * every `intervalMs`.
 */
export class BackgroundCheckpointer {
  private worker: Worker | null = null;
  private stopped: Promise<void> | null = null;

  constructor(
    private readonly ws: Workspace,
    private readonly log: FastifyBaseLogger,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    if (this.worker) return;
    let sqlitePath: string;
    try {
      // better-sqlite3 as the workspace's own package resolves it.
      sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
    } catch (err) {
      this.log.warn({ err }, 'background checkpoints unavailable; SQLite checkpoints on commit');
      return;
    }
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { sqlitePath, file: path.join(this.ws.dir, 'workbench.db'), intervalMs: this.intervalMs },
    });
    worker.unref();
    worker.on('error', (err) => {
      this.log.warn({ err }, 'background checkpointer failed; back to checkpoints on commit');
      this.restoreAutoCheckpoint();
      this.worker = null;
    });
    worker.on('message', (m: { type: string; message?: string }) => {
      if (m.type === 'error') this.log.warn({ message: m.message }, 'background checkpoint failed');
    });
    this.worker = worker;
    this.ws.conn.raw.pragma('wal_autocheckpoint = 0');
  }

  private restoreAutoCheckpoint(): void {
    try {
      this.ws.conn.raw.pragma('wal_autocheckpoint = 1000');
    } catch {
      /* closed */
    }
  }

  /** Stop the worker (after a last checkpoint) and give checkpoints back to the connection. */
  stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return Promise.resolve();
    this.stopped ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => void worker.terminate().finally(resolve), 5000);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage('stop');
    }).then(() => {
      this.worker = null;
      this.restoreAutoCheckpoint();
    });
    return this.stopped;
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlitePath);
const db = new Database(workerData.file, { timeout: 0 });
db.pragma('busy_timeout = 0');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    if (!/busy|locked/i.test(String(err && err.message))) parentPort.postMessage({ type: 'error', message: String(err && err.message) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  process.exit(0);
});
`;
