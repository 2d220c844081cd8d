import { errorBodySchema, logStreams, runStatusSchema } from '@workbench/api';
import { z } from 'zod';

/** Query flags: `?deleted`, `?deleted=1`, `?deleted=true` mean yes; `0`/`false` mean no. */
export const qBool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', ''])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === '')
  .optional();

export const qInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max).optional();

const stringList = z.union([z.string(), z.array(z.string())]).optional();

export const refParams = z.object({ ref: z.string().min(1).max(512) });
export const idParams = z.object({ id: z.string().min(1).max(64) });
export const wildcardParams = z.object({ id: z.string().min(1).max(64), '*': z.string() });

export const projectListQuery = z.object({ deleted: qBool });
export const projectDeleteQuery = z.object({ force: qBool });

export const datasetListQuery = z.object({ project: z.string().optional(), deleted: qBool, allVersions: qBool });
export const datasetGetQuery = z.object({ project: z.string().optional() });
export const datasetPreviewQuery = z.object({ file: z.string().optional(), limit: qInt(1, 1000), project: z.string().optional() });

export const runListQuery = z.object({
  project: z.string().optional(),
  /** Comma-separated, or repeated: `?status=running,queued`. */
  status: stringList.transform((v) => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))).pipe(z.array(runStatusSchema).optional()),
  name: z.string().optional(),
  /** A dataset id: only runs that read it. */
  dataset: z.string().optional(),
  sort: z.string().optional(),
  desc: qBool,
  /** Repeatable: `?where=param:lr>0.01&where=metric:loss:min<0.2`. */
  where: stringList.transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
  limit: qInt(1, 10_000),
  offset: qInt(0, Number.MAX_SAFE_INTEGER),
  deleted: qBool,
  details: qBool,
});

export const runGetQuery = z.object({ deleted: qBool });

export const logQuery = z.object({
  after: qInt(0, Number.MAX_SAFE_INTEGER),
  limit: qInt(1, 100_000),
  tail: qBool,
  stream: z.enum(logStreams).optional(),
  level: z.string().max(16).optional(),
  search: z.string().max(1000).optional(),
});

export const seriesQuery = z.object({ all: qBool, maxPoints: qInt(4, 1_000_000) });
export const eventQuery = z.object({ after: qInt(0, Number.MAX_SAFE_INTEGER), limit: qInt(1, 10_000) });

/** Error responses every API route can give (documented in the OpenAPI document). */
export const errors = { '4xx': errorBodySchema, '5xx': errorBodySchema } as const;
