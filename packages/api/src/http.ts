import { z } from 'zod';
import { llmStatusSchema } from './llm.js';
import {
  artifactSchema,
  datasetFileSchema,
  datasetSchema,
  eventSchema,
  logLineSchema,
  logStreams,
  metricPointSchema,
  projectSchema,
  runSchema,
  wireNumberSchema,
} from './entities.js';

/**
 * Request and response bodies of the HTTP API (`/api/v1`) and the messages of its
 * WebSocket stream (`/api/v1/stream`). Shared by the server (validation, OpenAPI), the SDK
 * and the web app (types).
 */

export const apiPrefix = '/api/v1';

export const healthSchema = z.object({ ok: z.boolean(), version: z.string(), schemaVersion: z.number().int() });
export type Health = z.infer<typeof healthSchema>;

// ---- projects ----------------------------------------------------------------------------

export const projectCreateSchema = z.object({ name: z.string(), description: z.string().max(10_000).optional() });
export type ProjectCreate = z.infer<typeof projectCreateSchema>;

export const projectPatchSchema = z.object({ name: z.string().optional(), description: z.string().max(10_000).optional() });
export type ProjectPatch = z.infer<typeof projectPatchSchema>;

export const projectListSchema = z.object({ projects: z.array(projectSchema) });
export type ProjectList = z.infer<typeof projectListSchema>;

// ---- datasets ----------------------------------------------------------------------------

export const datasetImportSchema = z.object({
  /** A file or folder on the machine the server runs on. */
  path: z.string().min(1),
  project: z.string().min(1),
  name: z.string().optional(),
});
export type DatasetImport = z.infer<typeof datasetImportSchema>;

export const datasetImportResponseSchema = z.object({
  dataset: datasetSchema,
  created: z.boolean(),
  bytesStored: z.number(),
  filesStored: z.number(),
  filesHashed: z.number().optional(),
});
export type DatasetImportResponse = z.infer<typeof datasetImportResponseSchema>;

export const datasetListSchema = z.object({ datasets: z.array(datasetSchema) });
export type DatasetList = z.infer<typeof datasetListSchema>;

export const datasetVerifyResponseSchema = z.object({
  dataset: datasetSchema,
  ok: z.boolean(),
  filesChecked: z.number().int(),
  blobsChecked: z.number().int(),
  bytesChecked: z.number(),
  missing: z.array(z.string()),
  corrupt: z.array(z.string()),
  manifestOk: z.boolean(),
});
export type DatasetVerifyResponse = z.infer<typeof datasetVerifyResponseSchema>;

export const datasetDetailSchema = datasetSchema.extend({ files: z.array(datasetFileSchema) });
export type DatasetDetail = z.infer<typeof datasetDetailSchema>;

// ---- runs --------------------------------------------------------------------------------

export const runCreateSchema = z.object({
  project: z.string().min(1),
  name: z.string().optional(),
  kind: z.string().min(1).max(64).optional(),
  /** The command and its arguments (no shell). Give this or `template`. */
  command: z.array(z.string()).min(1).optional(),
  template: z.string().optional(),
  /** Dataset references: name, name@version or id. */
  datasets: z.array(z.string()).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  /** Working directory of the command, on the server's machine. */
  cwd: z.string().optional(),
});
export type RunCreate = z.infer<typeof runCreateSchema>;

export const runListSchema = z.object({ runs: z.array(runSchema), total: z.number().int() });
export type RunList = z.infer<typeof runListSchema>;

export const runDetailSchema = runSchema.extend({ artifacts: z.array(artifactSchema) });
export type RunDetail = z.infer<typeof runDetailSchema>;

export const runMoveSchema = z.object({ project: z.string().min(1) });
export const runTagsSchema = z.object({ tags: z.record(z.string(), z.string()) });

export const logPageSchema = z.object({
  lines: z.array(logLineSchema),
  /** The seq of the last line returned (or the `after` asked for when there is none): pass it as `after` to read on. */
  lastSeq: z.number().int(),
});
export type LogPage = z.infer<typeof logPageSchema>;

