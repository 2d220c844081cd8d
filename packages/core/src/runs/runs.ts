import { hasControlCharacters, MAX_KEY_LENGTH } from './keys.js';
import { sql, type Insertable, type Selectable, type Transaction } from 'kysely';
import type { Run, RunStatus } from '@workbench/api';
import type { Database, RunDatasetsTable, RunParamsTable, RunTagsTable, RunsTable } from '../db/schema.js';
import { UserError, invalid, notFound } from '../errors.js';
import { recordEvent, recordEvents, type EventInput } from '../events.js';
import { newId } from '../ids.js';
import { isAlive, hostName, selfIdentity } from '../process-info.js';
import { Projects } from '../projects.js';
import { iso, isoOrNull, now } from '../time.js';
import type { Workspace } from '../workspace.js';
import { appendLogs, type LogIn } from './logs.js';
import { appendMetrics, metricSummaries, type MetricIn } from './metrics.js';
import { assertTransition, isTerminal } from './run-state.js';

type Row = Selectable<RunsTable>;

export interface CreateRunInput {
  project: string;
  name?: string;
  kind?: string;
  command: string[];
  template?: string | null;
  cwd?: string | null;
  params?: Record<string, unknown>;
  tags?: Record<string, string>;
  datasets?: Array<{ datasetId: string; alias: string }>;
}

export interface RunListQuery {
  project?: string;
  status?: RunStatus[];
  /** Substring of the run name. */
  name?: string;
  /** Only runs that read this dataset (its id). */
  dataset?: string;
  /** `created`, `name`, `status`, `started`, `param:<key>`, `metric:<key>` (last), `metric:<key>:min|max|last`. */
  sort?: string;
  desc?: boolean;
  /** Filters like `param:lr>0.01`, `metric:loss:min<0.2`, `param:optimizer=adam`. */
  where?: string[];
  limit?: number;
  offset?: number;
  deleted?: boolean;
  /** Include params, tags and metric summaries (costs a query each per page). */
  details?: boolean;
}

export interface IngestBatch {
  logs?: LogIn[];
  metrics?: MetricIn[];
  params?: Record<string, unknown>;
  tags?: Record<string, string>;
  progress?: { current: number; total: number | null };
}

function paramNum(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

/** The rule the run protocol applies to keys, for params and tags that arrive another way (CLI, API). */
function checkKeys(kind: 'param' | 'tag', values: Record<string, unknown> | undefined): void {
  for (const key of Object.keys(values ?? {})) {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw invalid(`a ${kind} name must be 1-${MAX_KEY_LENGTH} characters, got ${key.length}`, `e.g. --${kind} lr=0.01`);
    if (hasControlCharacters(key)) throw invalid(`a ${kind} name must not contain control characters (newline, tab, …): ${JSON.stringify(key).slice(0, 60)}`);
  }
}

function hasNonFinite(v: unknown, depth = 0): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (v === null || typeof v !== 'object' || depth > 64) return false;
  return (Array.isArray(v) ? v : Object.values(v)).some((x) => hasNonFinite(x, depth + 1));
}

const FILTER = /^(param|metric):([^<>=!]+?)(?::(last|min|max))?\s*(<=|>=|!=|=|<|>)\s*(.*)$/;

/** Runs: creation, the single status writer, listing at scale, and batched ingest. */
export class Runs {
  constructor(private readonly ws: Workspace) {}

  private toRun(r: Row, extra: Partial<Run> = {}): Run {
    return {
      id: r.id,
      projectId: r.project_id,
      name: r.name,
      kind: r.kind,
      status: r.status as RunStatus,
      statusReason: r.status_reason,
      command: JSON.parse(r.command) as string[],
      template: r.template,
      cwd: r.cwd,
      attempt: r.attempt,
      exitCode: r.exit_code,
      createdAt: iso(r.created_at),
      startedAt: isoOrNull(r.started_at),
      endedAt: isoOrNull(r.ended_at),
      progress: r.progress_current == null ? null : { current: r.progress_current, total: r.progress_total },
      device: r.device,
      host: r.host,
      deletedAt: isoOrNull(r.deleted_at),
      params: {},
      tags: {},
      ...extra,
    };
  }

