import type { Generated } from 'kysely';

/** Times are integers: milliseconds since the Unix epoch. */
export interface ProjectsTable {
  id: string;
  name: string;
  description: string;
  run_counter: Generated<number>;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface BlobsTable {
  sha256: string;
  size: number;
  created_at: number;
  verified_at: number | null;
}

/** Who holds a blob. A blob with no reference is garbage once its owners are purged. */
export interface BlobRefsTable {
  sha256: string;
  owner_kind: 'dataset' | 'artifact' | 'model_version';
  owner_id: string;
}

export interface DatasetsTable {
  id: string;
  project_id: string;
  name: string;
  version: number;
  kind: 'file' | 'folder';
  fingerprint: string;
  size: number;
  file_count: number;
  /** For a folder: the blob holding the manifest text; for a file: the file's own blob. */
  manifest_sha256: string;
  source_path: string;
  created_at: number;
  deleted_at: number | null;
}

export interface DatasetFilesTable {
  dataset_id: string;
  path: string;
  sha256: string;
  size: number;
}

export interface HashCacheTable {
  dev: string;
  ino: string;
  size: number;
  mtime_ns: string;
  sha256: string;
  checked_at: number;
}

export interface RunsTable {
  id: string;
  project_id: string;
  name: string;
  kind: string;
  status: string;
  status_reason: string | null;
  command: string; // JSON array
  template: string | null;
  cwd: string | null;
  attempt: number;
  exit_code: number | null;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  progress_current: number | null;
  progress_total: number | null;
  device: string | null;
  host: string | null;
  supervisor_pid: number | null;
  supervisor_start: string | null;
  child_pid: number | null;
  cancel_requested_at: number | null;
  heartbeat_at: number | null;
  log_seq: number;
  metric_seq: number;
  deleted_at: number | null;
}

export interface RunParamsTable {
  run_id: string;
  key: string;
  value: string; // JSON
  num: number | null; // numeric view for sorting and filtering
}

export interface RunTagsTable {
  run_id: string;
  key: string;
  value: string;
}

export interface RunDatasetsTable {
  run_id: string;
  dataset_id: string;
  alias: string;
}

export interface MetricKeysTable {
  id: Generated<number>;
  key: string;
}

/**
 * Metric points are stored in chunks: one row per (run, key, flush) holding packed
 * little-endian columns. Ingest and full-series reads are then a handful of rows instead of
 * one row per point, which is what makes a million points a second possible on SQLite.
 */
export interface MetricChunksTable {
  run_id: string;
  key_id: number;
  first_seq: number;
  last_seq: number;
  n: number;
  min_step: number;
  max_step: number;
  data: Uint8Array;
}

/** Maintained on ingest so lists sort and filter by metrics without reading points. */
export interface RunMetricsTable {
  run_id: string;
  key: string;
  last: number | null;
  last_step: number;
  last_attempt: number;
  last_seq: number;
  min: number | null;
  max: number | null;
  count: number;
}

export interface LogLinesTable {
  run_id: string;
  seq: number;
  ts: number;
  stream: string;
  level: string;
  text: string;
}

export interface ArtifactsTable {
  id: string;
  run_id: string;
  name: string;
  kind: string;
  sha256: string;
  size: number;
  created_at: number;
}

export interface EventsTable {
  seq: Generated<number>;
  ts: number;
  actor: string;
  type: string;
  entity_kind: string;
  entity_id: string;
  payload: string; // JSON
}

export interface ModelsTable {
  id: string;
  project_id: string;
  name: string;
  card: string;
  version_counter: number;
  revision: number;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface ModelVersionsTable {
  id: string;
  model_id: string;
  version: number;
  stage: string;
  stage_changed_at: number;
  format: string;
  artifact_name: string;
  sha256: string;
  size: number;
  run_id: string | null;
  signature: string | null; // JSON
  lineage: string; // JSON
  card: string;
  created_at: number;
  deleted_at: number | null;
}

export interface ModelAliasesTable {
  model_id: string;
  alias: string;
  version_id: string;
  updated_at: number;
}

export interface ModelPoliciesTable {
  project_id: string;
  require_reason: number;
  require_approval: number;
  updated_at: number;
}

export interface ModelApprovalRequestsTable {
  id: string;
  model_id: string;
  version_id: string;
  version: number;
  from_stage: string;
  to_stage: string;
  previous: string | null;
  reason: string;
  requested_by: string;
  requested_at: number;
  status: string;
  decided_by: string | null;
  decided_at: number | null;
  decision_reason: string | null;
}

export interface WebhooksTable {
  id: string;
  project_id: string | null;
  url: string;
  secret: string;
  created_at: number;
  deleted_at: number | null;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  webhook_id: string;
  event_type: string;
  body: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  claimed_until: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface LlmEndpointsTable {
  id: string;
  name: string;
  kind: string;
  url: string;
  created_at: number;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface Database {
  projects: ProjectsTable;
  blobs: BlobsTable;
  blob_refs: BlobRefsTable;
  datasets: DatasetsTable;
  dataset_files: DatasetFilesTable;
  hash_cache: HashCacheTable;
  llm_endpoints: LlmEndpointsTable;
  runs: RunsTable;
  run_params: RunParamsTable;
  run_tags: RunTagsTable;
  run_datasets: RunDatasetsTable;
  metric_keys: MetricKeysTable;
  metric_chunks: MetricChunksTable;
  run_metrics: RunMetricsTable;
  log_lines: LogLinesTable;
  artifacts: ArtifactsTable;
  events: EventsTable;
  meta: MetaTable;
  models: ModelsTable;
  model_versions: ModelVersionsTable;
  model_aliases: ModelAliasesTable;
  model_policies: ModelPoliciesTable;
  model_approval_requests: ModelApprovalRequestsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
