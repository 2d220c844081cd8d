/**
 * Splits a byte stream into lines without ever holding more than `maxLine` bytes of an
 * unfinished line: a longer line is cut, its head passed on with `truncated`, the rest of it
 * skipped up to the next newline. A child that prints 10 MB without a newline cannot make
 * the supervisor's memory grow.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private pending = 0;
  private skipping = false;
  private overflowBytes = 0;

  constructor(
    private readonly onLine: (line: string, info: { truncated: boolean; bytes: number }) => void,
    private readonly maxLine = 1 << 20,
    private readonly keepOnOverflow = 64 * 1024,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      if (this.skipping) {
        this.overflowBytes += end - start;
      } else {
        const piece = chunk.subarray(start, end);
        if (this.pending + piece.length > this.maxLine) {
          const room = Math.max(0, this.keepOnOverflow - this.pending);
          if (room > 0) this.parts.push(Buffer.from(piece.subarray(0, room)));
          this.overflowBytes = this.pending + piece.length;
          this.pending = Math.min(this.pending, this.keepOnOverflow) + Math.min(room, piece.length);
          this.skipping = true;
        } else if (piece.length > 0) {
          // Copy: the chunk's memory may be reused by the stream.
          this.parts.push(nl === -1 ? Buffer.from(piece) : piece);
          this.pending += piece.length;
        }
      }
      if (nl === -1) break;
      this.emit();
      start = nl + 1;
    }
  }

  /** Pass on a final line that had no newline. */
  end(): void {
    if (this.pending > 0 || this.skipping) this.emit();
  }

  private emit(): void {
    const text = this.parts.length === 1 ? this.parts[0]!.toString('utf8') : Buffer.concat(this.parts).toString('utf8');
    const truncated = this.skipping;
    const bytes = truncated ? this.overflowBytes : this.pending;
    this.parts = [];
    this.pending = 0;
    this.skipping = false;
    this.overflowBytes = 0;
    this.onLine(text, { truncated, bytes });
  }
}