  async create(input: CreateRunInput): Promise<Run> {
    const [id] = await this.createMany([input]);
    return this.get(id!);
  }

  /**
   * Create runs in one transaction (sweeps, imports): multi-row inserts, one event per run.
   * Returns the new ids in input order.
   */
  async createMany(inputs: CreateRunInput[]): Promise<string[]> {
    const projects = new Projects(this.ws);
    const projectIds = new Map<string, { id: string; name: string }>();
    for (const input of inputs) {
      if (!projectIds.has(input.project)) projectIds.set(input.project, await projects.resolve(input.project));
      const name = input.name;
      if (name !== undefined && (name.length === 0 || name.length > 200 || /[\n\r]/.test(name))) throw invalid('a run name must be 1-200 characters on one line');
      checkKeys('param', input.params);
      checkKeys('tag', input.tags);
      for (const [key, value] of Object.entries(input.params ?? {})) {
        // JSON has no NaN or Infinity: stored, the value would silently become null.
        if (hasNonFinite(value)) throw invalid(`param '${key}' holds NaN or Infinity, which a param cannot keep`, 'pass it as text ("inf"), or leave the param out');
      }
    }
    // The creating process supervises the run (until it hands it on), so a crash between
    // creation and start still leaves a run that recoverOrphans can mark lost.
    const self = selfIdentity();
    const t = now();
    const ids = inputs.map(() => newId());
    await this.ws.db.transaction().execute(async (trx) => {
      const rows: Array<Insertable<RunsTable>> = [];
      const params: Array<Insertable<RunParamsTable>> = [];
      const tags: Array<Insertable<RunTagsTable>> = [];
      const datasets: Array<Insertable<RunDatasetsTable>> = [];
      const events: EventInput[] = [];
      for (const [i, input] of inputs.entries()) {
        const project = projectIds.get(input.project)!;
        const id = ids[i]!;
        let name = input.name;
        if (name === undefined) {
          const { run_counter } = await trx
            .updateTable('projects')
            .set((eb) => ({ run_counter: eb('run_counter', '+', 1) }))
            .where('id', '=', project.id)
            .returning('run_counter')
            .executeTakeFirstOrThrow();
          name = `run-${run_counter}`;
        }
        rows.push({
          id,
          project_id: project.id,
          name,
          kind: input.kind ?? 'train',
          status: 'queued',
          command: JSON.stringify(input.command),
          template: input.template ?? null,
          cwd: input.cwd ?? null,
          attempt: 1,
          created_at: t,
          host: self.host,
          supervisor_pid: self.pid,
          supervisor_start: self.start,
          log_seq: 0,
          metric_seq: 0,
        });
        for (const [key, v] of Object.entries(input.params ?? {})) params.push({ run_id: id, key, value: JSON.stringify(v ?? null), num: paramNum(v) });
        for (const [key, value] of Object.entries(input.tags ?? {})) tags.push({ run_id: id, key, value: String(value) });
        for (const d of input.datasets ?? []) datasets.push({ run_id: id, dataset_id: d.datasetId, alias: d.alias });
        events.push({ type: 'run.created', entityKind: 'run', entityId: id, payload: { project: project.name, name, command: input.command, template: input.template ?? null } });
      }
      // SQLite binds at most 32766 values per statement.
      for (let i = 0; i < rows.length; i += 1000) await trx.insertInto('runs').values(rows.slice(i, i + 1000)).execute();
      for (let i = 0; i < params.length; i += 5000) await trx.insertInto('run_params').values(params.slice(i, i + 5000)).execute();
      for (let i = 0; i < tags.length; i += 5000) await trx.insertInto('run_tags').values(tags.slice(i, i + 5000)).execute();
      for (let i = 0; i < datasets.length; i += 5000) await trx.insertInto('run_datasets').values(datasets.slice(i, i + 5000)).execute();
      await recordEvents(trx, this.ws.actor, events);
    });
    for (const id of ids) this.ws.notify({ runId: id });
    this.ws.notify({ events: true });
    return ids;
  }

