import type { Project } from '@workbench/api';
import type { Selectable } from 'kysely';
import type { ProjectsTable } from './db/schema.js';
import { UserError, invalid, notFound } from './errors.js';
import { recordEvent } from './events.js';
import { newId } from './ids.js';
import { checkName } from './names.js';
import { iso, isoOrNull, now } from './time.js';
import type { Workspace } from './workspace.js';

type Row = Omit<Selectable<ProjectsTable>, 'run_counter'>;

const toProject = (r: Row, counts?: { runs: number; datasets: number }): Project => ({
  id: r.id,
  name: r.name,
  description: r.description,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
  deletedAt: isoOrNull(r.deleted_at),
  ...(counts ? { runCount: counts.runs, datasetCount: counts.datasets } : {}),
});

function isUniqueViolation(err: unknown): boolean {
  return String((err as Error)?.message ?? '').includes('UNIQUE constraint failed');
}

/** The HTTP API's limit, kept here so the CLI cannot store what the API would refuse. */
const MAX_DESCRIPTION = 10_000;
function checkDescription(description: string): void {
  if (description.length > MAX_DESCRIPTION) throw invalid(`a project description must be at most ${MAX_DESCRIPTION} characters, got ${description.length}`, 'shorten it');
}

export class Projects {
  constructor(private readonly ws: Workspace) {}

  async create(name: string, description = ''): Promise<Project> {
    checkDescription(description);
    checkName('project', name);
    const t = now();
    const row: Row = { id: newId(), name, description, created_at: t, updated_at: t, deleted_at: null };
    try {
      await this.ws.db.transaction().execute(async (trx) => {
        await trx.insertInto('projects').values(row).execute();
        await recordEvent(trx, this.ws.actor, { type: 'project.created', entityKind: 'project', entityId: row.id, payload: { name } });
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new UserError('NAME_TAKEN', `a project named '${name}' already exists`, { hint: `pick another name, or use the existing one: wb project show ${name}` });
      }
      throw err;
    }
    this.ws.notify({ events: true });
    return toProject(row);
  }

  async list(opts: { deleted?: boolean } = {}): Promise<Project[]> {
    const rows = await this.ws.db
      .selectFrom('projects')
      .select(['projects.id', 'projects.name', 'projects.description', 'projects.created_at', 'projects.updated_at', 'projects.deleted_at'])
      .select((eb) => [
        eb.selectFrom('runs').select((e) => e.fn.countAll<number>().as('c')).whereRef('runs.project_id', '=', 'projects.id').where('runs.deleted_at', 'is', null).as('run_count'),
        eb.selectFrom('datasets').select((e) => e.fn.countAll<number>().as('c')).whereRef('datasets.project_id', '=', 'projects.id').where('datasets.deleted_at', 'is', null).as('dataset_count'),
      ])
      .where('deleted_at', opts.deleted ? 'is not' : 'is', null)
      .orderBy('name')
      .execute();
    return rows.map((r) => toProject(r, { runs: Number(r.run_count ?? 0), datasets: Number(r.dataset_count ?? 0) }));
  }

  /** A live project's id and name, by name or id: the cheap lookup for other services. */
  async resolve(ref: string): Promise<{ id: string; name: string }> {
    const row = await this.ws.db
      .selectFrom('projects')
      .select(['id', 'name'])
      .where((eb) => eb.or([eb('name', '=', ref), eb('id', '=', ref)]))
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!row) throw notFound('project', ref, await this.missingHint(ref));
    return row;
  }

  /** A project that is not live may be in the trash: say how to bring it back rather than to create it. */
  private async missingHint(ref: string): Promise<string> {
    const trashed = await this.ws.db
      .selectFrom('projects')
      .select('id')
      .where((eb) => eb.or([eb('name', '=', ref), eb('id', '=', ref)]))
      .where('deleted_at', 'is not', null)
      .executeTakeFirst();
    if (trashed) return `it is in the trash: wb project restore ${ref}`;
    return 'see the projects: wb project list, or create it: wb project create ' + ref;
  }

  /** Find a live project by name or id (or, with `deleted`, one in the trash). */
  async get(ref: string, opts: { deleted?: boolean } = {}): Promise<Project> {
    const rows = await this.ws.db
      .selectFrom('projects')
      .select(['id', 'name', 'description', 'created_at', 'updated_at', 'deleted_at'])
      .where((eb) => eb.or([eb('name', '=', ref), eb('id', '=', ref)]))
      .where('deleted_at', opts.deleted ? 'is not' : 'is', null)
      .orderBy('deleted_at', 'desc')
      .execute();
    const row = rows[0];
    if (!row) {
      throw notFound(opts.deleted ? 'deleted project' : 'project', ref, opts.deleted ? 'see the trash: wb project list --deleted' : await this.missingHint(ref));
    }
    const [runs, datasets] = await Promise.all([
      this.ws.db.selectFrom('runs').select((e) => e.fn.countAll<number>().as('c')).where('project_id', '=', row.id).where('deleted_at', 'is', null).executeTakeFirstOrThrow(),
      this.ws.db.selectFrom('datasets').select((e) => e.fn.countAll<number>().as('c')).where('project_id', '=', row.id).where('deleted_at', 'is', null).executeTakeFirstOrThrow(),
    ]);
    return toProject(row, { runs: Number(runs.c), datasets: Number(datasets.c) });
  }

