import type {
  ApprovalDecision,
  ApprovalRequest,
  ApprovalStatus,
  Artifact,
  Dataset,
  DatasetDetail,
  DatasetImport,
  DatasetImportResponse,
  DatasetPreview,
  DatasetVerifyResponse,
  EventPage,
  Health,
  LogPage,
  LogQueryParams,
  MetricSeries,
  Model,
  ModelComparison,
  ModelDetail,
  ModelPolicy,
  ModelStage,
  ModelVersion,
  RegisterModelBody,
  StageChangeResult,
  WbEvent,
  MetricSummaryWire,
  Project,
  ProjectPatch,
  Run,
  RunCreate,
  RunDetail,
  RunList,
  RunStatus,
  Template,
  WorkspaceInfo,
} from '@workbench/api';
import { WorkbenchApiError } from './errors.js';
import {
  defaultWebSocket,
  subscribeEvents,
  subscribeRun,
  type EventStreamHandlers,
  type EventSubscription,
  type ReconnectOptions,
  type RunStreamHandlers,
  type RunSubscribeOptions,
  type RunSubscription,
  type WebSocketConstructor,
} from './stream.js';

export interface WorkbenchClientOptions {
  /** The server, e.g. http://127.0.0.1:7878 (what wb serve prints). */
  baseUrl: string;
  /** The workspace token (file "token" in the workspace folder). */
  token: string;
  /** Default: the global fetch (Node ≥ 18, browsers). */
  fetch?: typeof fetch;
  /** Default: the `ws` package in Node, the global WebSocket in browsers. */
  WebSocket?: WebSocketConstructor;
  /** Per-request timeout in ms (default 60 000; 0: none). Downloads are not cut by it once started. */
  timeoutMs?: number;
}

export interface RunListParams {
  project?: string;
  status?: RunStatus | RunStatus[];
  /** Substring of the run name. */
  name?: string;
  /** A dataset id: only runs that read it. */
  dataset?: string;
  /** created, name, status, started, param:<key>, metric:<key>[:min|max|last] */
  sort?: string;
  desc?: boolean;
  /** Filters like param:lr>0.01, metric:loss:min<0.2. */
  where?: string | string[];
  limit?: number;
  offset?: number;
  deleted?: boolean;
  /** Include params, tags and metric summaries. */
  details?: boolean;
}

type Query = Record<string, string | number | boolean | string[] | undefined>;

const TERMINAL: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled', 'lost']);

/** A path segment; names that may contain '/' (metric keys, artifact names) keep their slashes. */
const seg = (s: string) => encodeURIComponent(s);
const segs = (s: string) => s.split('/').map(encodeURIComponent).join('/');

/**
 * Who a registry change is made by: sent as X-Workbench-Actor. Without team mode the server
 * takes the name as given (the token proves access, not identity); team mode will check it.
 */
export interface ActingAs {
  actor?: string;
}
const actingAs = (opts: ActingAs): Record<string, string> => (opts.actor ? { 'x-workbench-actor': opts.actor } : {});

/**
 * Typed access to a Workbench server's API (`/api/v1`) and its live stream. Errors are thrown
 * as `WorkbenchApiError` (code, status, hint).
 */
export class WorkbenchClient {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private wsCtor: Promise<WebSocketConstructor> | null;

  constructor(opts: WorkbenchClientOptions) {
    if (!opts?.baseUrl) throw new TypeError('WorkbenchClient needs { baseUrl, token }: baseUrl is what wb serve prints, e.g. http://127.0.0.1:7878');
    if (!opts.token) throw new TypeError('WorkbenchClient needs { baseUrl, token }: the token is in the workspace folder (file "token")');
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.token = opts.token;
    const f = opts.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
    if (!f) throw new TypeError('no fetch available: pass options.fetch');
    this.fetchImpl = f.bind(globalThis);
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.wsCtor = opts.WebSocket ? Promise.resolve(opts.WebSocket) : null;
  }

  // ---- plumbing -------------------------------------------------------------------------

