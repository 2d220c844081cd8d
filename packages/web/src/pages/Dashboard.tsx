import { useQuery } from '@tanstack/react-query';
import type { Run } from '@workbench/api';
import { Activity, Boxes, HardDrive, Play, Plus, Timer } from 'lucide-react';
import { Link } from 'react-router';
import { EmptyState, ErrorState, PageHeader, ProgressBar, Section, Skeleton, SkeletonRows, Stat, StatusBadge } from '../components/ui';
import { api } from '../lib/api';
import { formatBytes, formatDuration, progressFraction, runDuration, shortId, timeAgo } from '../lib/format';
import { useLiveRun, useNow } from '../lib/hooks';

function RunningRow({ run }: { run: Run }) {
  const r = useLiveRun(run);
  const now = useNow(1000);
  const f = progressFraction(r.progress);
  return (
    <Link to={`/runs/${r.id}`} className="block px-4 py-3 hover:bg-zinc-50 dark:hover:bg-zinc-800/40" data-testid="running-run">
      <div className="flex items-center justify-between gap-3">
        <div className="min-w-0">
          <div className="truncate font-medium">{r.name}</div>
          <div className="text-xs text-muted">
            {r.projectName} · {shortId(r.id)} · {formatDuration(runDuration(r, now))}
          </div>
        </div>
        <div className="flex items-center gap-3">
          <span className="text-xs tabular-nums text-muted">{f === null ? (r.progress ? `${r.progress.current}` : '') : `${Math.round(f * 100)}%`}</span>
          <StatusBadge status={r.status} />
        </div>
      </div>
      {r.status === 'running' && <ProgressBar progress={r.progress} className="mt-2" />}
    </Link>
  );
}

export function DashboardPage() {
  const projects = useQuery({ queryKey: ['projects'], queryFn: () => api().listProjects() });
  const recent = useQuery({ queryKey: ['runs', 'recent'], queryFn: () => api().listRuns({ limit: 12 }) });
  const running = useQuery({ queryKey: ['runs', 'active'], queryFn: () => api().listRuns({ status: ['running', 'queued'], limit: 12 }) });
  const ws = useQuery({ queryKey: ['workspace'], queryFn: () => api().workspace() });
  const now = useNow(10_000);

  if (projects.error) return <ErrorState error={projects.error} onRetry={() => void projects.refetch()} />;
  const noProjects = projects.data && projects.data.length === 0;
  const noRuns = recent.data && recent.data.total === 0;
  const firstProject = projects.data?.[0]?.name ?? 'demo';

  return (
    <div>
      <PageHeader
        title="Dashboard"
        subtitle={ws.data ? <span className="font-mono text-xs">{ws.data.dir}</span> : ' '}
        actions={
          <>
            <Link className="btn" to="/projects?create=1">
              <Plus size={14} /> New project
            </Link>
            <Link className="btn btn-primary" to="/runs/new">
              <Play size={14} /> Start a run
            </Link>
          </>
        }
      />
      <div className="mb-5 grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Stat label="Projects" icon={<Boxes size={14} />} value={projects.data ? projects.data.length : <Skeleton className="h-7 w-12" />} />
        <Stat label="Runs" icon={<Activity size={14} />} value={recent.data ? recent.data.total.toLocaleString() : <Skeleton className="h-7 w-12" />} />
        <Stat label="Running now" icon={<Timer size={14} />} value={running.data ? running.data.runs.filter((r) => r.status === 'running').length : <Skeleton className="h-7 w-12" />} sub={running.data ? `${running.data.runs.filter((r) => r.status === 'queued').length} queued` : undefined} />
        <Stat
          label="Workspace size"
          icon={<HardDrive size={14} />}
          value={ws.data ? formatBytes(ws.data.sizes.dbBytes + ws.data.sizes.blobBytes) : <Skeleton className="h-7 w-16" />}
          sub={ws.data ? `${formatBytes(ws.data.sizes.dbBytes)} database · ${ws.data.sizes.blobCount} blobs` : undefined}
        />
      </div>

      {noProjects ? (
        <div className="card">
          <EmptyState icon={<Boxes size={20} />} title="Welcome to Workbench — create your first project" commands={['wb project create demo', 'wb run --project demo -- python3 train.py']}>
            A project groups the datasets and runs of one piece of work. Create one here or from a terminal, then start a run: its logs and metrics appear live on this page.
            <div className="mt-4">
              <Link className="btn btn-primary" to="/projects?create=1">
                <Plus size={14} /> New project
              </Link>
            </div>
          </EmptyState>
        </div>
      ) : (
        <div className="grid gap-5 lg:grid-cols-5 lg:items-start">
          <Section title="Running" className="lg:col-span-2">
            {running.isPending ? (
              <SkeletonRows rows={3} />
            ) : running.data && running.data.runs.length > 0 ? (
              <div className="divide-y divide-[var(--border)]">
                {running.data.runs.map((r) => (
                  <RunningRow key={r.id} run={r} />
                ))}
              </div>
            ) : (
              <div className="px-4 py-8 text-center text-[13px] text-muted">Nothing is running. Runs you start show their progress here, live.</div>
            )}
          </Section>
          <Section
            title="Recent runs"
            className="lg:col-span-3"
            actions={
              <Link to="/runs" className="text-xs text-accent-600 hover:underline dark:text-accent-400">
                All runs →
              </Link>
            }
          >
            {recent.isPending ? (
              <SkeletonRows rows={5} />
            ) : noRuns ? (
              <EmptyState title="No runs yet" commands={[`wb run --project ${firstProject} --name baseline --param lr=0.01 -- python3 train.py`]}>
                Start one from a terminal, or from <Link className="text-accent-600 dark:text-accent-400 underline" to="/runs/new">the web app</Link>.
              </EmptyState>
            ) : (
              <table className="w-full text-[13px]" data-testid="recent-runs">
                <tbody className="divide-y divide-[var(--border)]">
                  {recent.data?.runs.map((r) => (
                    <tr key={r.id} className="hover:bg-zinc-50 dark:hover:bg-zinc-800/40">
                      <td className="td">
                        <Link to={`/runs/${r.id}`} className="font-medium hover:underline">
                          {r.name}
                        </Link>
                        <div className="text-xs text-muted">{r.projectName}</div>
                      </td>
                      <td className="td">
                        <StatusBadge status={r.status} />
                      </td>
                      <td className="td text-right text-xs text-muted tabular-nums">{formatDuration(runDuration(r, now))}</td>
                      <td className="td text-right text-xs text-muted">{timeAgo(r.createdAt, now)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
        </div>
      )}
    </div>
  );
}