/** A metric summary with non-finite values kept (as strings), unlike `Run.metrics`. */
export const metricSummaryWireSchema = z.object({
  key: z.string(),
  last: wireNumberSchema.nullable(),
  lastStep: z.number(),
  min: wireNumberSchema.nullable(),
  max: wireNumberSchema.nullable(),
  count: z.number().int(),
});
export type MetricSummaryWire = z.infer<typeof metricSummaryWireSchema>;

export const metricSummaryListSchema = z.object({ metrics: z.array(metricSummaryWireSchema) });
export type MetricSummaryList = z.infer<typeof metricSummaryListSchema>;

export const seriesPointSchema = z.object({ step: z.number(), value: wireNumberSchema, ts: z.number(), seq: z.number().int(), attempt: z.number().int() });
export type SeriesPoint = z.infer<typeof seriesPointSchema>;

export const metricSeriesSchema = z.object({
  key: z.string(),
  /**
   * `all`: every stored point in arrival order (repeated and rewound steps included).
   * `series`: the latest attempt and arrival per step, by step, reduced to at most
   * `maxPoints` for a chart (extremes kept; non-finite values left out and counted).
   */
  mode: z.enum(['all', 'series']),
  /** Points in the series before reduction. */
  total: z.number().int(),
  /** Points in the series whose value is NaN or ±Infinity. */
  nonFinite: z.number().int(),
  downsampled: z.boolean(),
  points: z.array(seriesPointSchema),
});
export type MetricSeries = z.infer<typeof metricSeriesSchema>;

export const artifactListSchema = z.object({ artifacts: z.array(artifactSchema) });
export type ArtifactList = z.infer<typeof artifactListSchema>;

// ---- events, templates, workspace --------------------------------------------------------

/** `lastSeq`: the last event in this page (to read on from); `headSeq`: the newest event there is (to follow from now). */
export const eventPageSchema = z.object({ events: z.array(eventSchema), lastSeq: z.number().int(), headSeq: z.number().int() });
export type EventPage = z.infer<typeof eventPageSchema>;

export const workspaceInfoSchema = z.object({
  dir: z.string(),
  schemaVersion: z.number().int(),
  workspaceId: z.string(),
  sizes: z.object({
    /** The database file with its write-ahead log. */
    dbBytes: z.number(),
    blobCount: z.number().int(),
    blobBytes: z.number(),
    /**
     * What the datasets (every version) and artifacts in the workspace add up to: the blob
     * store keeps each distinct content once, so referencedBytes − blobBytes is what it saves.
     */
    referencedBytes: z.number().optional(),
  }),
});
export type WorkspaceInfo = z.infer<typeof workspaceInfoSchema>;

// ---- the WebSocket stream ----------------------------------------------------------------

export const streamClientMessageSchema = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('subscribe'),
    runId: z.string().min(1).max(64),
    /** Send log lines with a seq above this (0: from the start). */
    afterLogSeq: z.number().int().min(0).optional(),
    afterMetricSeq: z.number().int().min(0).optional(),
  }),
  z.object({ op: z.literal('unsubscribe'), runId: z.string().min(1).max(64) }),
  z.object({ op: z.literal('subscribe-events'), afterSeq: z.number().int().min(0).optional() }),
  z.object({ op: z.literal('unsubscribe-events') }),
  /** Live LLM monitor samples (`llm` messages) while subscribed. */
  z.object({ op: z.literal('subscribe-llm') }),
  z.object({ op: z.literal('unsubscribe-llm') }),
]);
export type StreamClientMessage = z.infer<typeof streamClientMessageSchema>;

export const streamServerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('logs'), runId: z.string(), lines: z.array(logLineSchema) }),
  z.object({ type: z.literal('metrics'), runId: z.string(), points: z.array(metricPointSchema) }),
  z.object({ type: z.literal('run'), run: runSchema }),
  z.object({ type: z.literal('events'), events: z.array(eventSchema) }),
  z.object({ type: z.literal('llm'), status: llmStatusSchema }),
  z.object({
    type: z.literal('error'),
    /** The subscription the error is about, when it is about one. */
    runId: z.string().optional(),
    error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }),
  }),
]);
export type StreamServerMessage = z.infer<typeof streamServerMessageSchema>;

/** Query options of `GET /runs/:id/logs`. */
export interface LogQueryParams {
  after?: number;
  limit?: number;
  tail?: boolean;
  stream?: (typeof logStreams)[number];
  level?: string;
  search?: string;
}
