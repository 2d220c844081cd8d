import * as Menu from '@radix-ui/react-dropdown-menu';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Project } from '@workbench/api';
import { Boxes, Database, MoreHorizontal, Pencil, Plus, RotateCcw, Trash2 } from 'lucide-react';
import { useEffect, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { RunsTable } from '../components/RunsTable';
import { ConfirmDialog, EmptyState, ErrorState, Modal, PageHeader, Section, SkeletonRows, FormError } from '../components/ui';
import { api, describeError } from '../lib/api';
import { formatBytes, shortHash, timeAgo } from '../lib/format';
import { toast } from '../lib/toast';

function ProjectForm({ initial, submitLabel, busy, error, onSubmit, onCancel }: { initial: { name: string; description: string }; submitLabel: string; busy: boolean; error: unknown; onSubmit: (v: { name: string; description: string }) => void; onCancel: () => void }) {
  const [name, setName] = useState(initial.name);
  const [description, setDescription] = useState(initial.description);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim()) onSubmit({ name: name.trim(), description });
      }}
    >
      <label className="label" htmlFor="project-name">
        Name
      </label>
      <input id="project-name" className="input" value={name} onChange={(e) => setName(e.target.value)} autoFocus placeholder="fraud-detection" />
      <label className="label mt-3" htmlFor="project-description">
        Description <span className="font-normal">(optional)</span>
      </label>
      <textarea id="project-description" className="input h-20 py-1.5" value={description} onChange={(e) => setDescription(e.target.value)} />
      <FormError error={error} />
      <div className="mt-5 flex justify-end gap-2">
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy || !name.trim()}>
          {busy ? 'Saving…' : submitLabel}
        </button>
      </div>
    </form>
  );
}

