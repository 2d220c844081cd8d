import type { LlamaModel, Token } from 'node-llama-cpp';

/**
 * Turns generated tokens into text pieces as they arrive: holds back a token that ends inside
 * a UTF-8 character until the next completes it, and text that could be the start of a stop
 * string until it is clear it is not.
 */
export class TextStream {
  private readonly tokens: Token[] = [];
  private decodedUpTo = 0;
  private text = '';
  private emitted = 0;
  stopped = false;

  constructor(
    private readonly model: LlamaModel,
    private readonly stops: string[],
    private readonly onText: ((t: string) => void) | undefined,
  ) {}

  get output(): string {
    return this.text.slice(0, this.emitted);
  }

  /** Add a generated token; returns true when a stop string was reached. */
  push(token: Token): boolean {
    this.tokens.push(token);
    const pending = this.tokens.slice(this.decodedUpTo);
    const piece = this.model.detokenize(pending, false, this.tokens.slice(Math.max(0, this.decodedUpTo - 8), this.decodedUpTo));
    // An incomplete multi-byte character decodes to U+FFFD: wait for the next token (a few at most).
    if (piece.endsWith('\uFFFD') && pending.length < 4) return false;
    this.decodedUpTo = this.tokens.length;
    this.text += piece;
    return this.release(false);
  }

  /** The end of generation: let out whatever was held back. */
  finish(): void {
    if (this.decodedUpTo < this.tokens.length) {
      this.text += this.model.detokenize(this.tokens.slice(this.decodedUpTo), false, this.tokens.slice(Math.max(0, this.decodedUpTo - 8), this.decodedUpTo));
      this.decodedUpTo = this.tokens.length;
    }
    this.release(true);
  }

  private release(final: boolean): boolean {
    if (this.stopped) return true;
    let cut = this.text.length;
    let hit = false;
    for (const s of this.stops) {
      const at = this.text.indexOf(s, Math.max(0, this.emitted - s.length + 1));
      if (at >= 0 && at < cut) {
        cut = at;
        hit = true;
      }
    }
    if (!hit && !final) {
      // Keep back a tail that may grow into a stop string.
      for (const s of this.stops)
        for (let k = Math.min(s.length - 1, this.text.length); k > 0; k--)
          if (this.text.endsWith(s.slice(0, k))) {
            cut = Math.min(cut, this.text.length - k);
            break;
          }
    }
    if (cut > this.emitted) {
      this.onText?.(this.text.slice(this.emitted, cut));
      this.emitted = cut;
    }
    if (hit) {
      this.text = this.text.slice(0, cut);
      this.stopped = true;
    }
    return hit;
  }
}
