import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';

/**
 * A few fixed buffers shared by a file reader and a file writer: a chunk's buffer goes back to
 * the pool only once the writer has written it. Memory stays flat however large the file
 * (a stream that allocates a buffer per chunk leaves garbage behind faster than the
 * collector reclaims it: tens of MB on a 1 GB file).
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  private readonly owned = new Set<ArrayBufferLike>();
  private waiter: (() => void) | null = null;
  constructor(count = 4, size = 1 << 20) {
    for (let i = 0; i < count; i++) {
      const b = Buffer.allocUnsafeSlow(size); // its own ArrayBuffer: how a returning chunk is recognised
      this.free.push(b);
      this.owned.add(b.buffer);
    }
  }
  async take(): Promise<Buffer> {
    while (this.free.length === 0) await new Promise<void>((r) => (this.waiter = r));
    return this.free.pop()!;
  }
  /** Called by the writer for every chunk it has written; chunks not from the pool are ignored. */
  release(chunk: Buffer): void {
    if (!this.owned.has(chunk.buffer)) return;
    this.free.push(Buffer.from(chunk.buffer, 0, chunk.buffer.byteLength));
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}

/** Reads a file through the pool, hashing what it reads. */
export function pooledFileReader(file: string, pool: BufferPool, onRead?: (bytes: number) => void): Readable & { sha256: () => string; bytes: () => number } {
  const hash = createHash('sha256');
  let fh: FileHandle | null = null;
  let bytes = 0;
  const r = new Readable({
    highWaterMark: 0,
    async read() {
      try {
        fh ??= await open(file, 'r');
        const buf = await pool.take();
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) {
          pool.release(buf);
          await fh.close();
          fh = null;
          this.push(null);
          return;
        }
        const chunk = bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
        hash.update(chunk);
        bytes += bytesRead;
        onRead?.(bytes);
        this.push(chunk);
      } catch (err) {
        this.destroy(err as Error);
      }
    },
    async destroy(err, cb) {
      await fh?.close().catch(() => undefined);
      cb(err);
    },
  }) as Readable & { sha256: () => string; bytes: () => number };
  r.sha256 = () => hash.digest('hex');
  r.bytes = () => bytes;
  return r;
}

/** Writes to a file and hands every written chunk back to the pool. */
export function pooledFileWriter(file: string, pool: BufferPool): Writable {
  let fh: FileHandle | null = null;
  return new Writable({
    highWaterMark: 1 << 20,
    async write(chunk: Buffer, _enc, cb) {
      try {
        fh ??= await open(file, 'w');
        let off = 0;
        while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
        pool.release(chunk);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    async final(cb) {
      try {
        fh ??= await open(file, 'w');
        await fh.sync();
        await fh.close();
        fh = null;
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    async destroy(err, cb) {
      await fh?.close().catch(() => undefined);
      cb(err);
    },
  });
}
