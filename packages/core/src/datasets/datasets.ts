import type { Dataset, DatasetFile, DatasetPreview } from '@workbench/api';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, symlinkSync, type BigIntStats } from 'node:fs';
import { chmod, lstat, mkdir, realpath, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import type { Database, DatasetsTable } from '../db/schema.js';
import { fromSystemError, invalid, notFound, OperationalError, UnexpectedError, UserError, type WbError } from '../errors.js';
import { recordEvent } from '../events.js';
import { newId } from '../ids.js';
import { checkName } from '../names.js';
import { Projects } from '../projects.js';
import { iso, isoOrNull, now } from '../time.js';
import type { Workspace } from '../workspace.js';
import { fingerprintFolder, manifestLines, manifestFingerprint, sortByPath, type FingerprintedFile } from './fingerprint.js';
import { forEachLimit, removeTree, touch, yieldToLoop } from './fs-util.js';
import { fileKey, SqliteHashCache } from './hash-cache.js';
import { HashPool, type HashResult } from './hash-pool.js';
import { checkPreviewLimit, previewFile, previewFormatOf, SUPPORTED_PREVIEW_HINT } from './preview.js';

type Row = Selectable<DatasetsTable>;
type Db = Kysely<Database> | Transaction<Database>;

export interface ImportProgress {
  phase: 'hash' | 'copy';
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

export interface DatasetImportOptions {
  /** Project name or id. */
  project: string;
  /** Defaults to the file or folder's base name. */
  name?: string;
  onProgress?: (p: ImportProgress) => void;
}

export interface DatasetImportResult {
  dataset: Dataset;
  /** false: the same content was already a live version of this name; nothing was stored. */
  created: boolean;
  /** Bytes and blobs newly written to the blob store (content already stored is not copied). */
  bytesStored: number;
  filesStored: number;
  /** Files whose content was read to hash it (unchanged files come from the hash cache). */
  filesHashed: number;
}

export interface DatasetRefOptions {
  /** Project name or id, to tell apart datasets of the same name in several projects. */
  project?: string;
}

export interface DatasetVerifyResult {
  dataset: Dataset;
  ok: boolean;
  filesChecked: number;
  blobsChecked: number;
  bytesChecked: number;
  /** Paths of files whose blob is missing from the store. */
  missing: string[];
  /** Paths of files whose blob no longer hashes to its name. */
  corrupt: string[];
  /** The stored manifest (folders) still hashes to the fingerprint and matches the file rows. */
  manifestOk: boolean;
}

export interface DatasetRepairResult {
  dataset: Dataset;
  /** Where the original files were looked for. */
  from: string;
  /** Paths whose stored copy was replaced by the original's identical bytes. */
  repaired: string[];
  /** Paths still damaged, each with why. */
  failed: Array<{ path: string; reason: string }>;
  /** The verification after the repair. */
  after: DatasetVerifyResult;
}

const toDataset = (r: Row): Dataset => ({
  id: r.id,
  projectId: r.project_id,
  name: r.name,
  version: r.version,
  kind: r.kind,
  fingerprint: r.fingerprint,
  size: Number(r.size),
  fileCount: r.file_count,
  sourcePath: r.source_path,
  createdAt: iso(r.created_at),
  deletedAt: isoOrNull(r.deleted_at),
});

/** Rows per insert: SQLite caps the variables in one statement. */
const ROWS_PER_INSERT = 200;
/** Copies in flight: each blob is fsynced, and syncs overlap well. */
const COPY_CONCURRENCY = 8;
/** Blobs touched longer ago than this are touched again just before the rows commit. */
const REPIN_AFTER_MS = 60_000;

const ID = /^[0-9a-hjkmnp-tv-z]{18}$/;

interface ParsedRef {
  raw: string;
  name: string;
  version: number | null;
}

function parseRef(ref: string): ParsedRef {
  if (typeof ref !== 'string' || ref === '') throw invalid('empty dataset reference', 'name a dataset as <name>, <name>@<version> or by its id');
  const at = ref.lastIndexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  let version: number | null = null;
  if (at >= 0) {
    const v = ref.slice(at + 1);
    if (!/^[1-9][0-9]{0,8}$/.test(v)) throw invalid(`invalid dataset version in '${ref.slice(0, 140)}'`, 'name a version as <name>@<number>, e.g. mnist@2');
    version = Number(v);
  }
  checkName('dataset', name);
  return { raw: ref, name, version };
}

interface Resolved {
  row: Row;
  /** How the reference named it: one exact version (id or name@v) or a name. */
  exact: boolean;
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}

/**
 * Datasets: files and folders imported into the content-addressed blob store, each import
 * of new content a numbered version of its name within a project.
 */
export class Datasets {
  constructor(private readonly ws: Workspace) {}

  // ---------------------------------------------------------------- import

  async import(srcPath: string, opts: DatasetImportOptions): Promise<DatasetImportResult> {
    const project = await new Projects(this.ws).get(opts.project);
    const abs = path.resolve(srcPath);
    let st: BigIntStats;
    let real: string;
    try {
      st = await stat(abs, { bigint: true });
      real = await realpath(abs);
    } catch (err) {
      throw fromSystemError(err, `importing ${abs}`);
    }
    const wsReal = await realpath(this.ws.dir);
    if (real === wsReal || real.startsWith(wsReal + path.sep)) {
      throw new UserError('INVALID_INPUT', `${abs} is inside the Workbench workspace (${this.ws.dir})`, { hint: 'import data from outside the workspace folder' });
    }
    let name: string;
    if (opts.name !== undefined) {
      name = checkName('dataset', opts.name);
    } else {
      name = path.basename(abs);
      try {
        checkName('dataset', name);
      } catch {
        throw new UserError('INVALID_INPUT', `'${name.slice(0, 140)}' cannot be a dataset name`, {
          hint: "pass a name: --name <name> (1-128 letters, digits, '.', '_' or '-', starting with a letter or digit)",
        });
      }
    }
    if (st.isFile()) return this.importFile(abs, st, project.id, name, opts.onProgress);
    if (st.isDirectory()) return this.importFolder(abs, wsReal, project.id, name, opts.onProgress);
    throw invalid(`${abs} is neither a regular file nor a folder`, 'import a file or a folder');
  }

  private async importFile(abs: string, st: BigIntStats, projectId: string, name: string, onProgress: DatasetImportOptions['onProgress']): Promise<DatasetImportResult> {
    const cache = new SqliteHashCache(this.ws.db);
    const key = { dev: st.dev.toString(), ino: st.ino.toString() };
    const size = Number(st.size);
    const hit = (await cache.lookup([key])).get(fileKey(key));
    let sha = hit && hit.size === size && hit.mtimeNs === st.mtimeNs.toString() ? hit.sha256 : undefined;
    if (sha) {
      const existing = await this.findLiveVersion(this.ws.db, projectId, name, sha);
      if (existing) return { dataset: toDataset(existing), created: false, bytesStored: 0, filesStored: 0, filesHashed: 0 };
    }
    let bytesStored = 0;
    let filesHashed = 0;
    if (!sha || !(await touch(this.ws.blobs.pathFor(sha)))) {
      // Hash while copying: one read of the file, however big.
      const r = await this.ws.blobs.importFile(abs, {
        onProgress: (bytesDone, bytesTotal) => onProgress?.({ phase: 'copy', bytesDone, bytesTotal, filesDone: bytesDone >= bytesTotal ? 1 : 0, filesTotal: 1 }),
      });
      filesHashed = 1;
      let after: BigIntStats;
      try {
        after = await stat(abs, { bigint: true });
      } catch (err) {
        throw fromSystemError(err, `importing ${abs}`);
      }
      if (r.size !== size || after.size !== st.size || after.mtimeNs !== st.mtimeNs || after.ino !== st.ino) {
        throw new UserError('CONFLICT', `${abs} changed during import`, { hint: 'retry once the file stops changing' });
      }
      sha = r.sha256;
      if (r.created) bytesStored = r.size;
      else await touch(this.ws.blobs.pathFor(sha));
      if (Number(st.mtimeNs / 1_000_000n) < Date.now() - 2000) {
        await cache.store([{ ...key, size, mtimeNs: st.mtimeNs.toString(), sha256: sha }]);
      }
    }
    const files = [{ path: path.basename(abs), sha256: sha, size }];
    return this.commit({ projectId, name, kind: 'file', fingerprint: sha, manifestSha: sha, size, files, sourcePath: abs, bytesStored, filesStored: bytesStored > 0 ? 1 : 0, filesHashed });
  }

  private async importFolder(abs: string, wsReal: string, projectId: string, name: string, onProgress: DatasetImportOptions['onProgress']): Promise<DatasetImportResult> {
    const wsSt = await stat(wsReal, { bigint: true });
    const fp = await fingerprintFolder(abs, {
      cache: new SqliteHashCache(this.ws.db),
      onProgress: (p) => onProgress?.(p),
      refuseDirs: [{ dev: wsSt.dev.toString(), ino: wsSt.ino.toString(), reason: `this is the Workbench workspace folder (${this.ws.dir})` }],
    });
    if (fp.files.length === 0) throw invalid(`the folder ${abs} holds no files`, 'import a folder with at least one file');
    const existing = await this.findLiveVersion(this.ws.db, projectId, name, fp.fingerprint);
    if (existing) return { dataset: toDataset(existing), created: false, bytesStored: 0, filesStored: 0, filesHashed: fp.filesHashed };

    // One copy per distinct content; files already in the store are not copied again.
    const unique = new Map<string, FingerprintedFile>();
    for (const f of fp.files) if (!unique.has(f.sha256)) unique.set(f.sha256, f);
    const blobs = [...unique.values()];
    let bytesTotal = 0;
    for (const b of blobs) bytesTotal += b.size;
    let bytesDone = 0;
    let filesDone = 0;
    let bytesStored = 0;
    let filesStored = 0;
    const pinnedAt = new Map<string, number>();
    const report = () => onProgress?.({ phase: 'copy', bytesDone, bytesTotal, filesDone, filesTotal: blobs.length });
    report();
    const ensure = async (f: FingerprintedFile) => {
      if (await touch(this.ws.blobs.pathFor(f.sha256))) {
        pinnedAt.set(f.sha256, Date.now());
        return;
      }
      const r = await this.copyBlob(f);
      if (r.created) {
        bytesStored += r.size;
        filesStored++;
      } else {
        await touch(this.ws.blobs.pathFor(f.sha256));
      }
      pinnedAt.set(f.sha256, Date.now());
    };
    await forEachLimit(blobs, COPY_CONCURRENCY, async (f) => {
      await ensure(f);
      bytesDone += f.size;
      filesDone++;
      report();
    });

    // The manifest itself is a blob: `<sha256> <size> <path>` per file, streamed to disk.
    const manifestSha = await this.storeManifest(fp.files);
    if (manifestSha.sha256 !== fp.fingerprint) throw new UnexpectedError('the stored manifest does not hash to the fingerprint');
    if (manifestSha.created) bytesStored += manifestSha.size;

    // One flush for the whole batch, before any row refers to these blobs.
    await this.ws.blobs.sync();

    // A long import: make sure no blob found early has been collected since.
    const stale = blobs.filter((b) => Date.now() - (pinnedAt.get(b.sha256) ?? 0) > REPIN_AFTER_MS);
    await forEachLimit(stale, COPY_CONCURRENCY, ensure);

    return this.commit({
      projectId,
      name,
      kind: 'folder',
      fingerprint: fp.fingerprint,
      manifestSha: fp.fingerprint,
      size: fp.totalSize,
      files: fp.files,
      sourcePath: abs,
      bytesStored,
      filesStored,
      filesHashed: fp.filesHashed,
    });
  }

  private async copyBlob(f: FingerprintedFile): Promise<{ created: boolean; size: number }> {
    try {
      return await this.ws.blobs.importFile(f.abs, { expectedSha256: f.sha256, durable: false });
    } catch (err) {
      const code = errorCode(err) ?? errorCode((err as { cause?: unknown }).cause);
      if (code === 'ENOENT' || (err as WbError).code === 'NOT_FOUND') {
        throw new UserError('CONFLICT', `'${f.path}' disappeared during import`, { hint: 'retry once the folder stops changing', cause: err });
      }
      if (err instanceof UserError && err.message.includes('not the expected')) {
        throw new UserError('CONFLICT', `'${f.path}' changed during import`, { hint: 'retry once the folder stops changing', cause: err });
      }
      throw err;
    }
  }

  private async storeManifest(files: FingerprintedFile[]): Promise<{ sha256: string; size: number; created: boolean }> {
    const tmpDir = path.join(this.ws.blobs.root, 'tmp');
    const tmp = path.join(tmpDir, `manifest-${process.pid}-${randomBytes(8).toString('hex')}`);
    try {
      const out = createWriteStream(tmp, { mode: 0o600, flags: 'wx' });
      const closed = once(out, 'close');
      let buf = '';
      for (const line of manifestLines(files)) {
        buf += line;
        if (buf.length >= 1 << 16) {
          if (!out.write(buf)) await once(out, 'drain');
          buf = '';
        }
      }
      out.end(buf);
      await closed;
      const r = await this.ws.blobs.importFile(tmp);
      await touch(this.ws.blobs.pathFor(r.sha256));
      return r;
    } catch (err) {
      throw fromSystemError(err, 'storing the dataset manifest');
    } finally {
      await unlink(tmp).catch(() => {});
    }
  }

  private async findLiveVersion(db: Db, projectId: string, name: string, fingerprint: string): Promise<Row | undefined> {
    return db
      .selectFrom('datasets')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('name', '=', name)
      .where('fingerprint', '=', fingerprint)
      .where('deleted_at', 'is', null)
      .orderBy('version', 'desc')
      .executeTakeFirst();
  }

  /** Write the version's rows, its blobs' rows and refs, and its event, in one transaction. */
  private async commit(v: {
    projectId: string;
    name: string;
    kind: 'file' | 'folder';
    fingerprint: string;
    manifestSha: string;
    size: number;
    files: Array<{ path: string; sha256: string; size: number }>;
    sourcePath: string;
    bytesStored: number;
    filesStored: number;
    filesHashed: number;
  }): Promise<DatasetImportResult> {
    const t = now();
    const blobSizes = new Map<string, number>();
    for (const f of v.files) blobSizes.set(f.sha256, f.size);
    if (v.kind === 'folder') {
      let manifestSize = 0;
      for (const line of manifestLines(v.files)) manifestSize += Buffer.byteLength(line, 'utf8');
      blobSizes.set(v.manifestSha, manifestSize);
    }
    const blobList = [...blobSizes.entries()];
    const result = await this.ws.db.transaction().execute(async (trx) => {
      // Checked again under the write lock: two imports of the same content make one version.
      const again = await this.findLiveVersion(trx, v.projectId, v.name, v.fingerprint);
      if (again) return { row: again, created: false };
      const max = await trx
        .selectFrom('datasets')
        .select((eb) => eb.fn.max<number>('version').as('v'))
        .where('project_id', '=', v.projectId)
        .where('name', '=', v.name)
        .executeTakeFirst();
      const row: Row = {
        id: newId(),
        project_id: v.projectId,
        name: v.name,
        version: Number(max?.v ?? 0) + 1,
        kind: v.kind,
        fingerprint: v.fingerprint,
        size: v.size,
        file_count: v.files.length,
        manifest_sha256: v.manifestSha,
        source_path: v.sourcePath,
        created_at: t,
        deleted_at: null,
      };
      for (let i = 0; i < blobList.length; i += ROWS_PER_INSERT) {
        const part = blobList.slice(i, i + ROWS_PER_INSERT);
        await trx
          .insertInto('blobs')
          .values(part.map(([sha256, size]) => ({ sha256, size, created_at: t, verified_at: null })))
          .onConflict((oc) => oc.column('sha256').doNothing())
          .execute();
      }
      await trx.insertInto('datasets').values(row).execute();
      for (let i = 0; i < v.files.length; i += ROWS_PER_INSERT) {
        const part = v.files.slice(i, i + ROWS_PER_INSERT);
        await trx
          .insertInto('dataset_files')
          .values(part.map((f) => ({ dataset_id: row.id, path: f.path, sha256: f.sha256, size: f.size })))
          .execute();
      }
      for (let i = 0; i < blobList.length; i += ROWS_PER_INSERT) {
        const part = blobList.slice(i, i + ROWS_PER_INSERT);
        await trx
          .insertInto('blob_refs')
          .values(part.map(([sha256]) => ({ sha256, owner_kind: 'dataset' as const, owner_id: row.id })))
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      await recordEvent(trx, this.ws.actor, {
        type: 'dataset.imported',
        entityKind: 'dataset',
        entityId: row.id,
        payload: { projectId: v.projectId, name: v.name, version: row.version, kind: v.kind, fingerprint: v.fingerprint, size: v.size, fileCount: v.files.length, bytesStored: v.bytesStored },
      });
      return { row, created: true };
    });
    if (result.created) this.ws.notify({ events: true });
    return {
      dataset: toDataset(result.row),
      created: result.created,
      bytesStored: result.created ? v.bytesStored : 0,
      filesStored: result.created ? v.filesStored : 0,
      filesHashed: v.filesHashed,
    };
  }

  // ---------------------------------------------------------------- read

  /** Latest live version per name, by default; sorted by name, then newest version first. */
  async list(opts: { project?: string; deleted?: boolean; allVersions?: boolean } = {}): Promise<Dataset[]> {
    let q = this.ws.db.selectFrom('datasets').selectAll().where('deleted_at', opts.deleted ? 'is not' : 'is', null);
    if (opts.project !== undefined) q = q.where('project_id', '=', await this.projectId(opts.project, opts.deleted ?? false));
    const rows = await q.orderBy('name').orderBy('project_id').orderBy('version', 'desc').execute();
    if (opts.allVersions) return rows.map(toDataset);
    const seen = new Set<string>();
    const out: Dataset[] = [];
    for (const r of rows) {
      const k = `${r.project_id}/${r.name}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(toDataset(r));
    }
    return out;
  }

  /**
   * One version by id, `name` (the latest live version) or `name@version`. A name used in
   * several projects needs `project`.
   */
  async get(ref: string, opts: DatasetRefOptions & { deleted?: boolean } = {}): Promise<Dataset> {
    return toDataset((await this.resolve(ref, opts)).row);
  }

  private async resolve(ref: string, opts: DatasetRefOptions & { deleted?: boolean }): Promise<Resolved> {
    const deleted = opts.deleted ?? false;
    const projectId = opts.project !== undefined ? await this.projectId(opts.project, deleted) : undefined;
    if (typeof ref === 'string' && ID.test(ref)) {
      let q = this.ws.db.selectFrom('datasets').selectAll().where('id', '=', ref);
      if (projectId) q = q.where('project_id', '=', projectId);
      const row = await q.executeTakeFirst();
      if (row) {
        if ((row.deleted_at !== null) !== deleted) {
          throw notFound(deleted ? 'deleted dataset' : 'dataset', ref, deleted ? 'it is not in the trash' : `it is in the trash: wb dataset restore ${ref}`);
        }
        return { row, exact: true };
      }
    }
    const p = parseRef(ref);
    let q = this.ws.db.selectFrom('datasets').selectAll().where('name', '=', p.name).where('deleted_at', deleted ? 'is not' : 'is', null);
    if (projectId) q = q.where('project_id', '=', projectId);
    if (p.version !== null) q = q.where('version', '=', p.version);
    const rows = await q.orderBy('version', 'desc').execute();
    if (rows.length === 0) {
      throw notFound(deleted ? 'deleted dataset' : 'dataset', ref, deleted ? 'see the trash: wb dataset list --deleted' : await this.missingHint(p.name, p.version, projectId));
    }
    const projectIds = [...new Set(rows.map((r) => r.project_id))];
    if (projectIds.length > 1) {
      const names = await this.ws.db.selectFrom('projects').select(['id', 'name']).where('id', 'in', projectIds).orderBy('name').execute();
      throw new UserError('AMBIGUOUS', `dataset '${p.name}' exists in ${projectIds.length} projects: ${names.map((n) => n.name).join(', ')}`, {
        hint: `say which: --project ${names[0]?.name ?? '<project>'}`,
        details: { projects: names.map((n) => ({ id: n.id, name: n.name })) },
      });
    }
    return { row: rows[0]!, exact: p.version !== null };
  }

  /**
   * Why a live dataset by this name was not found: it is in the trash, or it lives in another
   * project (a run reads its own project's datasets), or there is none.
   */
  private async missingHint(name: string, version: number | null, projectId: string | undefined): Promise<string> {
    const base = (trashed: boolean) => {
      let q = this.ws.db.selectFrom('datasets').innerJoin('projects', 'projects.id', 'datasets.project_id').select(['datasets.id', 'projects.name as project']).where('datasets.name', '=', name).where('datasets.deleted_at', trashed ? 'is not' : 'is', null);
      if (version !== null) q = q.where('datasets.version', '=', version);
      return q;
    };
    const trashed = await (projectId ? base(true).where('datasets.project_id', '=', projectId) : base(true)).orderBy('datasets.version', 'desc').executeTakeFirst();
    if (trashed) return `it is in the trash: wb dataset restore ${trashed.id}`;
    if (version !== null) {
      let q = this.ws.db.selectFrom('datasets').select('version').where('name', '=', name).where('deleted_at', 'is', null);
      if (projectId) q = q.where('project_id', '=', projectId);
      const versions = [...new Set((await q.orderBy('version').execute()).map((r) => r.version))];
      if (versions.length > 0) return `${name} has ${versions.length === 1 ? 'version' : 'versions'} ${versions.join(', ')}: see wb dataset list --all-versions`;
    }
    if (projectId) {
      const elsewhere = await base(false).where('projects.deleted_at', 'is', null).select('projects.name as project').execute();
      const names = [...new Set(elsewhere.map((r) => r.project))].sort();
      if (names.length > 0) return `it is in ${names.length === 1 ? 'project' : 'projects'} ${names.join(', ')}, not this one: import it into this project too (the same content is stored only once)`;
    }
    return 'see the datasets: wb dataset list, or import one: wb dataset import <path>';
  }

  /** A live project's id; with `orTrashed`, a project in the trash will do too. */
  private async projectId(ref: string, orTrashed: boolean): Promise<string> {
    const projects = new Projects(this.ws);
    try {
      return (await projects.get(ref)).id;
    } catch (err) {
      if (!orTrashed || (err as WbError).code !== 'NOT_FOUND') throw err;
      return (await projects.get(ref, { deleted: true })).id;
    }
  }

  /** The files of one version, by path. */
  async files(ref: string, opts: DatasetRefOptions = {}): Promise<DatasetFile[]> {
    const { row } = await this.resolve(ref, opts);
    return this.fileRows(row.id);
  }

  private async fileRows(datasetId: string): Promise<DatasetFile[]> {
    const rows = await this.ws.db.selectFrom('dataset_files').select(['path', 'size', 'sha256']).where('dataset_id', '=', datasetId).orderBy('path').execute();
    return sortByPath(rows.map((r) => ({ path: r.path, size: Number(r.size), sha256: r.sha256 })));
  }

  /**
   * Put back stored copies that were changed or removed outside Workbench, from the original
   * files (default: where the dataset was imported from). A file is only used when it hashes to
   * what was imported; the blob is then replaced atomically, which heals every dataset and
   * artifact that shares it.
   */
  async repair(ref: string, opts: DatasetRefOptions & { from?: string } = {}): Promise<DatasetRepairResult> {
    const before = await this.verify(ref, opts);
    const d = before.dataset;
    const from = path.resolve(opts.from ?? d.sourcePath);
    const repaired: string[] = [];
    const failed: Array<{ path: string; reason: string }> = [];
    if (!before.ok) {
      const files = new Map((await this.fileRows(d.id)).map((f) => [f.path, f]));
      const fromSt = await stat(from).catch(() => null);
      for (const rel of [...before.missing, ...before.corrupt]) {
        const f = files.get(rel)!;
        // A file dataset's original is the file itself (or a file of that name in a folder given with --from).
        const src = d.kind === 'file' && fromSt?.isFile() ? from : path.join(from, rel);
        if (path.relative(from, src).startsWith('..')) {
          failed.push({ path: rel, reason: 'its path leaves the folder' });
          continue;
        }
        try {
          await this.ws.blobs.importFile(src, { expectedSha256: f.sha256, replace: true });
          repaired.push(rel);
        } catch (err) {
          const e = err as WbError;
          failed.push({ path: rel, reason: e.code === 'NOT_FOUND' ? `no original at ${src}` : e.message.includes('not the expected') ? `${src} has changed since it was imported` : e.message });
        }
      }
      if (!before.manifestOk) failed.push({ path: '(the folder manifest)', reason: 'the list of files no longer matches the fingerprint: import the folder again as a new version' });
    }
    const after = before.ok ? before : await this.verify(d.id);
    return { dataset: d, from, repaired, failed, after };
  }

  // ---------------------------------------------------------------- trash

  /** Soft delete: every live version of the name, or just the one `name@v` or an id names. */
  async remove(ref: string, opts: DatasetRefOptions = {}): Promise<Dataset[]> {
    const { row, exact } = await this.resolve(ref, opts);
    const rows = exact
      ? [row]
      : await this.ws.db.selectFrom('datasets').selectAll().where('project_id', '=', row.project_id).where('name', '=', row.name).where('deleted_at', 'is', null).orderBy('version').execute();
    const t = now();
    await this.ws.db.transaction().execute(async (trx) => {
      for (const r of rows) {
        await trx.updateTable('datasets').set({ deleted_at: t }).where('id', '=', r.id).where('deleted_at', 'is', null).execute();
        await recordEvent(trx, this.ws.actor, { type: 'dataset.deleted', entityKind: 'dataset', entityId: r.id, payload: { projectId: r.project_id, name: r.name, version: r.version } });
      }
    });
    this.ws.notify({ events: true });
    return rows.map((r) => toDataset({ ...r, deleted_at: t }));
  }

  /** Bring back from the trash: the versions of a name deleted last together, or one version. */
  async restore(ref: string, opts: DatasetRefOptions = {}): Promise<Dataset[]> {
    const { row, exact } = await this.resolve(ref, { ...opts, deleted: true });
    let rows = [row];
    if (!exact) {
      const all = await this.ws.db.selectFrom('datasets').selectAll().where('project_id', '=', row.project_id).where('name', '=', row.name).where('deleted_at', 'is not', null).orderBy('version').execute();
      const last = Math.max(...all.map((r) => r.deleted_at ?? 0));
      rows = all.filter((r) => r.deleted_at === last);
    }
    const project = await this.ws.db.selectFrom('projects').select(['name', 'deleted_at']).where('id', '=', row.project_id).executeTakeFirst();
    if (project?.deleted_at != null) {
      throw new UserError('CONFLICT', `dataset '${row.name}' belongs to the project '${project.name}', which is in the trash`, { hint: `restore the project: wb project restore ${project.name}` });
    }
    await this.ws.db.transaction().execute(async (trx) => {
      for (const r of rows) {
        await trx.updateTable('datasets').set({ deleted_at: null }).where('id', '=', r.id).execute();
        await recordEvent(trx, this.ws.actor, { type: 'dataset.restored', entityKind: 'dataset', entityId: r.id, payload: { projectId: r.project_id, name: r.name, version: r.version } });
      }
    });
    this.ws.notify({ events: true });
    return rows.map((r) => toDataset({ ...r, deleted_at: null }));
  }

  // ---------------------------------------------------------------- verify

  /** Re-hash every blob the version holds; report files whose blob is missing or corrupt. */
  async verify(ref: string, opts: DatasetRefOptions & { deleted?: boolean } = {}): Promise<DatasetVerifyResult> {
    const { row } = await this.resolve(ref, opts);
    const files = await this.fileRows(row.id);
    const sizes = new Map<string, number>();
    for (const f of files) sizes.set(f.sha256, f.size);
    if (row.kind === 'folder') sizes.set(row.manifest_sha256, -1);
    const shas = [...sizes.keys()];
    const status = new Map<string, 'ok' | 'missing' | 'corrupt'>();
    let bytesChecked = 0;
    const pool = new HashPool();
    try {
      const batches: string[][] = [];
      let cur: string[] = [];
      let curBytes = 0;
      for (const sha of shas) {
        const size = Math.max(0, sizes.get(sha)!);
        if (cur.length > 0 && (cur.length >= 256 || curBytes + size > 16 << 20)) {
          batches.push(cur);
          cur = [];
          curBytes = 0;
        }
        cur.push(sha);
        curBytes += size;
      }
      if (cur.length > 0) batches.push(cur);
      await Promise.all(
        batches.map(async (batch) => {
          const results: HashResult[] = await pool.hashBatch(batch.map((s) => this.ws.blobs.pathFor(s)));
          batch.forEach((sha, i) => {
            const r = results[i]!;
            if (!r.ok) status.set(sha, r.code === 'ENOENT' ? 'missing' : 'corrupt');
            else {
              bytesChecked += r.size;
              status.set(sha, r.sha256 === sha ? 'ok' : 'corrupt');
            }
          });
        }),
      );
    } finally {
      await pool.close();
    }
    const okShas = shas.filter((s) => status.get(s) === 'ok');
    const t = now();
    for (let i = 0; i < okShas.length; i += 500) {
      await this.ws.db.updateTable('blobs').set({ verified_at: t }).where('sha256', 'in', okShas.slice(i, i + 500)).execute();
    }
    const missing = files.filter((f) => status.get(f.sha256) === 'missing').map((f) => f.path);
    const corrupt = files.filter((f) => status.get(f.sha256) === 'corrupt').map((f) => f.path);
    const rowsMatch = row.kind === 'folder' ? manifestFingerprint(files) === row.fingerprint : files.length === 1 && files[0]!.sha256 === row.fingerprint;
    const manifestOk = rowsMatch && (row.kind === 'file' || status.get(row.manifest_sha256) === 'ok');
    return {
      dataset: toDataset(row),
      ok: missing.length === 0 && corrupt.length === 0 && manifestOk,
      filesChecked: files.length,
      blobsChecked: shas.length,
      bytesChecked,
      missing,
      corrupt,
      manifestOk,
    };
  }

  // ---------------------------------------------------------------- use

  /**
   * A read-only path a training process can open: `<datasets>/<id>/<file name>` for a file,
   * `<datasets>/<id>/<name>/` for a folder, made of symbolic links to the (read-only) blobs.
   * Built in a temporary folder and renamed into place, so concurrent calls are safe and a
   * crash never leaves a half-built view under the final name.
   */
  async materialize(datasetId: string): Promise<string> {
    const row = await this.ws.db.selectFrom('datasets').selectAll().where('id', '=', datasetId).executeTakeFirst();
    if (!row) throw notFound('dataset', datasetId, 'see the datasets: wb dataset list');
    if (row.deleted_at !== null) throw notFound('dataset', datasetId, `it is in the trash: wb dataset restore ${datasetId}`);
    const files = await this.fileRows(row.id);
    if (row.kind === 'file' && files.length !== 1) throw new UnexpectedError(`file dataset ${row.id} has ${files.length} file rows`);
    const top = path.join(this.ws.datasetsDir, row.id);
    const target = row.kind === 'file' ? path.join(top, files[0]!.path) : path.join(top, row.name);
    if (await lstat(top).then(() => true, () => false)) return target;

    await mkdir(this.ws.datasetsDir, { recursive: true }).catch((err: unknown) => {
      throw fromSystemError(err, 'creating the datasets folder');
    });
    const tmp = path.join(this.ws.datasetsDir, `.tmp-${row.id}-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(tmp, { mode: 0o755 });
      const base = row.kind === 'file' ? tmp : path.join(tmp, row.name);
      const dirs = new Set<string>();
      if (row.kind === 'folder') {
        await mkdir(base);
        dirs.add(base);
      }
      // Synchronous calls in slices: many small file-system calls are several times faster so,
      // and the event loop still turns between slices.
      let n = 0;
      for (const f of files) {
        if (++n % 512 === 0) await yieldToLoop();
        const parts = f.path.split('/');
        if (parts.some((s) => s === '' || s === '.' || s === '..')) throw new UnexpectedError(`dataset ${row.id} holds an unsafe path: ${f.path}`);
        const link = path.join(base, ...parts);
        const dir = path.dirname(link);
        if (!dirs.has(dir)) {
          mkdirSync(dir, { recursive: true });
          for (let d = dir; d.length > base.length && !dirs.has(d); d = path.dirname(d)) dirs.add(d);
        }
        const blob = this.ws.blobs.pathFor(f.sha256);
        if (!existsSync(blob)) {
          throw new OperationalError('IO_ERROR', `blob ${f.sha256.slice(0, 12)}… of '${f.path}' is missing from the store`, { hint: `check the dataset: wb dataset verify ${row.id}` });
        }
        // Relative links keep working if the workspace folder is moved.
        symlinkSync(path.relative(dir, blob), link);
      }
      // Read-only folders, deepest first (the top one after the rename: renaming a folder needs write access to it).
      for (const d of [...dirs].sort((a, b) => b.length - a.length)) await chmod(d, 0o555);
      try {
        await rename(tmp, top);
      } catch (err) {
        const code = errorCode(err);
        if (code === 'EEXIST' || code === 'ENOTEMPTY') {
          await removeTree(tmp).catch(() => {});
          return target; // another process finished first
        }
        throw err;
      }
      await chmod(top, 0o555);
      return target;
    } catch (err) {
      await removeTree(tmp).catch(() => {});
      throw fromSystemError(err, `materializing dataset ${row.name}@${row.version}`);
    }
  }

  /**
   * The first rows of a version's file: `file` (a path in the dataset) or, for a folder, the
   * first previewable file by path.
   */
  async preview(ref: string, opts: DatasetRefOptions & { file?: string; limit?: number } = {}): Promise<DatasetPreview> {
    const limit = checkPreviewLimit(opts.limit);
    const { row } = await this.resolve(ref, opts);
    const files = await this.fileRows(row.id);
    let file: DatasetFile | undefined;
    if (opts.file !== undefined) {
      const want = opts.file.replace(/^\.\//, '');
      file = files.find((f) => f.path === want);
      if (!file) throw notFound(`file in dataset ${row.name}@${row.version}`, opts.file, `see its files: wb dataset show ${row.name}@${row.version}`);
    } else {
      file = files.find((f) => previewFormatOf(f.path) !== null);
      if (!file) throw new UserError('INVALID_INPUT', `dataset ${row.name}@${row.version} has no file that can be previewed`, { hint: SUPPORTED_PREVIEW_HINT });
    }
    return previewFile(this.ws.blobs.pathFor(file.sha256), { limit, name: file.path });
  }
}
