import { randomBytes } from 'node:crypto';
import { linkSync, renameSync, statSync, unlinkSync, type Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { removeTree, yieldToLoop } from './datasets/fs-util.js';
import { HASH_CACHE_TTL_MS, SqliteHashCache } from './datasets/hash-cache.js';
import { fromSystemError, invalid } from './errors.js';
import { recordEvent } from './events.js';
import { now } from './time.js';
import type { Workspace } from './workspace.js';

/** A blob younger than this with no reference yet may belong to an import in progress. */
export const GC_GRACE_MS = 10 * 60_000;

const HEX64 = /^[0-9a-f]{64}$/;
const HEX2 = /^[0-9a-f]{2}$/;
const BATCH = 500;

export interface CollectOptions {
  dryRun?: boolean;
  /** Keep unreferenced blobs modified this recently (default 10 minutes). Tests lower it. */
  graceMs?: number;
}

export interface CollectResult {
  blobsRemoved: number;
  bytesFreed: number;
  /** Unreferenced blobs kept because they are recent (an import may be about to claim them). */
  blobsKept: number;
  dryRun: boolean;
}

interface BlobOnDisk {
  sha256: string;
  size: number;
  mtimeMs: number;
}

async function listBlobFiles(root: string): Promise<BlobOnDisk[]> {
  const out: BlobOnDisk[] = [];
  const base = path.join(root, 'sha256');
  const level = async (dir: string): Promise<Dirent[]> => {
    try {
      return await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw fromSystemError(err, `reading ${dir}`);
    }
  };
  for (const a of await level(base)) {
    if (!a.isDirectory() || !HEX2.test(a.name)) continue;
    for (const b of await level(path.join(base, a.name))) {
      if (!b.isDirectory() || !HEX2.test(b.name)) continue;
      const dir = path.join(base, a.name, b.name);
      for (const f of await level(dir)) {
        if (!HEX64.test(f.name) || !f.name.startsWith(a.name + b.name)) continue;
        const st = statSync(path.join(dir, f.name), { throwIfNoEntry: false });
        if (st?.isFile()) out.push({ sha256: f.name, size: st.size, mtimeMs: st.mtimeMs });
      }
      await yieldToLoop();
    }
  }
  return out;
}

function chunks<T>(items: T[], n = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

/**
 * Delete blobs nothing references: blob files and `blobs` rows with no `blob_refs` row (and,
 * as a safety net, not named by any artifact row). A blob modified within the grace period is
 * kept even when unreferenced: an import writes (or touches) its blobs first and commits the
 * rows that reference them after. Each deletion re-checks the references under the write
 * lock and moves the file aside before looking at its age once more, so a concurrent import
 * either sees the blob gone (and stores it again) or has made it recent (and it is put back).
 */
export async function collectBlobs(ws: Workspace, opts: CollectOptions = {}): Promise<CollectResult> {
  return collect(ws, opts, { owners: new Set(), runIds: new Set() });
}

/** `ignore`: owners (`kind:id`) and runs whose hold on blobs a dry run of a purge must not count. */
async function collect(ws: Workspace, opts: CollectOptions, ignore: { owners: ReadonlySet<string>; runIds: ReadonlySet<string> }): Promise<CollectResult> {
  const graceMs = opts.graceMs ?? GC_GRACE_MS;
  const dryRun = opts.dryRun ?? false;
  const onDisk = await listBlobFiles(ws.blobs.root);
  const diskShas = new Set(onDisk.map((b) => b.sha256));
  const rows = await ws.db.selectFrom('blobs').select(['sha256', 'size', 'created_at']).execute();
  const artifactShas = new Set(
    (await ws.db.selectFrom('artifacts').select(['sha256', 'run_id']).execute()).filter((a) => !ignore.runIds.has(a.run_id)).map((a) => a.sha256),
  );

  const referenced = async (shas: string[]): Promise<Set<string>> => {
    const held = new Set<string>();
    for (const part of chunks(shas)) {
      const refs = await ws.db.selectFrom('blob_refs').select(['sha256', 'owner_kind', 'owner_id']).where('sha256', 'in', part).execute();
      for (const r of refs) if (!ignore.owners.has(`${r.owner_kind}:${r.owner_id}`)) held.add(r.sha256);
    }
    for (const s of shas) if (artifactShas.has(s)) held.add(s);
    return held;
  };

  const t = Date.now();
  const held = await referenced([...new Set([...diskShas, ...rows.map((r) => r.sha256)])]);
  const fileCandidates = onDisk.filter((b) => !held.has(b.sha256));
  const rowOnly = rows.filter((r) => !held.has(r.sha256) && !diskShas.has(r.sha256) && t - Number(r.created_at) >= graceMs).map((r) => r.sha256);
  const old = fileCandidates.filter((b) => t - b.mtimeMs >= graceMs);
  const kept = fileCandidates.length - old.length;

  if (dryRun) {
    let bytes = 0;
    for (const b of old) bytes += b.size;
    return { blobsRemoved: old.length, bytesFreed: bytes, blobsKept: kept, dryRun: true };
  }

  let blobsRemoved = 0;
  let bytesFreed = 0;
  let blobsKept = kept;
  const asideDir = path.join(ws.blobs.root, 'tmp');
  for (const part of chunks(old, 200)) {
    await ws.db.transaction().execute(async (trx) => {
      // Under the write lock: an import that committed its refs meanwhile wins.
      const still = new Set((await trx.selectFrom('blob_refs').select('sha256').where('sha256', 'in', part.map((b) => b.sha256)).execute()).map((r) => r.sha256));
      const gone: string[] = [];
      for (const b of part) {
        if (still.has(b.sha256)) continue;
        const final = ws.blobs.pathFor(b.sha256);
        const aside = path.join(asideDir, `gc-${process.pid}-${randomBytes(8).toString('hex')}`);
        // Synchronous calls: thousands of small ones, several times faster than async ones.
        try {
          renameSync(final, aside);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fromSystemError(err, 'collecting a blob');
          await trx.deleteFrom('blobs').where('sha256', '=', b.sha256).execute();
          continue;
        }
        const st = statSync(aside);
        if (Date.now() - st.mtimeMs < graceMs) {
          // Touched by an import since we listed it: put it back.
          try {
            linkSync(aside, final);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fromSystemError(err, 'restoring a blob');
          }
          unlinkSync(aside);
          blobsKept++;
          continue;
        }
        unlinkSync(aside);
        gone.push(b.sha256);
        blobsRemoved++;
        bytesFreed += st.size;
      }
      if (gone.length > 0) await trx.deleteFrom('blobs').where('sha256', 'in', gone).execute();
    });
    await yieldToLoop();
  }
  for (const part of chunks(rowOnly)) {
    await ws.db.transaction().execute(async (trx) => {
      const still = new Set((await trx.selectFrom('blob_refs').select('sha256').where('sha256', 'in', part).execute()).map((r) => r.sha256));
      const gone = part.filter((s) => !still.has(s));
      if (gone.length > 0) await trx.deleteFrom('blobs').where('sha256', 'in', gone).execute();
    });
  }
  const tmp = await ws.blobs.cleanTmp();
  return { blobsRemoved, bytesFreed: bytesFreed + tmp.bytes, blobsKept, dryRun: false };
}

export interface PurgeOptions extends CollectOptions {
  /** Only what has been in the trash at least this long (default 0: all of the trash). */
  olderThanDays?: number;
}

export interface PurgeResult extends CollectResult {
  projects: Array<{ id: string; name: string }>;
  runs: Array<{ id: string; projectId: string; name: string }>;
  datasets: Array<{ id: string; projectId: string; name: string; version: number }>;
  models: Array<{ id: string; projectId: string; name: string }>;
  modelVersions: Array<{ modelId: string; version: number }>;
  /** Remembered file hashes no check has used for 90 days, forgotten (or, on a dry run, that would be). */
  hashCacheRowsRemoved: number;
}

/**
 * Empty the trash for good: projects, runs, datasets, models and model versions deleted at
 * least `olderThanDays` ago (a purged project takes all its runs, datasets and models along), with every row that belongs to
 * them, their materialized views and run folders; then collect the blobs nothing references
 * any more. Each purge is one transaction with its event.
 */
export async function purge(ws: Workspace, opts: PurgeOptions = {}): Promise<PurgeResult> {
  const days = opts.olderThanDays ?? 0;
  if (!Number.isFinite(days) || days < 0) throw invalid(`--older-than must be a number of days ≥ 0, not ${String(opts.olderThanDays)}`);
  const cutoff = now() - Math.round(days * 86_400_000);
  const dryRun = opts.dryRun ?? false;
  const db = ws.db;

  const projects = await db.selectFrom('projects').select(['id', 'name']).where('deleted_at', 'is not', null).where('deleted_at', '<=', cutoff).orderBy('id').execute();
  const projectIds = projects.map((p) => p.id);
  const runs = [
    ...(await db.selectFrom('runs').select(['id', 'project_id', 'name']).where('deleted_at', 'is not', null).where('deleted_at', '<=', cutoff).execute()),
    ...(projectIds.length ? (await Promise.all(chunks(projectIds).map((ids) => db.selectFrom('runs').select(['id', 'project_id', 'name']).where('project_id', 'in', ids).execute()))).flat() : []),
  ];
  const datasets = [
    ...(await db.selectFrom('datasets').select(['id', 'project_id', 'name', 'version']).where('deleted_at', 'is not', null).where('deleted_at', '<=', cutoff).execute()),
    ...(projectIds.length
      ? (await Promise.all(chunks(projectIds).map((ids) => db.selectFrom('datasets').select(['id', 'project_id', 'name', 'version']).where('project_id', 'in', ids).execute()))).flat()
      : []),
  ];
  const uniq = <T extends { id: string }>(xs: T[]): T[] => [...new Map(xs.map((x) => [x.id, x])).values()];
  const runList = uniq(runs);
  const datasetList = uniq(datasets);
  // Models in the trash long enough, and every model of a purged project; then single
  // versions in the trash of models that stay.
  const modelList = uniq([
    ...(await db.selectFrom('models').select(['id', 'project_id', 'name']).where('deleted_at', 'is not', null).where('deleted_at', '<=', cutoff).execute()),
    ...(projectIds.length ? (await Promise.all(chunks(projectIds).map((ids) => db.selectFrom('models').select(['id', 'project_id', 'name']).where('project_id', 'in', ids).execute()))).flat() : []),
  ]);
  const purgedModels = new Set(modelList.map((m) => m.id));
  const versionList = (await db.selectFrom('model_versions').select(['id', 'model_id', 'version']).where('deleted_at', 'is not', null).where('deleted_at', '<=', cutoff).execute()).filter((v) => !purgedModels.has(v.model_id));

  const hashCacheRowsRemoved = await new SqliteHashCache(db).prune(now() - HASH_CACHE_TTL_MS, dryRun);
  const result = (c: CollectResult): PurgeResult => ({
    ...c,
    hashCacheRowsRemoved,
    projects: projects.map((p) => ({ id: p.id, name: p.name })),
    runs: runList.map((r) => ({ id: r.id, projectId: r.project_id, name: r.name })),
    datasets: datasetList.map((d) => ({ id: d.id, projectId: d.project_id, name: d.name, version: d.version })),
    models: modelList.map((m) => ({ id: m.id, projectId: m.project_id, name: m.name })),
    modelVersions: versionList.map((v) => ({ modelId: v.model_id, version: v.version })),
  });

  if (dryRun) {
    // What the collection would free once these owners are gone, without removing anything.
    const owners = new Set<string>(datasetList.map((d) => `dataset:${d.id}`));
    for (const v of versionList) owners.add(`model_version:${v.id}`);
    for (const ids of chunks([...purgedModels])) {
      for (const v of await db.selectFrom('model_versions').select('id').where('model_id', 'in', ids).execute()) owners.add(`model_version:${v.id}`);
    }
    for (const ids of chunks(runList.map((r) => r.id))) {
      for (const a of await db.selectFrom('artifacts').select('id').where('run_id', 'in', ids).execute()) owners.add(`artifact:${a.id}`);
    }
    return result(await collect(ws, { ...opts, dryRun: true }, { owners, runIds: new Set(runList.map((r) => r.id)) }));
  }

  for (const r of runList) {
    await db.transaction().execute(async (trx) => {
      const artifactIds = (await trx.selectFrom('artifacts').select('id').where('run_id', '=', r.id).execute()).map((a) => a.id);
      for (const ids of chunks(artifactIds)) {
        await trx.deleteFrom('blob_refs').where('owner_kind', '=', 'artifact').where('owner_id', 'in', ids).execute();
      }
      await trx.deleteFrom('artifacts').where('run_id', '=', r.id).execute();
      await trx.deleteFrom('run_params').where('run_id', '=', r.id).execute();
      await trx.deleteFrom('run_tags').where('run_id', '=', r.id).execute();
      await trx.deleteFrom('run_datasets').where('run_id', '=', r.id).execute();
      await trx.deleteFrom('metric_chunks').where('run_id', '=', r.id).execute();
      await trx.deleteFrom('run_metrics').where('run_id', '=', r.id).execute();
      await trx.deleteFrom('log_lines').where('run_id', '=', r.id).execute();
      await trx.deleteFrom('runs').where('id', '=', r.id).execute();
      await recordEvent(trx, ws.actor, { type: 'run.purged', entityKind: 'run', entityId: r.id, payload: { projectId: r.project_id, name: r.name, artifacts: artifactIds.length } });
    });
    await removeTree(ws.runDir(r.id)).catch(() => {});
  }
  for (const d of datasetList) {
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('dataset_files').where('dataset_id', '=', d.id).execute();
      await trx.deleteFrom('blob_refs').where('owner_kind', '=', 'dataset').where('owner_id', '=', d.id).execute();
      await trx.deleteFrom('datasets').where('id', '=', d.id).execute();
      await recordEvent(trx, ws.actor, { type: 'dataset.purged', entityKind: 'dataset', entityId: d.id, payload: { projectId: d.project_id, name: d.name, version: d.version } });
    });
    await removeTree(path.join(ws.datasetsDir, d.id)).catch(() => {});
  }
  for (const m of modelList) {
    await db.transaction().execute(async (trx) => {
      const versionIds = (await trx.selectFrom('model_versions').select('id').where('model_id', '=', m.id).execute()).map((v) => v.id);
      for (const ids of chunks(versionIds)) await trx.deleteFrom('blob_refs').where('owner_kind', '=', 'model_version').where('owner_id', 'in', ids).execute();
      await trx.deleteFrom('model_aliases').where('model_id', '=', m.id).execute();
      await trx.deleteFrom('model_approval_requests').where('model_id', '=', m.id).execute();
      await trx.deleteFrom('model_versions').where('model_id', '=', m.id).execute();
      await trx.deleteFrom('models').where('id', '=', m.id).execute();
      await recordEvent(trx, ws.actor, { type: 'model.purged', entityKind: 'model', entityId: m.id, payload: { projectId: m.project_id, name: m.name, versions: versionIds.length } });
    });
  }
  for (const v of versionList) {
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('blob_refs').where('owner_kind', '=', 'model_version').where('owner_id', '=', v.id).execute();
      await trx.deleteFrom('model_aliases').where('version_id', '=', v.id).execute();
      await trx.deleteFrom('model_approval_requests').where('version_id', '=', v.id).execute();
      await trx.deleteFrom('model_versions').where('id', '=', v.id).execute();
      await recordEvent(trx, ws.actor, { type: 'model_version.purged', entityKind: 'model', entityId: v.model_id, payload: { version: v.version } });
    });
  }
  for (const p of projects) {
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('model_policies').where('project_id', '=', p.id).execute();
      await trx.deleteFrom('projects').where('id', '=', p.id).execute();
      await recordEvent(trx, ws.actor, { type: 'project.purged', entityKind: 'project', entityId: p.id, payload: { name: p.name } });
    });
  }
  if (projects.length + runList.length + datasetList.length + modelList.length + versionList.length > 0) ws.notify({ events: true });
  await cleanMaterializeLeftovers(ws);
  return result(await collectBlobs(ws, opts));
}

/** Half-built materialized views left by a crash (`.tmp-*`, older than an hour). */
async function cleanMaterializeLeftovers(ws: Workspace): Promise<void> {
  const names = await readdir(ws.datasetsDir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith('.tmp-')) continue;
    const p = path.join(ws.datasetsDir, name);
    const st = await stat(p).catch(() => null);
    if (st && Date.now() - st.mtimeMs > 60 * 60_000) await removeTree(p).catch(() => {});
  }
}
