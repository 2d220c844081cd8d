import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { UnexpectedError } from '../errors.js';

/** What hashing one file found. `size`/`mtimeNs` are read from the open file after hashing. */
export interface HashOk {
  ok: true;
  sha256: string;
  /** Bytes actually read. */
  size: number;
  /** fstat after the last read, so a caller can tell whether the file changed under it. */
  mtimeNs: string;
  dev: string;
  ino: string;
}
export interface HashFailed {
  ok: false;
  code: string | undefined;
  message: string;
}
export type HashResult = HashOk | HashFailed;

/**
 * The worker is plain CommonJS with node builtins only, started with `eval: true`: it then runs
 * the same from TypeScript sources under vitest and from the compiled `dist`, with no file to
 * locate or copy. Reads are 1 MiB at a time into one reused buffer (bounded memory); the
 * worker's own thread blocks on them, never the caller's.
 */
const WORKER_SOURCE = String.raw`
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const CHUNK = 1 << 20;
const REPORT = 16 * CHUNK;
const buf = Buffer.allocUnsafe(CHUNK);
parentPort.on('message', (msg) => {
  const results = [];
  let sinceReport = 0;
  for (const file of msg.files) {
    let fd;
    try {
      // O_NONBLOCK: a fifo swapped in for a regular file must not hang the worker.
      fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK || 0));
      const before = fs.fstatSync(fd);
      if (!before.isFile()) throw Object.assign(new Error(file + ' is not a regular file'), { code: 'ENOTFILE' });
      const h = crypto.createHash('sha256');
      let size = 0;
      let n;
      while ((n = fs.readSync(fd, buf, 0, CHUNK, null)) > 0) {
        h.update(n === CHUNK ? buf : buf.subarray(0, n));
        size += n;
        sinceReport += n;
        if (sinceReport >= REPORT) {
          parentPort.postMessage({ id: msg.id, progress: sinceReport });
          sinceReport = 0;
        }
      }
      const st = fs.fstatSync(fd, { bigint: true });
      results.push({ ok: true, sha256: h.digest('hex'), size, mtimeNs: st.mtimeNs.toString(), dev: st.dev.toString(), ino: st.ino.toString() });
    } catch (e) {
      results.push({ ok: false, code: e && e.code, message: String((e && e.message) || e) });
    } finally {
      if (fd !== undefined) {
        try { fs.closeSync(fd); } catch {}
      }
    }
  }
  parentPort.postMessage({ id: msg.id, progress: sinceReport, results });
});
`;

interface Task {
  id: number;
  files: string[];
  resolve: (r: HashResult[]) => void;
  reject: (err: unknown) => void;
  onBytes: ((n: number) => void) | undefined;
}

interface Slot {
  worker: Worker;
  task: Task | null;
}

export function defaultPoolSize(): number {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, n));
}

/**
 * A small pool of hashing threads. Hand it batches of paths; each batch goes to one worker,
 * batches run in parallel across workers. Close it when done (idle workers are unref'd, so a
 * forgotten pool never keeps the process alive).
 */
export class HashPool {
  readonly size: number;
  /** Files hashed (successfully or not) since the pool was made. */
  filesHashed = 0;
  bytesHashed = 0;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  private failure: unknown = null;

  constructor(size = defaultPoolSize()) {
    this.size = Math.max(1, Math.floor(size));
  }

  /** Hash these files in one worker; results are in the same order as `files`. */
  hashBatch(files: string[], onBytes?: (n: number) => void): Promise<HashResult[]> {
    if (this.closed) return Promise.reject(new UnexpectedError('hash pool is closed'));
    if (this.failure) return Promise.reject(this.failure);
    if (files.length === 0) return Promise.resolve([]);
    return new Promise<HashResult[]>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, files, resolve, reject, onBytes });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.task === null);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      const task = this.queue.shift()!;
      slot.task = task;
      // Busy workers keep the process alive (a caller awaits them); idle ones do not.
      slot.worker.ref();
      slot.worker.postMessage({ id: task.id, files: task.files });
    }
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    const slot: Slot = { worker, task: null };
    worker.on('message', (msg: { id: number; progress?: number; results?: HashResult[] }) => {
      const task = slot.task;
      if (!task || task.id !== msg.id) return;
      if (msg.progress) {
        this.bytesHashed += msg.progress;
        task.onBytes?.(msg.progress);
      }
      if (msg.results) {
        slot.task = null;
        slot.worker.unref();
        this.filesHashed += msg.results.length;
        task.resolve(msg.results);
        this.pump();
      }
    });
    const fail = (err: unknown) => {
      const wrapped = new UnexpectedError(`a hashing thread failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      this.failure = wrapped;
      const idx = this.slots.indexOf(slot);
      if (idx >= 0) this.slots.splice(idx, 1);
      slot.task?.reject(wrapped);
      slot.task = null;
      for (const t of this.queue.splice(0)) t.reject(wrapped);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`exited with code ${code}`));
    });
    this.slots.push(slot);
    return slot;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new UnexpectedError('hash pool closed before the batch finished');
    for (const t of this.queue.splice(0)) t.reject(err);
    await Promise.all(
      this.slots.splice(0).map(async (s) => {
        s.task?.reject(err);
        await s.worker.terminate();
      }),
    );
  }
}