  private async writeParams(trx: Transaction<Database>, runId: string, params: Record<string, unknown>): Promise<void> {
    const rows = Object.entries(params).map(([key, v]) => ({ run_id: runId, key, value: JSON.stringify(v ?? null), num: paramNum(v) }));
    for (let i = 0; i < rows.length; i += 1000) {
      await trx
        .insertInto('run_params')
        .values(rows.slice(i, i + 1000))
        .onConflict((oc) => oc.columns(['run_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), num: eb.ref('excluded.num') })))
        .execute();
    }
  }

  private async writeTags(trx: Transaction<Database>, runId: string, tags: Record<string, string>): Promise<void> {
    const rows = Object.entries(tags).map(([key, value]) => ({ run_id: runId, key, value: String(value) }));
    for (let i = 0; i < rows.length; i += 1000) {
      await trx
        .insertInto('run_tags')
        .values(rows.slice(i, i + 1000))
        .onConflict((oc) => oc.columns(['run_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
        .execute();
    }
  }

  /**
   * Runs are named by id, but a new user types the name they gave (`wb run show baseline`):
   * point at the id(s) rather than say only "not found".
   */
  private async notFoundHint(ref: string, deleted: boolean): Promise<string> {
    const named = await this.ws.db
      .selectFrom('runs')
      .innerJoin('projects', 'projects.id', 'runs.project_id')
      .select(['runs.id', 'projects.name as project'])
      .where('runs.name', '=', ref)
      .where('runs.deleted_at', deleted ? 'is not' : 'is', null)
      .orderBy('runs.id', 'desc')
      .limit(2)
      .execute();
    const cmd = deleted ? 'wb run restore' : 'wb run show';
    if (named.length === 1) return `'${ref}' is the name of run ${named[0]!.id} (${named[0]!.project}); runs are named by id: ${cmd} ${named[0]!.id}`;
    const arg = /^[\w.@:/-]+$/.test(ref) ? ref : `'${ref.replace(/'/g, `'\\''`)}'`;
    if (named.length > 1) return `several runs are named '${ref}'; runs are named by id: wb run list --name ${arg}${deleted ? ' --deleted' : ''}`;
    return /^[0-9a-z]{1,3}$/.test(ref) ? 'give at least 4 characters of the run id: see wb run list' : 'see wb run list';
  }

  /** A run by id or by a unique id prefix (at least 4 characters). */
  async row(ref: string, opts: { deleted?: boolean } = {}): Promise<Row> {
    const rows = /^[0-9a-z]{4,26}$/.test(ref)
      ? await this.ws.db
          .selectFrom('runs')
          .selectAll()
          .where((eb) => (ref.length === 18 ? eb('id', '=', ref) : eb('id', '>=', ref).and('id', '<', ref + '~')))
          .where('deleted_at', opts.deleted ? 'is not' : 'is', null)
          .limit(2)
          .execute()
      : [];
    if (rows.length === 0) throw notFound(opts.deleted ? 'deleted run' : 'run', ref, await this.notFoundHint(ref, opts.deleted ?? false));
    if (rows.length > 1) throw new UserError('AMBIGUOUS', `more than one run id starts with '${ref}'`, { hint: 'type more characters of the id' });
    return rows[0]!;
  }

  async get(ref: string, opts: { deleted?: boolean } = {}): Promise<Run> {
    const r = await this.row(ref, opts);
    const [params, tags, metrics, datasets, project] = await Promise.all([
      this.ws.db.selectFrom('run_params').select(['key', 'value']).where('run_id', '=', r.id).orderBy('key').execute(),
      this.ws.db.selectFrom('run_tags').select(['key', 'value']).where('run_id', '=', r.id).orderBy('key').execute(),
      metricSummaries(this.ws.db, r.id),
      this.ws.db
        .selectFrom('run_datasets')
        .innerJoin('datasets', 'datasets.id', 'run_datasets.dataset_id')
        .select(['datasets.id', 'datasets.name', 'datasets.version', 'datasets.fingerprint'])
        .where('run_datasets.run_id', '=', r.id)
        .execute(),
      this.ws.db.selectFrom('projects').select('name').where('id', '=', r.project_id).executeTakeFirst(),
    ]);
    return this.toRun(r, {
      projectName: project?.name ?? '',
      params: Object.fromEntries(params.map((p) => [p.key, JSON.parse(p.value) as unknown])),
      tags: Object.fromEntries(tags.map((t) => [t.key, t.value])),
      metrics,
      datasets,
    });
  }

  async list(q: RunListQuery = {}): Promise<{ runs: Run[]; total: number }> {
    let query = this.ws.db.selectFrom('runs').innerJoin('projects', 'projects.id', 'runs.project_id').where('runs.deleted_at', q.deleted ? 'is not' : 'is', null);
    if (q.project) {
      const p = await new Projects(this.ws).resolve(q.project);
      query = query.where('runs.project_id', '=', p.id);
    } else {
      query = query.where('projects.deleted_at', 'is', null);
    }
    if (q.status && q.status.length > 0) query = query.where('runs.status', 'in', q.status);
    if (q.name) query = query.where('runs.name', 'like', `%${q.name}%`);
    if (q.dataset) {
      const datasetId = q.dataset;
      query = query.where((eb) => eb.exists(eb.selectFrom('run_datasets').select(sql.lit(1).as('one')).whereRef('run_datasets.run_id', '=', 'runs.id').where('run_datasets.dataset_id', '=', datasetId)));
    }
    for (const [i, w] of (q.where ?? []).entries()) {
      const m = FILTER.exec(w.trim());
      if (!m) throw invalid(`cannot read the filter '${w}'`, "write it like param:lr>0.01, metric:loss:min<0.2 or param:optimizer=adam");
      const [, kind, key, agg, op, rawValue] = m as unknown as [string, 'param' | 'metric', string, string | undefined, string, string];
      const num = Number(rawValue);
      const numeric = rawValue.trim() !== '' && Number.isFinite(num);
      // 'param:lr>NaN' reads like a number but orders nothing: refuse it rather than fall back
      // to comparing text, which would match every numeric value.
      if (/^[-+]?(nan|inf|infinity)$/i.test(rawValue.trim()) && op !== '=' && op !== '!=') {
        throw invalid(`'${w}' compares with ${rawValue.trim()}, which has no order`, 'compare with a finite number, e.g. param:lr>0.01');
      }
      const textOrder = !numeric && op !== '=' && op !== '!=';
      const alias = `f${i}`;
      if (kind === 'param') {
        query = query.where((eb) =>
          eb.exists(
            eb
              .selectFrom(`run_params as ${alias}` as 'run_params')
              .select(sql.lit(1).as('one'))
              .where(sql.ref(`${alias}.run_id`), '=', sql.ref('runs.id'))
              .where(sql.ref(`${alias}.key`), '=', key)
              // Text ordered against text only: a number's JSON would otherwise sort beside strings.
              .$if(textOrder, (qb) => qb.where(sql.ref(`${alias}.num`), 'is', null).where(sql.ref(`${alias}.value`), 'like', '"%'))
              .where(numeric ? sql.ref(`${alias}.num`) : sql.ref(`${alias}.value`), op as '=', numeric ? num : JSON.stringify(rawValue)),
          ),
        );
      } else {
        if (!numeric) throw invalid(`metric filters compare numbers: '${w}'`);
        query = query.where((eb) =>
          eb.exists(
            eb
              .selectFrom(`run_metrics as ${alias}` as 'run_metrics')
              .select(sql.lit(1).as('one'))
              .where(sql.ref(`${alias}.run_id`), '=', sql.ref('runs.id'))
              .where(sql.ref(`${alias}.key`), '=', key)
              .where(sql.ref(`${alias}.${agg ?? 'last'}`), op as '=', num),
          ),
        );
      }
    }
    const { total } = await query.select((e) => e.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();

    let sorted = query.selectAll('runs').select('projects.name as project_name');
    const dir = q.desc ?? true ? 'desc' : 'asc';
    const sort = q.sort ?? 'created';
    const sm = /^(param|metric):(.+?)(?::(last|min|max))?$/.exec(sort);
    if (sm) {
      const [, kind, key, agg] = sm as unknown as [string, string, string, string | undefined];
      if (kind === 'param') {
        sorted = sorted
          .leftJoin('run_params as sp', (j) => j.onRef('sp.run_id', '=', 'runs.id').on('sp.key', '=', key))
          // Rows without the param sort last in either direction.
          .orderBy(sql`sp.num is null and sp.value is null`)
          .orderBy(sql.ref('sp.num'), dir)
          .orderBy(sql.ref('sp.value'), dir);
      } else {
        const col = agg ?? 'last';
        sorted = sorted.leftJoin('run_metrics as sm', (j) => j.onRef('sm.run_id', '=', 'runs.id').on('sm.key', '=', key)).orderBy(sql`${sql.ref(`sm.${col}`)} is null`).orderBy(sql.ref(`sm.${col}`), dir);
      }
    } else {
      const column = ({ created: 'runs.created_at', name: 'runs.name', status: 'runs.status', started: 'runs.started_at' } as const)[sort as 'created'];
      if (!column) throw invalid(`cannot sort by '${sort}'`, 'sort by created, name, status, started, param:<key> or metric:<key>[:min|max|last]');
      sorted = sorted.orderBy(column, dir);
    }
    const rows = await sorted
      .orderBy('runs.id', dir)
      .limit(Math.min(q.limit ?? 100, 10_000))
      .offset(q.offset ?? 0)
      .execute();
    let runs = rows.map((r) => this.toRun(r, { projectName: r.project_name }));
    if (q.details && runs.length > 0) runs = await this.attachDetails(runs);
    return { runs, total: Number(total) };
  }

  private async attachDetails(runs: Run[]): Promise<Run[]> {
    const ids = runs.map((r) => r.id);
    const byId = new Map(runs.map((r) => [r.id, r]));
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const [params, tags, metrics] = await Promise.all([
        this.ws.db.selectFrom('run_params').select(['run_id', 'key', 'value']).where('run_id', 'in', chunk).execute(),
        this.ws.db.selectFrom('run_tags').select(['run_id', 'key', 'value']).where('run_id', 'in', chunk).execute(),
        this.ws.db.selectFrom('run_metrics').selectAll().where('run_id', 'in', chunk).orderBy('key').execute(),
      ]);
      for (const p of params) byId.get(p.run_id)!.params[p.key] = JSON.parse(p.value) as unknown;
      for (const t of tags) byId.get(t.run_id)!.tags[t.key] = t.value;
      for (const m of metrics) {
        const run = byId.get(m.run_id)!;
        (run.metrics ??= []).push({ key: m.key, last: m.last, lastStep: m.last_step, min: m.min, max: m.max, count: Number(m.count) });
      }
    }
    return runs;
  }

  /**
   * The only place a run's status changes. Checks the transition table, stamps times and
   * records a `run.status` event in the same transaction.
   */
  async transition(runId: string, to: RunStatus, opts: { reason?: string | null; exitCode?: number | null; onlyFrom?: RunStatus[] } = {}): Promise<Run> {
    await this.ws.db.transaction().execute(async (trx) => {
      const r = await trx.selectFrom('runs').select(['status']).where('id', '=', runId).executeTakeFirst();
      if (!r) throw notFound('run', runId);
      const from = r.status as RunStatus;
      if (opts.onlyFrom && !opts.onlyFrom.includes(from)) return;
      assertTransition(runId, from, to);
      const t = now();
      // Back to queued is a resume: the next attempt, supervised by this process.
      const resume = to === 'queued';
      const self = resume ? selfIdentity() : null;
      await trx
        .updateTable('runs')
        .set((eb) => ({
          status: to,
          status_reason: opts.reason ?? null,
          ...(to === 'running' ? { started_at: t, heartbeat_at: t } : {}),
          ...(isTerminal(to) ? { ended_at: t } : {}),
          ...(opts.exitCode !== undefined ? { exit_code: opts.exitCode } : {}),
          ...(self
            ? { attempt: eb('attempt', '+', 1), ended_at: null, exit_code: null, cancel_requested_at: null, child_pid: null, progress_current: null, progress_total: null, supervisor_pid: self.pid, supervisor_start: self.start, host: self.host }
            : {}),
        }))
        .where('id', '=', runId)
        .execute();
      await recordEvent(trx, this.ws.actor, { type: resume ? 'run.resumed' : 'run.status', entityKind: 'run', entityId: runId, payload: { from, to, reason: opts.reason ?? null, exitCode: opts.exitCode ?? null } });
    });
    this.ws.notify({ runId, events: true });
    return this.get(runId);
  }

  /** Record who supervises a run, so that another process can tell when it died. */
  async attachSupervisor(runId: string, s: { pid: number; start: string | null; host: string; childPid: number | null; device?: string | null; cwd?: string }): Promise<void> {
    await this.ws.db
      .updateTable('runs')
      .set({ supervisor_pid: s.pid, supervisor_start: s.start, host: s.host, child_pid: s.childPid, heartbeat_at: now(), ...(s.device !== undefined ? { device: s.device } : {}), ...(s.cwd ? { cwd: s.cwd } : {}) })
      .where('id', '=', runId)
      .execute();
  }

  async heartbeat(runId: string): Promise<void> {
    await this.ws.db.updateTable('runs').set({ heartbeat_at: now() }).where('id', '=', runId).execute();
  }

  /** Ask a run's supervisor (in whatever process it lives) to stop it. */
  async requestCancel(ref: string): Promise<Run> {
    const r = await this.row(ref);
    if (isTerminal(r.status as RunStatus)) throw new UserError('CONFLICT', `run ${r.id} has already ended (${r.status})`);
    await this.ws.db.transaction().execute(async (trx) => {
      await trx.updateTable('runs').set({ cancel_requested_at: now() }).where('id', '=', r.id).execute();
      await recordEvent(trx, this.ws.actor, { type: 'run.cancel_requested', entityKind: 'run', entityId: r.id });
    });
    this.ws.notify({ runId: r.id, events: true });
    // A queued run has no process yet: cancel it here (its supervisor checks the status
    // before starting it). A run whose supervisor is gone has nobody to act on the request.
    if (r.status === 'queued') return this.transition(r.id, 'cancelled', { reason: 'cancelled before it started', onlyFrom: ['queued'] });
    if (r.supervisor_pid != null && r.host === hostName() && !isAlive(r.supervisor_pid, r.supervisor_start)) {
      return this.transition(r.id, 'lost', { reason: 'its supervisor had already stopped', onlyFrom: ['queued', 'running'] });
    }
    return this.get(r.id);
  }

  async cancelRequested(runId: string): Promise<boolean> {
    const r = await this.ws.db.selectFrom('runs').select('cancel_requested_at').where('id', '=', runId).executeTakeFirst();
    return r?.cancel_requested_at != null;
  }

  /** Store a batch from a running process in one transaction. */
  async ingest(runId: string, b: IngestBatch): Promise<{ logSeq: number; metricSeq: number }> {
    let logSeq = 0;
    let metricSeq = 0;
    await this.ws.db.transaction().execute(async (trx) => {
      if (b.logs?.length) logSeq = await appendLogs(trx, runId, b.logs);
      if (b.metrics?.length) metricSeq = await appendMetrics(trx, this.ws, runId, b.metrics);
      if (b.params && Object.keys(b.params).length) await this.writeParams(trx, runId, b.params);
      if (b.tags && Object.keys(b.tags).length) await this.writeTags(trx, runId, b.tags);
      if (b.progress) await trx.updateTable('runs').set({ progress_current: b.progress.current, progress_total: b.progress.total, heartbeat_at: now() }).where('id', '=', runId).execute();
    });
    this.ws.notify({ runId });
    return { logSeq, metricSeq };
  }

  async setTags(ref: string, tags: Record<string, string>): Promise<Run> {
    checkKeys('tag', tags);
    const r = await this.row(ref);
    await this.ws.db.transaction().execute(async (trx) => {
      await this.writeTags(trx, r.id, tags);
      await recordEvent(trx, this.ws.actor, { type: 'run.tagged', entityKind: 'run', entityId: r.id, payload: tags });
    });
    this.ws.notify({ runId: r.id, events: true });
    return this.get(r.id);
  }

  async move(ref: string, project: string): Promise<Run> {
    const r = await this.row(ref);
    const p = await new Projects(this.ws).resolve(project);
    await this.ws.db.transaction().execute(async (trx) => {
      await trx.updateTable('runs').set({ project_id: p.id }).where('id', '=', r.id).execute();
      await recordEvent(trx, this.ws.actor, { type: 'run.moved', entityKind: 'run', entityId: r.id, payload: { from: r.project_id, to: p.id } });
    });
    this.ws.notify({ runId: r.id, events: true });
    return this.get(r.id);
  }

  async delete(ref: string): Promise<Run> {
    const r = await this.row(ref);
    if (!isTerminal(r.status as RunStatus)) throw new UserError('CONFLICT', `run ${r.id} is ${r.status}`, { hint: `cancel it first: wb run cancel ${r.id}` });
    await this.ws.db.transaction().execute(async (trx) => {
      await trx.updateTable('runs').set({ deleted_at: now() }).where('id', '=', r.id).execute();
      await recordEvent(trx, this.ws.actor, { type: 'run.deleted', entityKind: 'run', entityId: r.id });
    });
    this.ws.notify({ events: true });
    return this.get(r.id, { deleted: true });
  }

  async restore(ref: string): Promise<Run> {
    const r = await this.row(ref, { deleted: true });
    await this.ws.db.transaction().execute(async (trx) => {
      await trx.updateTable('runs').set({ deleted_at: null }).where('id', '=', r.id).execute();
      await recordEvent(trx, this.ws.actor, { type: 'run.restored', entityKind: 'run', entityId: r.id });
    });
    this.ws.notify({ runId: r.id, events: true });
    return this.get(r.id);
  }

  /**
   * Runs that say `queued`/`running` but whose supervising process on this machine is gone
   * (killed, crashed, machine rebooted) become `lost`, so no run stays running forever.
   */
  async recoverOrphans(): Promise<string[]> {
    const host = hostName();
    const rows = await this.ws.db.selectFrom('runs').select(['id', 'status', 'supervisor_pid', 'supervisor_start', 'host', 'child_pid']).where('status', 'in', ['queued', 'running']).execute();
    const lost: string[] = [];
    for (const r of rows) {
      if (r.host !== host || r.supervisor_pid == null) continue;
      if (isAlive(r.supervisor_pid, r.supervisor_start)) continue;
      // The training process may outlive its supervisor; nothing records it any more, so stop it.
      if (r.child_pid != null) {
        try {
          process.kill(-r.child_pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
      await this.transition(r.id, 'lost', { reason: `its supervisor (pid ${r.supervisor_pid}) stopped without ending the run`, onlyFrom: ['queued', 'running'] });
      lost.push(r.id);
    }
    return lost;
  }
}