export function ProjectsPage() {
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const q = useQuery({ queryKey: ['projects'], queryFn: () => api().listProjects() });
  const [creating, setCreating] = useState(params.get('create') === '1');
  const [renaming, setRenaming] = useState<Project | null>(null);
  const [deleting, setDeleting] = useState<Project | null>(null);
  useEffect(() => {
    if (params.get('create') === '1') {
      setCreating(true);
      setParams({}, { replace: true });
    }
  }, [params, setParams]);

  const create = useMutation({
    mutationFn: (v: { name: string; description: string }) => api().createProject(v.name, v.description || undefined),
    onSuccess: (p) => {
      setCreating(false);
      toast(`Project ${p.name} created`, { kind: 'success' });
      void qc.invalidateQueries({ queryKey: ['projects'] });
    },
  });
  const rename = useMutation({
    mutationFn: (v: { from: string; name: string; description: string }) => api().updateProject(v.from, { name: v.name, description: v.description }),
    onSuccess: (p) => {
      setRenaming(null);
      toast(`Project saved as ${p.name}`, { kind: 'success' });
      void qc.invalidateQueries({ queryKey: ['projects'] });
    },
  });
  const remove = useMutation({
    mutationFn: (p: Project) => api().deleteProject(p.id, { force: (p.runCount ?? 0) > 0 }),
    onSuccess: (p) => {
      setDeleting(null);
      toast(`Project ${p.name} moved to the trash`, { description: `Restore it with: wb project restore ${p.name}` });
      void qc.invalidateQueries({ queryKey: ['projects'] });
    },
    onError: (err) => toast('Could not delete the project', { kind: 'error', description: describeError(err).title }),
  });

  return (
    <div>
      <PageHeader
        title="Projects"
        subtitle="A project groups the datasets and runs of one piece of work."
        actions={
          <button className="btn btn-primary" onClick={() => (create.reset(), setCreating(true))} data-testid="new-project">
            <Plus size={14} /> New project
          </button>
        }
      />
      {q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <div className="card overflow-hidden">
          {q.isPending ? (
            <SkeletonRows rows={4} />
          ) : q.data.length === 0 ? (
            <EmptyState icon={<Boxes size={20} />} title="No projects yet" commands={['wb project create demo']}>
              Create one with the button above, or from a terminal:
            </EmptyState>
          ) : (
            <table className="w-full text-[13px]" data-testid="projects-table">
              <thead className="border-b border-app bg-panel-2">
                <tr>
                  <th className="th">Name</th>
                  <th className="th">Description</th>
                  <th className="th text-right">Runs</th>
                  <th className="th text-right">Datasets</th>
                  <th className="th">Created</th>
                  <th className="th w-10" />
                </tr>
              </thead>
              <tbody className="divide-y divide-[var(--border)]">
                {q.data.map((p) => (
                  <tr key={p.id} className="hover:bg-zinc-50 dark:hover:bg-zinc-800/40" data-testid="project-row" data-name={p.name}>
                    <td className="td">
                      <Link to={`/projects/${encodeURIComponent(p.name)}`} className="font-medium hover:underline">
                        {p.name}
                      </Link>
                    </td>
                    <td className="td max-w-80 truncate text-muted">{p.description || '—'}</td>
                    <td className="td text-right tabular-nums">{p.runCount ?? 0}</td>
                    <td className="td text-right tabular-nums">{p.datasetCount ?? 0}</td>
                    <td className="td text-muted">{timeAgo(p.createdAt)}</td>
                    <td className="td">
                      <Menu.Root>
                        <Menu.Trigger className="rounded-md p-1 text-muted hover:bg-zinc-100 dark:hover:bg-zinc-800" aria-label={`Actions for ${p.name}`}>
                          <MoreHorizontal size={16} />
                        </Menu.Trigger>
                        <Menu.Portal>
                          <Menu.Content align="end" sideOffset={4} className="z-50 min-w-36 rounded-xl border border-app bg-panel p-1 text-[13px] shadow-xl">
                            <Menu.Item className="flex cursor-default items-center gap-2 rounded-lg px-2 py-1.5 outline-none data-[highlighted]:bg-zinc-100 dark:data-[highlighted]:bg-zinc-800" onSelect={() => (rename.reset(), setRenaming(p))}>
                              <Pencil size={14} /> Rename…
                            </Menu.Item>
                            <Menu.Item className="flex cursor-default items-center gap-2 rounded-lg px-2 py-1.5 text-red-600 outline-none data-[highlighted]:bg-red-50 dark:text-red-400 dark:data-[highlighted]:bg-red-500/10" onSelect={() => setDeleting(p)}>
                              <Trash2 size={14} /> Delete…
                            </Menu.Item>
                          </Menu.Content>
                        </Menu.Portal>
                      </Menu.Root>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}

      <Trash />

      <Modal open={creating} onOpenChange={setCreating} title="New project">
        <ProjectForm initial={{ name: '', description: '' }} submitLabel="Create project" busy={create.isPending} error={create.error} onSubmit={(v) => create.mutate(v)} onCancel={() => setCreating(false)} />
      </Modal>
      <Modal open={renaming !== null} onOpenChange={(o) => !o && setRenaming(null)} title={`Rename ${renaming?.name ?? ''}`}>
        {renaming && <ProjectForm initial={{ name: renaming.name, description: renaming.description }} submitLabel="Save" busy={rename.isPending} error={rename.error} onSubmit={(v) => rename.mutate({ from: renaming.id, ...v })} onCancel={() => setRenaming(null)} />}
      </Modal>
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(o) => !o && setDeleting(null)}
        title={`Delete project ${deleting?.name ?? ''}?`}
        description={
          deleting && (deleting.runCount ?? 0) > 0
            ? `It has ${deleting.runCount} run(s) and ${deleting.datasetCount ?? 0} dataset(s); they and its registered models go to the trash with it. Restore with wb project restore ${deleting.name}; wb gc empties the trash for good.`
            : `It goes to the trash; restore it with wb project restore ${deleting?.name ?? ''}.`
        }
        confirmLabel="Delete project"
        danger
        busy={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting)}
      />
    </div>
  );
}

/** Deleted projects, with Restore (wb gc empties the trash for good). */
function Trash() {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['projects', 'trash'], queryFn: () => api().listProjects({ deleted: true }) });
  const restore = useMutation({
    mutationFn: (p: Project) => api().restoreProject(p.id),
    onSuccess: (p) => {
      toast(`Project ${p.name} restored`, { kind: 'success' });
      void qc.invalidateQueries({ queryKey: ['projects'] });
    },
    onError: (err) => toast('Could not restore the project', { kind: 'error', description: `${describeError(err).title} ${describeError(err).hint}` }),
  });
  if (!q.data || q.data.length === 0) return null;
  return (
    <Section title={`Trash (${q.data.length})`} className="mt-5" actions={<span className="text-xs text-muted">emptied for good by wb gc</span>}>
      <table className="w-full text-[13px]" data-testid="projects-trash">
        <tbody className="divide-y divide-[var(--border)]">
          {q.data.map((p) => (
            <tr key={p.id} data-name={p.name}>
              <td className="td text-muted line-through">{p.name}</td>
              <td className="td text-xs text-muted">deleted {timeAgo(p.deletedAt)}</td>
              <td className="td text-right">
                <button className="btn h-7" onClick={() => restore.mutate(p)} disabled={restore.isPending} aria-label={`Restore ${p.name}`}>
                  <RotateCcw size={13} /> Restore
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

export function ProjectPage() {
  const { name = '' } = useParams();
  const p = useQuery({ queryKey: ['project', name], queryFn: () => api().getProject(name) });
  const ds = useQuery({ queryKey: ['datasets', name], queryFn: () => api().listDatasets({ project: name }), enabled: !!p.data });
  if (p.error) return <ErrorState error={p.error} onRetry={() => void p.refetch()} back={{ to: '/projects', label: 'All projects' }} />;
  return (
    <div>
      <PageHeader
        crumbs={
          <Link to="/projects" className="hover:underline">
            Projects
          </Link>
        }
        title={name}
        subtitle={p.data?.description || (p.data ? `created ${timeAgo(p.data.createdAt)}` : ' ')}
        actions={
          <Link className="btn btn-primary" to={`/runs/new?project=${encodeURIComponent(name)}`}>
            <Plus size={14} /> Start a run
          </Link>
        }
      />
      <Section title="Datasets" className="mb-5">
        {ds.isPending ? (
          <SkeletonRows rows={2} />
        ) : !ds.data || ds.data.length === 0 ? (
          <EmptyState icon={<Database size={18} />} title="No datasets in this project" commands={[`wb dataset import ./data.csv --project ${name} --name data`]} />
        ) : (
          <table className="w-full text-[13px]">
            <tbody className="divide-y divide-[var(--border)]">
              {ds.data.map((d) => (
                <tr key={d.id} className="hover:bg-zinc-50 dark:hover:bg-zinc-800/40">
                  <td className="td">
                    <Link to={`/datasets/${d.id}`} className="font-medium hover:underline">
                      {d.name}
                    </Link>
                    <span className="ml-1 text-xs text-muted">v{d.version}</span>
                  </td>
                  <td className="td font-mono text-xs text-muted">{shortHash(d.fingerprint)}</td>
                  <td className="td text-right tabular-nums">{formatBytes(d.size)}</td>
                  <td className="td text-right tabular-nums">{d.fileCount} file(s)</td>
                  <td className="td text-right text-muted">{timeAgo(d.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <h2 className="mb-2 text-[13px] font-semibold">Runs</h2>
      {p.data && <RunsTable project={p.data.name} height="calc(100vh - 420px)" />}
    </div>
  );
}
