import path from 'node:path';
import type { Artifact } from '@workbench/api';
import { invalid, notFound } from '../errors.js';
import { recordEvent } from '../events.js';
import { newId } from '../ids.js';
import { iso, now } from '../time.js';
import type { Workspace } from '../workspace.js';

/**
 * Artifact names become paths when an artifact is downloaded or exported, so they must be
 * relative and stay inside wherever they are written: no `..`, no absolute paths, no NUL.
 */
export function checkArtifactName(name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 512) throw invalid('an artifact name must be 1-512 characters');
  if (name.includes('\0')) throw invalid('an artifact name cannot contain NUL');
  const posix = name.replace(/\\/g, '/');
  if (posix.startsWith('/') || /^[A-Za-z]:/.test(posix)) throw invalid(`artifact name '${name}' is absolute`, 'name artifacts with a relative path, e.g. model.pkl or checkpoints/epoch-3.pt');
  const parts = posix.split('/');
  if (parts.some((p) => p === '..')) throw invalid(`artifact name '${name}' leaves its folder ('..')`, 'name artifacts with a relative path inside the run, e.g. model.pkl');
  const clean = parts.filter((p) => p !== '' && p !== '.').join('/');
  if (clean.length === 0) throw invalid(`artifact name '${name}' is empty`);
  return clean;
}

type ArtifactRow = { id: string; run_id: string; name: string; kind: string; sha256: string; size: number; created_at: number };
const toArtifact = (r: ArtifactRow): Artifact => ({ id: r.id, runId: r.run_id, name: r.name, kind: r.kind, sha256: r.sha256, size: Number(r.size), createdAt: iso(r.created_at) });

export class Artifacts {
  constructor(private readonly ws: Workspace) {}

  /**
   * Copy a file into the blob store (verified against `sha256` when given) and record it as
   * an artifact of the run. Logging the same name again replaces the earlier version.
   */
  async add(runId: string, input: { name: string; kind?: string; file: string; sha256?: string }): Promise<{ artifact: Artifact; created: boolean }> {
    const name = checkArtifactName(input.name);
    const kind = (input.kind ?? 'file').slice(0, 64);
    const stored = await this.ws.blobs.importFile(path.resolve(input.file), input.sha256 === undefined ? {} : { expectedSha256: input.sha256.toLowerCase() });
    const t = now();
    const row: ArtifactRow = { id: newId(), run_id: runId, name, kind, sha256: stored.sha256, size: stored.size, created_at: t };
    await this.ws.db.transaction().execute(async (trx) => {
      await trx.insertInto('blobs').values({ sha256: stored.sha256, size: stored.size, created_at: t, verified_at: t }).onConflict((oc) => oc.column('sha256').doNothing()).execute();
      const old = await trx.selectFrom('artifacts').select('id').where('run_id', '=', runId).where('name', '=', name).executeTakeFirst();
      if (old) {
        await trx.deleteFrom('blob_refs').where('owner_kind', '=', 'artifact').where('owner_id', '=', old.id).execute();
        await trx.deleteFrom('artifacts').where('id', '=', old.id).execute();
      }
      await trx.insertInto('artifacts').values(row).execute();
      await trx.insertInto('blob_refs').values({ sha256: stored.sha256, owner_kind: 'artifact', owner_id: row.id }).execute();
      await recordEvent(trx, this.ws.actor, { type: 'artifact.added', entityKind: 'run', entityId: runId, payload: { name, kind, sha256: stored.sha256, size: stored.size } });
    });
    this.ws.notify({ runId, events: true });
    return { artifact: toArtifact(row), created: stored.created };
  }

  async list(runId: string): Promise<Artifact[]> {
    const rows = await this.ws.db.selectFrom('artifacts').selectAll().where('run_id', '=', runId).orderBy('name').execute();
    return rows.map(toArtifact);
  }

  async get(runId: string, name: string): Promise<Artifact & { path: string }> {
    const row = await this.ws.db.selectFrom('artifacts').selectAll().where('run_id', '=', runId).where('name', '=', name).executeTakeFirst();
    if (!row) throw notFound('artifact', name, `see the run's artifacts: wb run show ${runId}`);
    return { ...toArtifact(row), path: this.ws.blobs.pathFor(row.sha256) };
  }
}
