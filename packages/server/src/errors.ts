import { errorCodes, type ErrorBody, type ErrorCode } from '@workbench/api';
import { WbError } from '@workbench/core';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { FastifyBaseLogger } from 'fastify';

export interface MappedError {
  status: number;
  body: ErrorBody;
  /** A bug or an environment failure worth a log line with the stack. */
  logIt: boolean;
}

function isWbError(err: unknown): err is WbError {
  if (err instanceof WbError) return true;
  // The same class loaded twice (source and build) still has the shape.
  const e = err as { code?: unknown; httpStatus?: unknown; name?: unknown };
  return typeof e?.code === 'string' && e.code in errorCodes && typeof e.httpStatus === 'number' && err instanceof Error;
}

interface ZodLikeIssue {
  path: PropertyKey[];
  message: string;
  code?: string;
}

function isZodError(err: unknown): err is Error & { issues: ZodLikeIssue[] } {
  return err instanceof Error && (err.name === 'ZodError' || err.name === '$ZodError') && Array.isArray((err as { issues?: unknown }).issues);
}

const body = (code: ErrorCode, message: string, hint?: string, details?: unknown): ErrorBody => ({
  error: { code, message, ...(hint ? { hint } : {}), ...(details !== undefined ? { details } : {}) },
});

/** Turn anything thrown by a route into the API's error body and status. */
export function mapError(err: unknown): MappedError {
  if (isWbError(err)) {
    const status = err.httpStatus;
    return { status, body: body(err.code, err.message, err.hint, err.details ?? undefined), logIt: status >= 500 };
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err as { validationContext?: string }).validationContext ?? 'request';
    const issues = err.validation.map((v) => ({ path: v.instancePath, message: v.message ?? 'invalid' }));
    const first = issues[0];
    const message = `invalid ${where}${first ? `: ${first.path ? first.path.replace(/^\//, '').replace(/\//g, '.') + ' ' : ''}${first.message}` : ''}`;
    return { status: 400, body: body('INVALID_INPUT', message, 'see the API reference: GET /api/v1/openapi.json', { issues }), logIt: false };
  }
  if (isZodError(err)) {
    const issues = err.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
    return { status: 400, body: body('INVALID_INPUT', `invalid input: ${issues[0] ? `${issues[0].path} ${issues[0].message}`.trim() : ''}`, undefined, { issues }), logIt: false };
  }
  const fe = err as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const status = fe.statusCode;
    const code: ErrorCode = status === 401 ? 'UNAUTHORIZED' : status === 404 ? 'NOT_FOUND' : status === 409 ? 'CONFLICT' : 'INVALID_INPUT';
    return { status, body: body(code, String(fe.message ?? 'bad request')), logIt: false };
  }
  return { status: 500, body: body('INTERNAL', 'internal error: the server could not handle this request', 'the server log has the details; please report it'), logIt: true };
}

export function logError(log: FastifyBaseLogger, err: unknown, what: string): void {
  log.error({ err }, what);
}

export { body as errorBody };