  /** The URL of an API path with its query (no token in it). */
  url(path: string, query: Query = {}): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const x of v) qs.append(k, x);
      else qs.append(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
    }
    const s = qs.toString();
    return `${this.baseUrl}/api/v1${path}${s ? `?${s}` : ''}`;
  }

  /** Send a request; JSON in and out. */
  async request<T>(method: string, path: string, opts: { query?: Query; body?: unknown; raw?: boolean; headers?: Record<string, string> } = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    if (opts.raw) return res as T;
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new WorkbenchApiError({ code: 'INTERNAL', status: res.status, message: `the server answered ${method} ${path} with something that is not JSON`, cause: err });
    }
  }

  private async send(method: string, path: string, opts: { query?: Query; body?: unknown; headers?: Record<string, string> }): Promise<Response> {
    const headers: Record<string, string> = { ...opts.headers, authorization: `Bearer ${this.token}`, accept: 'application/json' };
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const ctrl = this.timeoutMs > 0 ? new AbortController() : null;
    const timer = ctrl ? setTimeout(() => ctrl.abort(), this.timeoutMs) : null;
    let res: Response;
    try {
      res = await this.fetchImpl(this.url(path, opts.query), { method, headers, ...(body !== undefined ? { body } : {}), ...(ctrl ? { signal: ctrl.signal } : {}) });
    } catch (err) {
      const timedOut = ctrl?.signal.aborted;
      throw new WorkbenchApiError({
        code: 'UNAVAILABLE',
        status: 0,
        message: timedOut ? `${method} ${path}: no answer within ${this.timeoutMs} ms` : `cannot reach the Workbench server at ${this.baseUrl}: ${(err as Error).message}`,
        hint: 'is it running? start it with wb serve',
        cause: err,
      });
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (!res.ok) throw await WorkbenchClient.errorFrom(res, method, path);
    return res;
  }

  private static async errorFrom(res: Response, method: string, path: string): Promise<WorkbenchApiError> {
    const text = await res.text().catch(() => '');
    try {
      const b = JSON.parse(text) as { error?: { code?: string; message?: string; hint?: string; details?: unknown } };
      if (b?.error?.code) return new WorkbenchApiError({ code: b.error.code, status: res.status, message: b.error.message ?? res.statusText, hint: b.error.hint, details: b.error.details });
    } catch {
      /* not our error body */
    }
    return new WorkbenchApiError({ code: res.status === 404 ? 'NOT_FOUND' : res.status >= 500 ? 'INTERNAL' : 'INVALID_INPUT', status: res.status, message: `${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`.trim() });
  }

  private ws(): Promise<WebSocketConstructor> {
    this.wsCtor ??= defaultWebSocket();
    return this.wsCtor;
  }

  private streamUrl(): string {
    return `${this.baseUrl.replace(/^http/, 'ws')}/api/v1/stream?token=${encodeURIComponent(this.token)}`;
  }

  // ---- server ---------------------------------------------------------------------------

  health(): Promise<Health> {
    return this.request('GET', '/health');
  }
  workspace(): Promise<WorkspaceInfo> {
    return this.request('GET', '/workspace');
  }
  /** The OpenAPI 3 document of the API. */
  openapi(): Promise<Record<string, unknown>> {
    return this.request('GET', '/openapi.json');
  }

  // ---- projects -------------------------------------------------------------------------

  async listProjects(opts: { deleted?: boolean } = {}): Promise<Project[]> {
    return (await this.request<{ projects: Project[] }>('GET', '/projects', { query: { deleted: opts.deleted } })).projects;
  }
  createProject(name: string, description?: string): Promise<Project> {
    return this.request('POST', '/projects', { body: { name, ...(description !== undefined ? { description } : {}) } });
  }
  getProject(ref: string): Promise<Project> {
    return this.request('GET', `/projects/${seg(ref)}`);
  }
  updateProject(ref: string, patch: ProjectPatch): Promise<Project> {
    return this.request('PATCH', `/projects/${seg(ref)}`, { body: patch });
  }
  /** To the trash; a project with runs needs `force` (its runs go with it). */
  deleteProject(ref: string, opts: { force?: boolean } = {}): Promise<Project> {
    return this.request('DELETE', `/projects/${seg(ref)}`, { query: { force: opts.force } });
  }
  restoreProject(ref: string): Promise<Project> {
    return this.request('POST', `/projects/${seg(ref)}/restore`);
  }

  // ---- datasets -------------------------------------------------------------------------

  async listDatasets(opts: { project?: string; deleted?: boolean; allVersions?: boolean } = {}): Promise<Dataset[]> {
    return (await this.request<{ datasets: Dataset[] }>('GET', '/datasets', { query: { project: opts.project, deleted: opts.deleted, allVersions: opts.allVersions } })).datasets;
  }
  /** Import a file or folder that is on the server's machine (an absolute path). */
  importDataset(input: DatasetImport): Promise<DatasetImportResponse> {
    return this.request('POST', '/datasets/import', { body: input });
  }
  /** One version (id, name or name@version) with its files. */
  getDataset(ref: string, opts: { project?: string } = {}): Promise<DatasetDetail> {
    return this.request('GET', `/datasets/${seg(ref)}`, { query: { project: opts.project } });
  }
  previewDataset(ref: string, opts: { file?: string; limit?: number; project?: string } = {}): Promise<DatasetPreview> {
    return this.request('GET', `/datasets/${seg(ref)}/preview`, { query: { file: opts.file, limit: opts.limit, project: opts.project } });
  }
  verifyDataset(ref: string, opts: { project?: string } = {}): Promise<DatasetVerifyResponse> {
    return this.request('POST', `/datasets/${seg(ref)}/verify`, { query: { project: opts.project } });
  }
  async deleteDataset(ref: string, opts: { project?: string } = {}): Promise<Dataset[]> {
    return (await this.request<{ datasets: Dataset[] }>('DELETE', `/datasets/${seg(ref)}`, { query: { project: opts.project } })).datasets;
  }
  async restoreDataset(ref: string, opts: { project?: string } = {}): Promise<Dataset[]> {
    return (await this.request<{ datasets: Dataset[] }>('POST', `/datasets/${seg(ref)}/restore`, { query: { project: opts.project } })).datasets;
  }

  // ---- runs -----------------------------------------------------------------------------

  listRuns(params: RunListParams = {}): Promise<RunList> {
    const { status, where, ...rest } = params;
    return this.request('GET', '/runs', {
      query: { ...rest, ...(status !== undefined ? { status: Array.isArray(status) ? status.join(',') : status } : {}), ...(where !== undefined ? { where: Array.isArray(where) ? where : [where] } : {}) },
    });
  }
  /** Start a run on the server (a command or a template); it is queued when the server is busy. */
  startRun(input: RunCreate): Promise<Run> {
    return this.request('POST', '/runs', { body: input });
  }
  getRun(id: string, opts: { deleted?: boolean } = {}): Promise<RunDetail> {
    return this.request('GET', `/runs/${seg(id)}`, { query: { deleted: opts.deleted } });
  }
  cancelRun(id: string): Promise<Run> {
    return this.request('POST', `/runs/${seg(id)}/cancel`);
  }

  /** Start the next attempt of a failed, cancelled or lost run, supervised by the server. */
  resumeRun(id: string): Promise<Run> {
    return this.request('POST', `/runs/${seg(id)}/resume`);
  }
  deleteRun(id: string): Promise<Run> {
    return this.request('DELETE', `/runs/${seg(id)}`);
  }
  restoreRun(id: string): Promise<Run> {
    return this.request('POST', `/runs/${seg(id)}/restore`);
  }
  moveRun(id: string, project: string): Promise<Run> {
    return this.request('POST', `/runs/${seg(id)}/move`, { body: { project } });
  }
  setRunTags(id: string, tags: Record<string, string>): Promise<Run> {
    return this.request('PATCH', `/runs/${seg(id)}/tags`, { body: { tags } });
  }
  getLogs(id: string, q: LogQueryParams = {}): Promise<LogPage> {
    return this.request('GET', `/runs/${seg(id)}/logs`, { query: { ...q } });
  }
  /** Per-key summaries; NaN and ±Infinity come as strings (fromWireNumber turns them back). */
  async getMetrics(id: string): Promise<MetricSummaryWire[]> {
    return (await this.request<{ metrics: MetricSummaryWire[] }>('GET', `/runs/${seg(id)}/metrics`)).metrics;
  }
  /** A chart-ready series (≤ maxPoints, default 2000), or with `all` every stored point in arrival order. */
  getMetricSeries(id: string, key: string, opts: { all?: boolean; maxPoints?: number } = {}): Promise<MetricSeries> {
    return this.request('GET', `/runs/${seg(id)}/metrics/${segs(key)}`, { query: { all: opts.all, maxPoints: opts.maxPoints } });
  }
  async listArtifacts(id: string): Promise<Artifact[]> {
    return (await this.request<{ artifacts: Artifact[] }>('GET', `/runs/${seg(id)}/artifacts`)).artifacts;
  }
  /** The artifact's content as a streaming Response (`.body`, `.arrayBuffer()`). */
  downloadArtifact(id: string, name: string): Promise<Response> {
    return this.send('GET', `/runs/${seg(id)}/artifacts/${segs(name)}`, {});
  }
  async listTemplates(): Promise<Template[]> {
    return (await this.request<{ templates: Template[] }>('GET', '/templates')).templates;
  }
  listEvents(opts: { after?: number; limit?: number } = {}): Promise<EventPage> {
    return this.request('GET', '/events', { query: { after: opts.after, limit: opts.limit } });
  }

  // ---- model registry -------------------------------------------------------------------

  async listModels(opts: { project?: string; deleted?: boolean } = {}): Promise<Model[]> {
    return (await this.request<{ models: Model[] }>('GET', '/models', { query: { project: opts.project, deleted: opts.deleted } })).models;
  }
  getModel(name: string): Promise<ModelDetail> {
    return this.request('GET', `/models/${seg(name)}`);
  }
  /** A version by number, stage (`production`) or alias (`champion`). */
  getModelVersion(name: string, version: number | string): Promise<ModelVersion> {
    return this.request('GET', `/models/${seg(name)}/versions/${seg(String(version))}`);
  }
  registerModel(body: RegisterModelBody): Promise<ModelVersion> {
    return this.request('POST', '/models', { body });
  }
  changeModelStage(name: string, version: number, body: { to: ModelStage; reason?: string; previous?: 'archived' | 'staging'; ifRevision?: number }, opts: ActingAs = {}): Promise<StageChangeResult> {
    return this.request('POST', `/models/${seg(name)}/versions/${version}/stage`, { body, headers: actingAs(opts) });
  }
  setModelAlias(name: string, alias: string, version: number, opts: { ifRevision?: number } = {}): Promise<{ alias: string; version: number; previous: number | null }> {
    return this.request('PUT', `/models/${seg(name)}/aliases/${seg(alias)}`, { body: { version, ...opts } });
  }
  async removeModelAlias(name: string, alias: string): Promise<void> {
    await this.send('DELETE', `/models/${seg(name)}/aliases/${seg(alias)}`, {});
  }
  setModelCard(name: string, card: string, version?: number): Promise<Model | ModelVersion> {
    return this.request('PUT', version === undefined ? `/models/${seg(name)}/card` : `/models/${seg(name)}/versions/${version}/card`, { body: { card } });
  }
  compareModelVersions(name: string, versions: number[]): Promise<ModelComparison> {
    return this.request('GET', `/models/${seg(name)}/compare`, { query: { versions: versions.join(',') } });
  }
  async modelHistory(name: string): Promise<WbEvent[]> {
    return (await this.request<{ events: WbEvent[] }>('GET', `/models/${seg(name)}/history`)).events;
  }
  getModelPolicy(project: string): Promise<ModelPolicy> {
    return this.request('GET', `/projects/${seg(project)}/model-policy`);
  }
  /** Change one rule or both; what is left out stays as it is. */
  setModelPolicy(project: string, body: { requireReasonForProduction?: boolean; requireApprovalForProduction?: boolean }, opts: ActingAs = {}): Promise<ModelPolicy> {
    return this.request('PUT', `/projects/${seg(project)}/model-policy`, { body, headers: actingAs(opts) });
  }
  /** Approval requests for production, pending first. */
  async listModelApprovals(opts: { model?: string; status?: ApprovalStatus } = {}): Promise<ApprovalRequest[]> {
    return (await this.request<{ requests: ApprovalRequest[] }>('GET', '/model-approvals', { query: { model: opts.model, status: opts.status } })).requests;
  }
  /** Ask a second person to approve a version for production, as `opts.actor`. */
  requestModelApproval(name: string, version: number, body: { reason: string; previous?: 'archived' | 'staging' }, opts: ActingAs = {}): Promise<ApprovalRequest> {
    return this.request('POST', `/models/${seg(name)}/versions/${version}/approval-requests`, { body, headers: actingAs(opts) });
  }
  /** Approve someone else's request: the version enters production. */
  approveModelRequest(id: string, body: { reason?: string; ifRevision?: number } = {}, opts: ActingAs = {}): Promise<ApprovalDecision> {
    return this.request('POST', `/model-approvals/${seg(id)}/approve`, { body, headers: actingAs(opts) });
  }
  rejectModelRequest(id: string, reason: string, opts: ActingAs = {}): Promise<ApprovalDecision> {
    return this.request('POST', `/model-approvals/${seg(id)}/reject`, { body: { reason }, headers: actingAs(opts) });
  }
  withdrawModelRequest(id: string, body: { reason?: string } = {}, opts: ActingAs = {}): Promise<ApprovalDecision> {
    return this.request('POST', `/model-approvals/${seg(id)}/withdraw`, { body, headers: actingAs(opts) });
  }
  /** The ZIP bundle of a version (model, manifest, inference server, README) as a streaming Response. */
  exportModelZip(name: string, version: number | string): Promise<Response> {
    return this.send('GET', `/models/${seg(name)}/versions/${seg(String(version))}/export`, {});
  }

  // ---- live -----------------------------------------------------------------------------

  /**
   * Follow a run: what is stored after the given seqs first, then live, over a WebSocket
   * that reconnects by itself (with backoff) and resumes from the last seqs seen.
   */
  subscribe(runId: string, handlers: RunStreamHandlers, opts: RunSubscribeOptions = {}): RunSubscription {
    return subscribeRun(this.streamUrl(), this.ws(), runId, handlers, opts);
  }

  /** Follow the domain event log (project.created, run.status, …). */
  subscribeEvents(handlers: EventStreamHandlers, opts: { afterSeq?: number; reconnect?: ReconnectOptions } = {}): EventSubscription {
    return subscribeEvents(this.streamUrl(), this.ws(), handlers, opts);
  }

  /** Resolve with the run once it has ended (succeeded, failed, cancelled or lost). */
  waitForRun(id: string, opts: { timeoutMs?: number; onLogs?: RunStreamHandlers['onLogs'] } = {}): Promise<Run> {
    return new Promise<Run>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      const sub = this.subscribe(
        id,
        {
          ...(opts.onLogs ? { onLogs: opts.onLogs } : {}),
          onRun: (run) => {
            if (!TERMINAL.has(run.status)) return;
            if (timer) clearTimeout(timer);
            sub.close();
            resolve(run);
          },
          onError: (err) => {
            if (err.code === 'NOT_FOUND' || err.code === 'DEPENDENCY_MISSING') {
              if (timer) clearTimeout(timer);
              sub.close();
              reject(err);
            }
          },
        },
        { afterLogSeq: opts.onLogs ? 0 : Number.MAX_SAFE_INTEGER, afterMetricSeq: Number.MAX_SAFE_INTEGER },
      );
      if (opts.timeoutMs) {
        timer = setTimeout(() => {
          sub.close();
          reject(new WorkbenchApiError({ code: 'UNAVAILABLE', status: 0, message: `run ${id} had not ended after ${opts.timeoutMs} ms` }));
        }, opts.timeoutMs);
      }
    });
  }
}
