import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a byte stream into lines without ever holding much more than `maxLine` characters
 * of an unfinished line: a longer line is cut, its head (`keepOnOverflow` characters) passed
 * on with `truncated`, the rest skipped up to the next newline. A child that prints 10 MB
 * without a newline cannot make the supervisor's memory grow. Each chunk is decoded once
 * (UTF-8 sequences split across chunks are handled by the decoder) and split as a string.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private skipping = false;
  private overflowChars = 0;

  constructor(
    private readonly onLine: (line: string, info: { truncated: boolean; bytes: number }) => void,
    private readonly maxLine = 1 << 20,
    private readonly keepOnOverflow = 64 * 1024,
  ) {}

  push(chunk: Buffer): void {
    this.feed(this.decoder.write(chunk));
  }

  private feed(text: string): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      if (this.skipping) {
        this.overflowChars += nl - start;
        this.emit('');
      } else if (this.pending.length === 0) {
        const len = nl - start;
        if (len > this.maxLine) {
          this.pending = text.slice(start, start + this.keepOnOverflow);
          this.skipping = true;
          this.overflowChars = len;
          this.emit('');
        } else {
          this.onLine(text.slice(start, nl), { truncated: false, bytes: len });
        }
      } else {
        this.append(text.slice(start, nl));
        this.emit('');
      }
      start = nl + 1;
    }
    if (start < text.length) {
      if (this.skipping) this.overflowChars += text.length - start;
      else this.append(text.slice(start));
    }
  }

  private append(piece: string): void {
    if (this.pending.length + piece.length > this.maxLine) {
      const room = Math.max(0, this.keepOnOverflow - this.pending.length);
      this.overflowChars = this.pending.length + piece.length;
      this.pending = this.pending.slice(0, this.keepOnOverflow) + piece.slice(0, room);
      this.skipping = true;
    } else {
      this.pending += piece;
    }
  }

  /** Pass on a final line that had no newline. */
  end(): void {
    const rest = this.decoder.end();
    if (rest) this.feed(rest);
    if (this.pending.length > 0 || this.skipping) this.emit('');
  }

  private emit(tail: string): void {
    const text = this.pending + tail;
    const truncated = this.skipping;
    const bytes = truncated ? this.overflowChars : text.length;
    this.pending = '';
    this.skipping = false;
    this.overflowChars = 0;
    this.onLine(text, { truncated, bytes });
  }
}
