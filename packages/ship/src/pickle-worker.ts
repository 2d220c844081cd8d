import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { RequestError, type HostedModelEntry, type ModelBackend } from '../bundle/predictor.mjs';
import { bundleSourceDir } from './bundle-sources.js';

/** Debian's interpreter has scikit-learn; a `python3` earlier on PATH may not. */
export function defaultPython(): string {
  if (process.env.WB_PYTHON) return process.env.WB_PYTHON;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

type Pending = { resolve: (v: { predictions: unknown[]; probabilities?: unknown[] }) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/**
 * A pickled scikit-learn model behind a supervised Python process (bundle/pickle_worker.py):
 * JSON lines over stdin/stdout, one request at a time. A worker that dies is restarted with
 * backoff (its in-flight request fails with 503); one that hangs past the request timeout is
 * killed and restarted; after `maxStarts` failed starts in a row the model is reported broken.
 */
export class PickleWorker implements ModelBackend {
  private child: ChildProcess | null = null;
  private readyInfo: Record<string, unknown> | null = null;
  private lastError: string | null = null;
  private failedStarts = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private starting: Promise<void> | null = null;

  constructor(
    private readonly file: string,
    private readonly opts: { python?: string; timeoutMs?: number; maxStarts?: number } = {},
  ) {}

  static async start(entry: HostedModelEntry, opts: { python?: string; timeoutMs?: number } = {}): Promise<PickleWorker> {
    const w = new PickleWorker(entry.file, opts);
    await w.ensure();
    return w;
  }

  status(): { ready: boolean; error: string | null } {
    return { ready: this.readyInfo !== null, error: this.readyInfo ? null : this.lastError };
  }

  /** Start the process if none runs; resolves when it said ready, rejects with its load error. */
  private ensure(): Promise<void> {
    if (this.child && this.readyInfo) return Promise.resolve();
    this.starting ??= this.spawnOnce().finally(() => (this.starting = null));
    return this.starting;
  }

  private spawnOnce(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the model server is stopping'));
    const script = path.join(bundleSourceDir, 'pickle_worker.py');
    const child = spawn(this.opts.python ?? defaultPython(), [script, this.file], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.readyInfo = null;
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    child.stdin!.on('error', () => undefined); // EPIPE when it died: reported by 'exit'
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        let msg: { ready?: boolean; error?: string; id?: number; predictions?: unknown[]; probabilities?: unknown[] };
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          return; // a stray print from the pickle's code: not a protocol line
        }
        if (!settled) {
          settled = true;
          if (msg.ready) {
            this.readyInfo = msg as Record<string, unknown>;
            this.failedStarts = 0;
            this.lastError = null;
            resolve();
          } else {
            this.lastError = `the pickle could not be loaded: ${msg.error ?? 'unknown error'}`;
            reject(new Error(this.lastError));
          }
          return;
        }
        const p = msg.id === undefined ? undefined : this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id!);
        clearTimeout(p.timer);
        if (msg.error) p.reject(new RequestError(422, 'INVALID_INPUT', `the model could not predict on this input: ${msg.error}`));
        else p.resolve({ predictions: msg.predictions ?? [], ...(msg.probabilities ? { probabilities: msg.probabilities } : {}) });
      });
      child.on('error', (err) => {
        this.lastError = `could not start ${this.opts.python ?? defaultPython()}: ${err.message}`;
        if (!settled) {
          settled = true;
          reject(new Error(this.lastError));
        }
      });
      child.on('exit', (code, signal) => {
        if (this.child === child) {
          this.child = null;
          this.readyInfo = null;
        }
        const why = `the Python worker exited (${signal ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
        if (!settled) {
          settled = true;
          this.lastError ??= why;
          reject(new Error(this.lastError));
        } else if (!this.closed) this.lastError = why;
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(Object.assign(new RequestError(503, 'UNAVAILABLE', `${why}; it is being restarted`, 'retry the request'), { crashed: true }));
          this.pending.delete(id);
        }
      });
    });
  }

  /** Restart after a crash, with backoff; gives up after maxStarts failures in a row. */
  private async restart(): Promise<void> {
    const max = this.opts.maxStarts ?? 5;
    while (!this.closed) {
      try {
        await this.ensure();
        return;
      } catch (err) {
        this.failedStarts++;
        if (this.failedStarts >= max) throw new RequestError(503, 'UNAVAILABLE', `model worker failed ${this.failedStarts} times: ${(err as Error).message}`, 'see GET /health');
        await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** this.failedStarts, 5000)));
      }
    }
  }

  predict(table: { columns: string[]; rows: unknown[][] }): Promise<{ predictions: unknown[]; probabilities?: unknown[] }> {
    // One request at a time: the worker answers in order and a slow one must not be overtaken.
    // A prediction has no side effect, so one that a dying worker took down is sent once more.
    const run = this.queue.then(async () => {
      try {
        return await this.attempt(table);
      } catch (err) {
        if (err instanceof RequestError && (err as RequestError & { crashed?: boolean }).crashed) return this.attempt(table);
        throw err;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async attempt(table: { columns: string[]; rows: unknown[][] }): Promise<{ predictions: unknown[]; probabilities?: unknown[] }> {
    await this.restart();
    const id = this.nextId++;
    const child = this.child!;
    return new Promise((resolve, reject) => {
      const timeoutMs = this.opts.timeoutMs ?? 30_000;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        child.kill('SIGKILL');
        reject(new RequestError(503, 'UNAVAILABLE', `the model took longer than ${timeoutMs} ms; its worker is restarted`, 'send fewer rows per request'));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      child.stdin!.write(JSON.stringify({ id, columns: table.columns, rows: table.rows }) + '\n');
    });
  }

  /** The worker's process id (tests kill it to check the restart). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.child;
    if (c && c.exitCode === null) {
      c.stdin!.end();
      await new Promise<void>((r) => {
        const t = setTimeout(() => (c.kill('SIGKILL'), r()), 2000);
        c.once('exit', () => (clearTimeout(t), r()));
      });
    }
  }
}
