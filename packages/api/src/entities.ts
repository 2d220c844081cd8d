import { z } from 'zod';

/** Times on the wire are ISO 8601 strings; null means "not yet". */
const time = z.string();

export const projectSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  createdAt: time,
  updatedAt: time,
  deletedAt: time.nullable(),
  runCount: z.number().int().optional(),
  datasetCount: z.number().int().optional(),
});
export type Project = z.infer<typeof projectSchema>;

export const datasetFileSchema = z.object({ path: z.string(), size: z.number(), sha256: z.string() });
export type DatasetFile = z.infer<typeof datasetFileSchema>;

export const datasetSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  version: z.number().int(),
  kind: z.enum(['file', 'folder']),
  fingerprint: z.string(),
  size: z.number(),
  fileCount: z.number().int(),
  sourcePath: z.string(),
  createdAt: time,
  deletedAt: time.nullable(),
});
export type Dataset = z.infer<typeof datasetSchema>;

export const datasetPreviewSchema = z.object({
  format: z.enum(['csv', 'tsv', 'jsonl', 'parquet']),
  file: z.string(),
  columns: z.array(z.string()),
  rows: z.array(z.array(z.unknown())),
  truncated: z.boolean(),
});
export type DatasetPreview = z.infer<typeof datasetPreviewSchema>;

export const runStatuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'lost'] as const;
export const runStatusSchema = z.enum(runStatuses);
export type RunStatus = z.infer<typeof runStatusSchema>;
export const terminalRunStatuses: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled', 'lost'];

export const metricSummarySchema = z.object({
  key: z.string(),
  last: z.number().nullable(),
  lastStep: z.number(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  count: z.number().int(),
});
export type MetricSummary = z.infer<typeof metricSummarySchema>;

export const runSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  projectName: z.string().optional(),
  name: z.string(),
  kind: z.string(),
  status: runStatusSchema,
  statusReason: z.string().nullable(),
  command: z.array(z.string()),
  template: z.string().nullable(),
  cwd: z.string().nullable(),
  attempt: z.number().int(),
  exitCode: z.number().int().nullable(),
  createdAt: time,
  startedAt: time.nullable(),
  endedAt: time.nullable(),
  progress: z.object({ current: z.number(), total: z.number().nullable() }).nullable(),
  device: z.string().nullable(),
  host: z.string().nullable(),
  deletedAt: time.nullable(),
  params: z.record(z.string(), z.unknown()),
  tags: z.record(z.string(), z.string()),
  metrics: z.array(metricSummarySchema).optional(),
  datasets: z.array(z.object({ id: z.string(), name: z.string(), version: z.number(), fingerprint: z.string() })).optional(),
});
export type Run = z.infer<typeof runSchema>;

export const logStreams = ['stdout', 'stderr', 'event', 'system'] as const;
export const logLineSchema = z.object({
  seq: z.number().int(),
  ts: z.number(),
  stream: z.enum(logStreams),
  level: z.string(),
  text: z.string(),
});
export type LogLine = z.infer<typeof logLineSchema>;

/** A metric value on the wire: JSON has no NaN/Infinity, so those travel as strings. */
export const wireNumberSchema = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);
export type WireNumber = z.infer<typeof wireNumberSchema>;

export const metricPointSchema = z.object({
  key: z.string(),
  step: z.number(),
  value: wireNumberSchema,
  ts: z.number(),
  seq: z.number().int(),
  attempt: z.number().int(),
});
export type MetricPoint = z.infer<typeof metricPointSchema>;

export const artifactSchema = z.object({
  id: z.string(),
  runId: z.string(),
  name: z.string(),
  kind: z.string(),
  sha256: z.string(),
  size: z.number(),
  createdAt: time,
});
export type Artifact = z.infer<typeof artifactSchema>;

export const eventSchema = z.object({
  seq: z.number().int(),
  ts: time,
  actor: z.string(),
  type: z.string(),
  entityKind: z.string(),
  entityId: z.string(),
  payload: z.unknown(),
});
export type WbEvent = z.infer<typeof eventSchema>;

export const templateSchema = z.object({
  name: z.string(),
  description: z.string(),
  entry: z.string(),
  requires: z.array(z.string()),
  params: z.record(
    z.string(),
    z.object({
      description: z.string(),
      required: z.boolean().optional(),
      default: z.unknown().optional(),
      /** Checked before a run is created, so a mistyped value is an error, not a failed run. */
      type: z.enum(['integer', 'number', 'string']).optional(),
      min: z.number().optional(),
      max: z.number().optional(),
      /** Exclusive bounds, for fractions that must stay strictly inside (0, 1). */
      above: z.number().optional(),
      below: z.number().optional(),
      choices: z.array(z.string()).optional(),
    }),
  ),
});
export type Template = z.infer<typeof templateSchema>;

/** Encode a number for JSON: NaN and ±Infinity become strings. */
export function toWireNumber(v: number): WireNumber {
  if (Number.isFinite(v)) return v;
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? 'Infinity' : '-Infinity';
}

export function fromWireNumber(v: WireNumber): number {
  if (typeof v === 'number') return v;
  return v === 'NaN' ? Number.NaN : v === 'Infinity' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}
