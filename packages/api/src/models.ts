import { z } from 'zod';

const time = z.string();

export const modelStages = ['draft', 'staging', 'production', 'archived'] as const;
export const modelStageSchema = z.enum(modelStages);
export type ModelStage = z.infer<typeof modelStageSchema>;

/** `object`: a table of mixed columns (a pickled scikit-learn pipeline), typed per column by `columnTypes`. */
export const tensorDtypes = ['float32', 'float64', 'int32', 'int64', 'bool', 'string', 'object'] as const;
export const tensorDtypeSchema = z.enum(tensorDtypes);
export type TensorDtype = z.infer<typeof tensorDtypeSchema>;

/** One model input or output: a tensor, and for a tabular input the column behind each feature. */
export const tensorSpecSchema = z.object({
  name: z.string().min(1).max(256),
  dtype: tensorDtypeSchema,
  /** null (or a negative number) marks a free dimension, usually the batch. */
  shape: z.array(z.number().int().nullable()).max(8),
  columns: z.array(z.string().max(512)).max(100_000).optional(),
  columnTypes: z.array(z.enum(['number', 'string'])).max(100_000).optional(),
});
export type TensorSpec = z.infer<typeof tensorSpecSchema>;

/** What a model takes and returns, recorded at registration and checked on every prediction. */
export const modelSignatureSchema = z.object({
  inputs: z.array(tensorSpecSchema).min(1).max(64),
  outputs: z.array(tensorSpecSchema).max(64),
  /** Class labels in output order, for classifiers. */
  labels: z.array(z.union([z.string(), z.number()])).max(100_000).optional(),
  task: z.enum(['classification', 'regression']).optional(),
});
export type ModelSignature = z.infer<typeof modelSignatureSchema>;

export const modelFormats = ['onnx', 'pickle', 'other'] as const;
export type ModelFormat = (typeof modelFormats)[number];

export const modelLineageSchema = z.object({
  run: z.object({ id: z.string(), name: z.string(), project: z.string(), status: z.string(), template: z.string().nullable(), command: z.array(z.string()), endedAt: time.nullable() }),
  params: z.record(z.string(), z.unknown()),
  metrics: z.array(z.object({ key: z.string(), last: z.number().nullable(), min: z.number().nullable(), max: z.number().nullable() })),
  datasets: z.array(z.object({ id: z.string(), name: z.string(), version: z.number(), fingerprint: z.string() })),
  code: z.object({ commit: z.string(), dirty: z.boolean() }).nullable(),
  environment: z.object({ python: z.string().nullable(), packages: z.record(z.string(), z.string()) }).nullable(),
  artifact: z.object({ name: z.string(), kind: z.string(), sha256: z.string(), size: z.number() }),
});
export type ModelLineage = z.infer<typeof modelLineageSchema>;

export const modelVersionSchema = z.object({
  id: z.string(),
  modelId: z.string(),
  modelName: z.string(),
  version: z.number().int(),
  stage: modelStageSchema,
  stageChangedAt: time,
  format: z.enum(modelFormats),
  artifactName: z.string(),
  sha256: z.string(),
  size: z.number(),
  runId: z.string().nullable(),
  signature: modelSignatureSchema.nullable(),
  lineage: modelLineageSchema,
  card: z.string(),
  aliases: z.array(z.string()),
  createdAt: time,
  deletedAt: time.nullable(),
});
export type ModelVersion = z.infer<typeof modelVersionSchema>;

export const modelSchema = z.object({
  id: z.string(),
  name: z.string(),
  projectId: z.string(),
  projectName: z.string(),
  card: z.string(),
  /** Bumped by every stage or alias change: the value to pass as ifRevision. */
  revision: z.number().int(),
  latestVersion: z.number().int().nullable(),
  versionCount: z.number().int(),
  stages: z.partialRecord(modelStageSchema, z.array(z.number().int())),
  aliases: z.record(z.string(), z.number().int()),
  createdAt: time,
  updatedAt: time,
  deletedAt: time.nullable(),
});
export type Model = z.infer<typeof modelSchema>;

export const registerModelBodySchema = z.object({
  runId: z.string().min(1),
  artifact: z.string().min(1).max(512),
  name: z.string().min(1).max(128),
  card: z.string().max(200_000).optional(),
  signature: modelSignatureSchema.optional(),
});
export type RegisterModelBody = z.infer<typeof registerModelBodySchema>;

