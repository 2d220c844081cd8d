import { errorCodes, type ErrorCode } from '@workbench/api';

/**
 * Every error Workbench raises on purpose carries a stable code and, where the user can act,
 * a hint that says what to do next. Three families, so callers know whether to blame the
 * input, the environment or us.
 */
export class WbError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, opts: { hint?: string; details?: unknown; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details;
  }
  get httpStatus(): number {
    return errorCodes[this.code].http;
  }
  get exitCode(): number {
    return errorCodes[this.code].exit;
  }
}

/** Bad input: the user can fix it. */
export class UserError extends WbError {}
/** The environment failed: disk full, server down, lock held. Often retryable. */
export class OperationalError extends WbError {}
/** A bug: an invariant did not hold. */
export class UnexpectedError extends WbError {
  constructor(message: string, opts: { details?: unknown; cause?: unknown } = {}) {
    super('INTERNAL', message, opts);
  }
}

export function notFound(what: string, ref: string, hint?: string): UserError {
  return new UserError('NOT_FOUND', `${what} '${ref}' not found`, hint === undefined ? {} : { hint });
}

export function invalid(message: string, hint?: string): UserError {
  return new UserError('INVALID_INPUT', message, hint === undefined ? {} : { hint });
}

/** Turn a Node system error into an operational error with a useful message. */
export function fromSystemError(err: unknown, doing: string): WbError {
  if (err instanceof WbError) return err;
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new OperationalError('DISK_FULL', `disk full while ${doing}`, { hint: 'free some space (wb gc reclaims deleted blobs) and retry', cause: err });
    case 'ENOENT':
      return new UserError('NOT_FOUND', `no such file or folder while ${doing}: ${e.path ?? ''}`.trim(), { hint: 'check the path', cause: err });
    case 'EACCES':
    case 'EPERM':
      return new UserError('INVALID_INPUT', `permission denied while ${doing}: ${e.path ?? ''}`.trim(), { hint: 'check the file permissions', cause: err });
    case 'EEXIST': // mkdir -p through a file
      return new UserError('INVALID_INPUT', `a file is in the way while ${doing}: ${e.path ?? ''}`.trim(), { hint: 'check the path: a folder is needed there', cause: err });
    case 'ENOTDIR':
      return new UserError('INVALID_INPUT', `part of the path is a file, not a folder, while ${doing}: ${e.path ?? ''}`.trim(), { hint: 'check the path', cause: err });
    case 'EISDIR':
      return new UserError('INVALID_INPUT', `a folder is where a file was expected while ${doing}: ${e.path ?? ''}`.trim(), { hint: 'give the path of a file', cause: err });
    case 'ELOOP':
      return new UserError('INVALID_INPUT', `symbolic link loop while ${doing}: ${e.path ?? ''}`.trim(), { hint: 'remove the looping link', cause: err });
    default:
      return new OperationalError('IO_ERROR', `${e?.message ?? String(err)} (while ${doing})`, { cause: err });
  }
}
