import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Database, FileText, ShieldCheck, Upload } from 'lucide-react';
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { EmptyState, ErrorState, Modal, PageHeader, Section, SkeletonRows, StatusBadge, FormError } from '../components/ui';
import { api, describeError } from '../lib/api';
import { toast } from '../lib/toast';
import { formatBytes, formatValue, shortHash, timeAgo } from '../lib/format';

function ImportDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  const qc = useQueryClient();
  const projects = useQuery({ queryKey: ['projects'], queryFn: () => api().listProjects() });
  const [path, setPath] = useState('');
  const [project, setProject] = useState('');
  const [name, setName] = useState('');
  const proj = project || projects.data?.[0]?.name || '';
  const imp = useMutation({
    mutationFn: () => api().importDataset({ path: path.trim(), project: proj, ...(name.trim() ? { name: name.trim() } : {}) }),
    onSuccess: (r) => {
      onOpenChange(false);
      toast(r.created ? `Imported ${r.dataset.name} v${r.dataset.version}` : `${r.dataset.name} v${r.dataset.version} already holds this content`, { kind: 'success', description: `${r.filesStored} file(s), ${formatBytes(r.bytesStored)} stored` });
      void qc.invalidateQueries({ queryKey: ['datasets'] });
    },
  });
  return (
    <Modal open={open} onOpenChange={onOpenChange} title="Import a dataset" description="A file or folder on the machine the server runs on: it is hashed and stored by content (the same content again stores nothing).">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (path.trim() && proj) imp.mutate();
        }}
      >
        <label className="label" htmlFor="ds-path">
          Absolute path
        </label>
        <input id="ds-path" className="input font-mono text-[12.5px]" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/data/transactions.csv" autoFocus />
        <div className="mt-3 grid grid-cols-2 gap-3">
          <div>
            <label className="label" htmlFor="ds-project">
              Project
            </label>
            <select id="ds-project" className="input" value={proj} onChange={(e) => setProject(e.target.value)}>
              {projects.data?.map((p) => (
                <option key={p.id}>{p.name}</option>
              ))}
            </select>
          </div>
          <div>
            <label className="label" htmlFor="ds-name">
              Name <span className="font-normal">(optional)</span>
            </label>
            <input id="ds-name" className="input" value={name} onChange={(e) => setName(e.target.value)} placeholder="from the file name" />
          </div>
        </div>
        <FormError error={imp.error} />
        <div className="mt-5 flex justify-end gap-2">
          <button type="button" className="btn" onClick={() => onOpenChange(false)}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={imp.isPending || !path.trim() || !proj}>
            {imp.isPending ? 'Importing…' : 'Import'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function DatasetsPage() {
  const q = useQuery({ queryKey: ['datasets', 'all'], queryFn: () => api().listDatasets() });
  const projects = useQuery({ queryKey: ['projects'], queryFn: () => api().listProjects() });
  const [importing, setImporting] = useState(false);
  const [filter, setFilter] = useState('');
  const names = useMemo(() => new Map((projects.data ?? []).map((p) => [p.id, p.name])), [projects.data]);
  const rows = (q.data ?? []).filter((d) => !filter || d.name.toLowerCase().includes(filter.toLowerCase()));
  return (
    <div>
      <PageHeader
        title="Datasets"
        subtitle="Files and folders imported into the content-addressed store, with their SHA-256 fingerprints."
        actions={
          <button className="btn btn-primary" onClick={() => setImporting(true)} disabled={!projects.data?.length} title={projects.data?.length ? undefined : 'Create a project first'} data-testid="import-dataset">
            <Upload size={14} /> Import dataset
          </button>
        }
      />
      <ImportDialog open={importing} onOpenChange={setImporting} />
      {q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <div className="card overflow-hidden">
          <div className="border-b border-app px-3 py-2.5">
            <input className="input w-64" placeholder="Filter by name…  ( / )" value={filter} onChange={(e) => setFilter(e.target.value)} data-search aria-label="Filter datasets" />
          </div>
          {q.isPending ? (
            <SkeletonRows rows={4} />
          ) : q.data.length === 0 ? (
            <EmptyState icon={<Database size={20} />} title="No datasets yet" commands={['wb dataset import ./data.csv --project demo --name data']}>
              Import a file or a folder: it is hashed, stored once by content, and can be previewed and attached to runs.
            </EmptyState>
          ) : (
            <table className="w-full text-[13px]" data-testid="datasets-table">
              <thead className="border-b border-app bg-panel-2">
                <tr>
                  <th className="th">Name</th>
                  <th className="th">Project</th>
                  <th className="th">Fingerprint</th>
                  <th className="th text-right">Size</th>
                  <th className="th text-right">Files</th>
                  <th className="th">Imported</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-[var(--border)]">
                {rows.map((d) => (
                  <tr key={d.id} className="hover:bg-zinc-50 dark:hover:bg-zinc-800/40" data-testid="dataset-row">
                    <td className="td">
                      <Link to={`/datasets/${d.id}`} className="font-medium hover:underline">
                        {d.name}
                      </Link>
                      <span className="ml-1 text-xs text-muted">v{d.version}</span>
                    </td>
                    <td className="td text-muted">{names.get(d.projectId) ?? '…'}</td>
                    <td className="td font-mono text-xs text-muted" title={d.fingerprint}>
                      {shortHash(d.fingerprint)}
                    </td>
                    <td className="td text-right tabular-nums">{formatBytes(d.size)}</td>
                    <td className="td text-right tabular-nums">{d.fileCount}</td>
                    <td className="td text-muted">{timeAgo(d.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </div>
  );
}

const PREVIEWABLE = /\.(csv|tsv|jsonl|ndjson|parquet)$/i;

export function DatasetPage() {
  const { ref = '' } = useParams();
  const d = useQuery({ queryKey: ['dataset', ref], queryFn: () => api().getDataset(ref) });
  const projects = useQuery({ queryKey: ['projects'], queryFn: () => api().listProjects() });
  const projectName = projects.data?.find((p) => p.id === d.data?.projectId)?.name;
  const files = d.data?.files ?? [];
  const firstPreviewable = files.find((f) => PREVIEWABLE.test(f.path))?.path;
  const [file, setFile] = useState<string | null>(null);
  const chosen = file ?? firstPreviewable ?? null;
  const preview = useQuery({
    queryKey: ['dataset', ref, 'preview', chosen],
    queryFn: () => api().previewDataset(ref, { limit: 100, ...(d.data?.kind === 'folder' && chosen ? { file: chosen } : {}) }),
    enabled: !!d.data && !!chosen,
    retry: false,
  });
  const runs = useQuery({
    queryKey: ['dataset', ref, 'runs'],
    enabled: !!d.data,
    queryFn: async () => (await api().listRuns({ dataset: d.data!.id, limit: 1000 })).runs,
  });

  const verify = useMutation({
    mutationFn: () => api().verifyDataset(d.data!.id),
    onSuccess: (r) => {
      if (r.ok) toast(`${r.dataset.name} v${r.dataset.version} is intact`, { kind: 'success', description: `${r.filesChecked.toLocaleString()} file(s), ${formatBytes(r.bytesChecked)} re-hashed: every blob matches its fingerprint.` });
      else
        toast(`${r.dataset.name} v${r.dataset.version} is damaged`, {
          kind: 'error',
          description: `${r.missing.length} missing, ${r.corrupt.length} corrupt${r.manifestOk ? '' : ', manifest unreadable'}. Import the source again (wb dataset import ${r.dataset.sourcePath}) to restore the content.`,
        });
    },
    onError: (err) => toast('Could not verify the dataset', { kind: 'error', description: describeError(err).title }),
  });

  if (d.error) return <ErrorState error={d.error} onRetry={() => void d.refetch()} back={{ to: '/datasets', label: 'All datasets' }} />;
  const ds = d.data;
  return (
    <div>
      <PageHeader
        crumbs={
          <Link to="/datasets" className="hover:underline">
            Datasets
          </Link>
        }
        title={ds ? `${ds.name} v${ds.version}` : '…'}
        subtitle={ds && <span className="font-mono text-xs">{ds.fingerprint}</span>}
        actions={
          ds && (
            <button className="btn" onClick={() => verify.mutate()} disabled={verify.isPending} data-testid="verify-dataset" title="Re-hash every stored file and compare with the fingerprints">
              <ShieldCheck size={14} /> {verify.isPending ? 'Verifying…' : 'Verify'}
            </button>
          )
        }
      />
      {ds && (
        <div className="mb-5 grid grid-cols-2 gap-3 lg:grid-cols-4">
          {[
            ['Project', projectName ? <Link className="hover:underline" to={`/projects/${encodeURIComponent(projectName)}`}>{projectName}</Link> : '…'],
            ['Size', formatBytes(ds.size)],
            ['Files', ds.fileCount.toLocaleString()],
            ['Imported', `${timeAgo(ds.createdAt)} from ${ds.sourcePath}`],
          ].map(([k, v]) => (
            <div key={String(k)} className="card min-w-0 p-3">
              <div className="text-xs text-muted">{k}</div>
              <div className="mt-1 truncate text-[14px] font-medium">{v}</div>
            </div>
          ))}
        </div>
      )}
      <Section
        title="Preview"
        className="mb-5"
        actions={
          files.filter((f) => PREVIEWABLE.test(f.path)).length > 1 && (
            <select className="input h-7 w-auto text-xs" value={chosen ?? ''} onChange={(e) => setFile(e.target.value)} aria-label="File to preview">
              {files
                .filter((f) => PREVIEWABLE.test(f.path))
                .map((f) => (
                  <option key={f.path}>{f.path}</option>
                ))}
            </select>
          )
        }
      >
        {!chosen ? (
          <div className="px-4 py-6 text-[13px] text-muted">{d.isPending ? 'Loading…' : 'No CSV, TSV, JSONL or Parquet file to preview.'}</div>
        ) : preview.isPending ? (
          <SkeletonRows rows={5} />
        ) : preview.error ? (
          <ErrorState error={preview.error} />
        ) : (
          <div className="max-h-[420px] overflow-auto" data-testid="preview-table" tabIndex={0} role="region" aria-label="Preview rows">
            <table className="w-full font-mono text-[12px]">
              <thead className="sticky top-0 bg-panel-2">
                <tr>
                  <th className="th w-10 text-right">#</th>
                  {preview.data.columns.map((c) => (
                    <th key={c} className="th normal-case">
                      {c}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody className="divide-y divide-[var(--border)]">
                {preview.data.rows.map((row, i) => (
                  <tr key={i} className="hover:bg-zinc-50 dark:hover:bg-zinc-800/40">
                    <td className="td text-right text-muted">{i + 1}</td>
                    {row.map((v, j) => (
                      <td key={j} className="td max-w-64 truncate whitespace-nowrap">
                        {formatValue(v)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
            {preview.data.truncated && <div className="px-4 py-2 text-xs text-muted">First {preview.data.rows.length} rows of {preview.data.file}.</div>}
          </div>
        )}
      </Section>
      <div className="grid gap-5 lg:grid-cols-2">
        <Section title={`Files (${files.length})`}>
          <ul className="max-h-80 divide-y divide-[var(--border)] overflow-auto text-[13px]" tabIndex={0} aria-label="Files">
            {files.slice(0, 500).map((f) => (
              <li key={f.path} className="flex items-center justify-between gap-3 px-4 py-1.5">
                <span className="flex min-w-0 items-center gap-2">
                  <FileText size={13} className="shrink-0 text-muted" />
                  <span className="truncate">{f.path}</span>
                </span>
                <span className="flex shrink-0 gap-3 text-xs text-muted">
                  <span className="font-mono" title={f.sha256}>
                    {f.sha256.slice(0, 10)}
                  </span>
                  {formatBytes(f.size)}
                </span>
              </li>
            ))}
          </ul>
        </Section>
        <Section title="Runs that used it">
          {runs.isPending ? (
            <SkeletonRows rows={2} />
          ) : runs.data && runs.data.length > 0 ? (
            <ul className="divide-y divide-[var(--border)] text-[13px]">
              {runs.data.map((r) => (
                <li key={r.id} className="flex items-center justify-between px-4 py-1.5">
                  <Link to={`/runs/${r.id}`} className="hover:underline">
                    {r.name}
                  </Link>
                  <StatusBadge status={r.status} />
                </li>
              ))}
            </ul>
          ) : (
            <div className="px-4 py-3 text-[13px] text-muted">
              No run has used it yet. Attach it with <code className="font-mono">--dataset {ds?.name ?? 'NAME'}</code>.
            </div>
          )}
        </Section>
      </div>
    </div>
  );
}