  async rename(ref: string, newName: string): Promise<Project> {
    checkName('project', newName);
    const p = await this.get(ref);
    try {
      await this.ws.db.transaction().execute(async (trx) => {
        await trx.updateTable('projects').set({ name: newName, updated_at: now() }).where('id', '=', p.id).execute();
        await recordEvent(trx, this.ws.actor, { type: 'project.renamed', entityKind: 'project', entityId: p.id, payload: { from: p.name, to: newName } });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new UserError('NAME_TAKEN', `a project named '${newName}' already exists`, { hint: 'pick another name' });
      throw err;
    }
    this.ws.notify({ events: true });
    return this.get(p.id);
  }

  async describe(ref: string, description: string): Promise<Project> {
    checkDescription(description);
    const p = await this.get(ref);
    await this.ws.db.transaction().execute(async (trx) => {
      await trx.updateTable('projects').set({ description, updated_at: now() }).where('id', '=', p.id).execute();
      await recordEvent(trx, this.ws.actor, { type: 'project.updated', entityKind: 'project', entityId: p.id, payload: { description } });
    });
    this.ws.notify({ events: true });
    return this.get(p.id);
  }

  /**
   * Soft delete: the project, its runs, datasets and registered models go to the trash
   * together and can be restored. Refused while the project has runs, unless `force`.
   */
  async delete(ref: string, opts: { force?: boolean } = {}): Promise<Project> {
    const p = await this.get(ref);
    if ((p.runCount ?? 0) > 0 && !opts.force) {
      throw new UserError('CONFLICT', `project '${p.name}' has ${p.runCount} run(s)`, { hint: `delete it with its runs: wb project delete ${p.name} --force (it goes to the trash; wb project restore brings it back)` });
    }
    const t = now();
    await this.ws.db.transaction().execute(async (trx) => {
      await trx.updateTable('projects').set({ deleted_at: t, updated_at: t }).where('id', '=', p.id).execute();
      await trx.updateTable('runs').set({ deleted_at: t }).where('project_id', '=', p.id).where('deleted_at', 'is', null).execute();
      await trx.updateTable('datasets').set({ deleted_at: t }).where('project_id', '=', p.id).where('deleted_at', 'is', null).execute();
      // Registered models go with their project (and come back with it): a model left live in
      // a trashed project would be purged under its users' feet by `wb gc`.
      await trx.updateTable('models').set({ deleted_at: t }).where('project_id', '=', p.id).where('deleted_at', 'is', null).execute();
      await recordEvent(trx, this.ws.actor, { type: 'project.deleted', entityKind: 'project', entityId: p.id, payload: { name: p.name, runs: p.runCount, datasets: p.datasetCount } });
    });
    this.ws.notify({ events: true });
    return { ...p, deletedAt: iso(t) };
  }

  /** Bring a project back from the trash with the runs and datasets deleted with it. */
  async restore(ref: string): Promise<Project> {
    const p = await this.get(ref, { deleted: true });
    const deletedAt = Date.parse(p.deletedAt!);
    try {
      await this.ws.db.transaction().execute(async (trx) => {
        await trx.updateTable('projects').set({ deleted_at: null, updated_at: now() }).where('id', '=', p.id).execute();
        await trx.updateTable('runs').set({ deleted_at: null }).where('project_id', '=', p.id).where('deleted_at', '=', deletedAt).execute();
        await trx.updateTable('datasets').set({ deleted_at: null }).where('project_id', '=', p.id).where('deleted_at', '=', deletedAt).execute();
        await trx.updateTable('models').set({ deleted_at: null }).where('project_id', '=', p.id).where('deleted_at', '=', deletedAt).execute();
        await recordEvent(trx, this.ws.actor, { type: 'project.restored', entityKind: 'project', entityId: p.id, payload: { name: p.name } });
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw new UserError('NAME_TAKEN', `a live project or model already has a name this project (or one of its models) would take back: '${p.name}' or one of its model names`, {
          hint: `rename the live one first (wb project rename, or delete the live model), then restore`,
        });
      throw err;
    }
    this.ws.notify({ events: true });
    return this.get(p.id);
  }
}
