import { z } from 'zod';

/**
 * Stable, machine-readable error codes. The CLI maps them to exit codes and the server to
 * HTTP statuses, so a script can react to `NAME_TAKEN` without parsing English.
 */
export const errorCodes = {
  INVALID_INPUT: { http: 400, exit: 2 },
  NOT_FOUND: { http: 404, exit: 3 },
  NAME_TAKEN: { http: 409, exit: 4 },
  CONFLICT: { http: 409, exit: 4 },
  AMBIGUOUS: { http: 409, exit: 2 },
  UNAUTHORIZED: { http: 401, exit: 5 },
  FORBIDDEN_HOST: { http: 403, exit: 5 },
  /** Acting on something only someone else may decide (approving one's own request). */
  SELF_APPROVAL: { http: 403, exit: 5 },
  FORBIDDEN: { http: 403, exit: 5 },
  WORKSPACE_TOO_NEW: { http: 500, exit: 6 },
  WORKSPACE_LOCKED: { http: 409, exit: 6 },
  DISK_FULL: { http: 507, exit: 7 },
  IO_ERROR: { http: 500, exit: 7 },
  DEPENDENCY_MISSING: { http: 424, exit: 8 },
  UNAVAILABLE: { http: 503, exit: 9 },
  INTERNAL: { http: 500, exit: 1 },
} as const satisfies Record<string, { http: number; exit: number }>;

export type ErrorCode = keyof typeof errorCodes;
export const errorCodeSchema = z.enum(Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]]);

/** The body of every API error response. */
export const errorBodySchema = z.object({
  error: z.object({
    code: errorCodeSchema,
    message: z.string(),
    hint: z.string().optional(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
