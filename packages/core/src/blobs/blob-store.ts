import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { execFile } from 'node:child_process';
import { chmod, link, mkdir, open, readdir, rename, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { fromSystemError, invalid, UserError } from '../errors.js';
import { isAlive } from '../process-info.js';

const HEX64 = /^[0-9a-f]{64}$/;
const CHUNK = 1 << 20;

export interface ImportResult {
  sha256: string;
  size: number;
  /** false when identical content was already stored: nothing new was written. */
  created: boolean;
}

export interface ImportOptions {
  /** Refuse the content unless it hashes to this. */
  expectedSha256?: string;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /**
   * Flush this blob to disk before it gets its final name (default). Batch importers of many
   * small files pass false and call `sync()` once before they commit rows that refer to them.
   */
  durable?: boolean;
  /**
   * Replace a stored blob of the same name (with `expectedSha256`, so only content that hashes
   * right ever replaces it): the repair of a copy damaged or emptied outside Workbench.
   */
  replace?: boolean;
}

/**
 * Content-addressed files under `blobs/sha256/ab/cd/<hex>`. Content is streamed into a
 * temporary file while it is hashed (one read of the source, bounded memory), flushed to disk,
 * then moved under its final name; a crash or a full disk leaves only a temporary file, never
 * a partial blob under a final name.
 */
export class BlobStore {
  readonly root: string;
  private readonly tmpDir: string;

  constructor(root: string) {
    this.root = root;
    this.tmpDir = path.join(root, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(path.join(this.root, 'sha256'), { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
  }

  pathFor(sha256: string): string {
    if (!HEX64.test(sha256)) throw invalid(`not a SHA-256 digest: ${sha256.slice(0, 80)}`);
    return path.join(this.root, 'sha256', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await stat(this.pathFor(sha256));
      return true;
    } catch {
      return false;
    }
  }

  async importFile(src: string, opts: ImportOptions = {}): Promise<ImportResult> {
    let st;
    try {
      st = await stat(src);
    } catch (err) {
      throw fromSystemError(err, `reading ${src}`);
    }
    if (!st.isFile()) throw invalid(`${src} is not a regular file`);
    const total = st.size;
    const tmp = path.join(this.tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const out = await open(tmp, 'wx', 0o600).catch((err: unknown) => {
      throw fromSystemError(err, 'creating a temporary blob');
    });
    let input: FileHandle | null = null;
    let pending: Promise<{ bytesRead: number }> | null = null;
    try {
      // Two fixed buffers, reused: one is hashed and written while the next read fills the
      // other. No per-chunk allocation, so memory stays flat whatever the file size.
      input = await open(src, 'r');
      const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
      let which = 0;
      pending = input.read(bufs[0]!, 0, CHUNK, null);
      let lastReport = 0;
      for (;;) {
        const { bytesRead } = await pending;
        if (bytesRead === 0) break;
        const buf = bufs[which]!;
        which ^= 1;
        pending = input.read(bufs[which]!, 0, CHUNK, null);
        const chunk = buf.subarray(0, bytesRead);
        hash.update(chunk);
        let off = 0;
        while (off < chunk.length) {
          const { bytesWritten } = await out.write(chunk, off, chunk.length - off);
          off += bytesWritten;
        }
        size += bytesRead;
        if (opts.onProgress && (size - lastReport >= 16 * CHUNK || size === total)) {
          lastReport = size;
          opts.onProgress(size, total);
        }
      }
      await input.close();
      input = null;
      if (opts.durable !== false) await out.sync();
      await out.close();
    } catch (err) {
      // A read may still be in flight when a write failed: let it settle before closing.
      await pending?.catch(() => {});
      await input?.close().catch(() => {});
      await out.close().catch(() => {});
      await unlink(tmp).catch(() => {});
      throw fromSystemError(err, `importing ${src}`);
    }
    const sha256 = hash.digest('hex');
    if (opts.expectedSha256 !== undefined && opts.expectedSha256 !== sha256) {
      await unlink(tmp).catch(() => {});
      throw new UserError('INVALID_INPUT', `${src} hashes to ${sha256}, not the expected ${opts.expectedSha256}`, {
        hint: 'the file changed after it was announced; log it again once it is complete',
      });
    }
    if (opts.replace && opts.expectedSha256 === undefined) {
      await unlink(tmp).catch(() => {});
      throw invalid('replacing a stored blob needs the SHA-256 it must have');
    }
    return this.commit(tmp, sha256, size, opts.replace ?? false);
  }

  /** Move a fully written, fsynced temporary file under its content address. */
  private async commit(tmp: string, sha256: string, size: number, replace = false): Promise<ImportResult> {
    const final = this.pathFor(sha256);
    try {
      await mkdir(path.dirname(final), { recursive: true });
      await chmod(tmp, 0o444);
      if (replace) {
        // rename() swaps the name atomically: a reader sees the damaged copy or the good one.
        await rename(tmp, final);
        return { sha256, size, created: true };
      }
      // link() fails when the name exists, so two writers of the same content never clobber
      // each other and an existing blob is never replaced.
      await link(tmp, final);
      return { sha256, size, created: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        // Reused content counts as fresh for gc's grace period, so a collection running at this
        // moment cannot delete a blob a new reference is about to point at.
        const t = new Date();
        await utimes(final, t, t).catch(() => {});
        return { sha256, size, created: false };
      }
      if ((err as NodeJS.ErrnoException).code === 'EPERM' || (err as NodeJS.ErrnoException).code === 'ENOTSUP') {
        // Filesystems without hard links: rename is still atomic.
        await rename(tmp, final);
        return { sha256, size, created: true };
      }
      throw fromSystemError(err, 'storing a blob');
    } finally {
      await unlink(tmp).catch(() => {});
    }
  }

  /**
   * Flush everything written to the store's filesystem (syncfs through `sync -f`), one call
   * for a whole batch of non-durable imports; falls back to a global sync.
   */
  async sync(): Promise<void> {
    const run = promisify(execFile);
    try {
      await run('sync', ['-f', this.root]);
    } catch {
      await run('sync', []).catch(() => {});
    }
  }

  /** Re-hash a stored blob; false when it is missing or its content no longer matches. */
  async verify(sha256: string): Promise<boolean> {
    const hash = createHash('sha256');
    try {
      for await (const chunk of createReadStream(this.pathFor(sha256), { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) hash.update(chunk);
    } catch {
      return false;
    }
    return hash.digest('hex') === sha256;
  }

  async delete(sha256: string): Promise<boolean> {
    try {
      await unlink(this.pathFor(sha256));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw fromSystemError(err, 'deleting a blob');
    }
  }

  /**
   * Remove temporary files left by interrupted imports: those whose writing process (its pid
   * is in the name) is gone, and any older than `olderThanMs`. Returns what was freed.
   */
  async cleanTmp(olderThanMs = 24 * 60 * 60_000): Promise<{ files: number; bytes: number }> {
    let files = 0;
    let bytes = 0;
    const names = await readdir(this.tmpDir).catch(() => [] as string[]);
    for (const name of names) {
      const p = path.join(this.tmpDir, name);
      const st = await stat(p).catch(() => null);
      if (!st) continue;
      const pid = Number(/(?:^|-)(\d+)-[0-9a-f]{16}$/.exec(name)?.[1] ?? NaN);
      const writerGone = Number.isInteger(pid) && pid !== process.pid && !isAlive(pid);
      if (writerGone || Date.now() - st.mtimeMs > olderThanMs) {
        await unlink(p).catch(() => {});
        files++;
        bytes += st.size;
      }
    }
    return { files, bytes };
  }

}