export const stageChangeBodySchema = z.object({
  to: modelStageSchema,
  reason: z.string().max(2000).optional(),
  /** What the previous production version becomes when another one is promoted. */
  previous: z.enum(['archived', 'staging']).optional(),
  ifRevision: z.number().int().optional(),
});
export type StageChangeBody = z.infer<typeof stageChangeBodySchema>;

export const aliasBodySchema = z.object({ version: z.number().int().positive(), ifRevision: z.number().int().optional() });
export const cardBodySchema = z.object({ card: z.string().max(200_000) });
/** Either rule may be given alone; what is left out stays as it is. */
export const policyBodySchema = z.object({ requireReasonForProduction: z.boolean().optional(), requireApprovalForProduction: z.boolean().optional() });
export type PolicyBody = z.infer<typeof policyBodySchema>;

export const modelPolicySchema = z.object({
  projectId: z.string(),
  requireReasonForProduction: z.boolean(),
  /** Entering production becomes a request that a second person approves. */
  requireApprovalForProduction: z.boolean(),
});
export type ModelPolicy = z.infer<typeof modelPolicySchema>;

/**
 * pending → approved (the promotion happened) | rejected | withdrawn (by its requester) |
 * stale (the version changed stage, or left, before anyone decided: ask again).
 */
export const approvalStatuses = ['pending', 'approved', 'rejected', 'withdrawn', 'stale'] as const;
export const approvalStatusSchema = z.enum(approvalStatuses);
export type ApprovalStatus = z.infer<typeof approvalStatusSchema>;

export const approvalRequestSchema = z.object({
  id: z.string(),
  modelId: z.string(),
  modelName: z.string(),
  version: z.number().int(),
  /** The stage the version was in when asked; the approval applies only while it still is. */
  fromStage: modelStageSchema,
  toStage: modelStageSchema,
  previous: z.enum(['archived', 'staging']).nullable(),
  reason: z.string(),
  requestedBy: z.string(),
  requestedAt: time,
  status: approvalStatusSchema,
  decidedBy: z.string().nullable(),
  decidedAt: time.nullable(),
  decisionReason: z.string().nullable(),
});
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;

export const approvalListSchema = z.object({ requests: z.array(approvalRequestSchema) });
export const approvalRequestBodySchema = z.object({ reason: z.string().min(1).max(2000), previous: z.enum(['archived', 'staging']).optional() });
export const approvalDecisionBodySchema = z.object({ reason: z.string().max(2000).optional(), ifRevision: z.number().int().optional() });

export const webhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  projectId: z.string().nullable(),
  createdAt: time,
  pending: z.number().int(),
  failed: z.number().int(),
  delivered: z.number().int(),
});
export type Webhook = z.infer<typeof webhookSchema>;

export const modelComparisonSchema = z.object({
  model: z.string(),
  versions: z.array(z.number().int()),
  metrics: z.array(z.object({ key: z.string(), values: z.array(z.number().nullable()) })),
  params: z.array(z.object({ key: z.string(), values: z.array(z.unknown()), differs: z.boolean() })),
  lineage: z.array(z.object({ field: z.string(), values: z.array(z.string()), differs: z.boolean() })),
});
export type ModelComparison = z.infer<typeof modelComparisonSchema>;

export const modelListSchema = z.object({ models: z.array(modelSchema) });
export const modelDetailSchema = modelSchema.extend({ versions: z.array(modelVersionSchema) });
export type ModelDetail = z.infer<typeof modelDetailSchema>;
export const stageChangeResultSchema = z.object({ version: modelVersionSchema, from: modelStageSchema, transition: z.string(), displaced: z.array(z.object({ version: z.number().int(), to: modelStageSchema })) });
export type StageChangeResult = z.infer<typeof stageChangeResultSchema>;
export const aliasResultSchema = z.object({ alias: z.string(), version: z.number().int(), previous: z.number().int().nullable() });
export const approvalDecisionSchema = z.object({
  request: approvalRequestSchema,
  /** The stage change an approval made; null for a rejection or a withdrawal. */
  change: stageChangeResultSchema.nullable(),
});
export type ApprovalDecision = z.infer<typeof approvalDecisionSchema>;
