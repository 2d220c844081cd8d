/** Stable codes for everything that can be wrong with a GGUF file or a request to write one. */
export type GgufErrorCode =
  /** The file (or buffer) ends before the header says it should. */
  | 'GGUF_TRUNCATED'
  /** The first four bytes are not `GGUF`. */
  | 'GGUF_BAD_MAGIC'
  /** A GGUF version this reader does not read (only 2 and 3, little-endian). */
  | 'GGUF_UNSUPPORTED_VERSION'
  /** A count, length, size or nesting depth beyond what this reader accepts. */
  | 'GGUF_LIMIT'
  /** A metadata value type or tensor type id nobody knows. */
  | 'GGUF_UNKNOWN_TYPE'
  /** The same metadata key or tensor name twice. */
  | 'GGUF_DUPLICATE'
  /** Structurally wrong: bad alignment, misaligned or out-of-file tensor, bad dims, invalid UTF-8. */
  | 'GGUF_INVALID'
  /** Reading or writing the file failed (missing file, permissions, disk full). */
  | 'GGUF_IO';

/**
 * The one error this package throws on purpose. `code` is stable; the message names the byte
 * offset or the key involved, so a user can see which part of a file is at fault.
 */
export class GgufError extends Error {
  readonly code: GgufErrorCode;
  /** Byte offset in the file where the problem was found, when there is one. */
  readonly offset: number | undefined;
  constructor(code: GgufErrorCode, message: string, opts: { offset?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GgufError';
    this.code = code;
    this.offset = opts.offset;
  }
}

export function ioError(err: unknown, doing: string): GgufError {
  if (err instanceof GgufError) return err;
  const e = err as NodeJS.ErrnoException;
  return new GgufError('GGUF_IO', `${e?.message ?? String(err)} (while ${doing})`, { cause: err });
}
