/** An error answered by the Workbench API (or the failure to reach it: status 0, code UNAVAILABLE). */
export class WorkbenchApiError extends Error {
  /** Stable machine-readable code: NOT_FOUND, NAME_TAKEN, INVALID_INPUT, UNAUTHORIZED, … */
  readonly code: string;
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  /** What to do about it, when the server knows. */
  readonly hint: string | undefined;
  readonly details: unknown;

  constructor(opts: { code: string; status: number; message: string; hint?: string | undefined; details?: unknown; cause?: unknown }) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'WorkbenchApiError';
    this.code = opts.code;
    this.status = opts.status;
    this.hint = opts.hint;
    this.details = opts.details;
  }
}
