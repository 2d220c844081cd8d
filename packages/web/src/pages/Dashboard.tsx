import { useQuery } from '@tanstack/react-query';
import type { LlmStatus, Run } from '@workbench/api';
import { Activity, Boxes, Cpu, HardDrive, Play, Plus, Timer } from 'lucide-react';
import { Link } from 'react-router';
import { EmptyState, ErrorState, PageHeader, ProgressBar, Section, Skeleton, SkeletonRows, Stat, StatusBadge } from '../components/ui';
import { api, describeError } from '../lib/api';
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

function Meter({ label, used, total, detail }: { label: string; used: number; total: number; detail: string }) {
  const f = total > 0 ? Math.min(1, Math.max(0, used / total)) : 0;
  return (
    <div>
      <div className="flex justify-between text-xs">
        <span className="font-medium">{label}</span>
        <span className="text-muted tabular-nums">{detail}</span>
      </div>
      <div className="mt-1 h-1.5 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(f * 100)}>
        <div className={f > 0.9 ? 'h-full bg-red-500' : f > 0.7 ? 'h-full bg-amber-500' : 'h-full bg-emerald-500'} style={{ width: `${f * 100}%` }} />
      </div>
    </div>
  );
}

/** CPU, memory and GPUs of the machine the server runs on (the system collector's latest sample). */
function MachineSummary() {
  const q = useQuery({ queryKey: ['llm', 'status'], queryFn: () => api().request<LlmStatus>('GET', '/llm/status'), refetchInterval: 5000 });
  if (q.isPending) return <SkeletonRows rows={3} />;
  if (q.error) return <div className="px-4 py-4 text-[13px] text-muted">The system summary is not available from this server: {describeError(q.error).title}</div>;
  const sys = q.data.system;
  const gpuSources = sys.sources.filter((x) => ['nvidia-smi', 'rocm-smi', 'macmon'].includes(x.source));
  return (
    <div className="space-y-3 px-4 py-3" data-testid="machine-summary">
      {sys.cpu ? (
        <Meter label={`CPU · ${sys.cpu.cores} cores`} used={sys.cpu.percent ?? Math.min(100, (sys.cpu.load1 / sys.cpu.cores) * 100)} total={100} detail={sys.cpu.percent !== null ? `${Math.round(sys.cpu.percent)}% · load ${sys.cpu.load1.toFixed(2)}` : `load ${sys.cpu.load1.toFixed(2)}`} />
      ) : (
        <div className="text-xs text-muted">CPU: not readable on this system.</div>
      )}
      {sys.memory ? (
        <Meter label="Memory" used={sys.memory.usedBytes} total={sys.memory.totalBytes} detail={`${formatBytes(sys.memory.usedBytes)} of ${formatBytes(sys.memory.totalBytes)}`} />
      ) : (
        <div className="text-xs text-muted">Memory: not readable on this system.</div>
      )}
      {sys.gpus.length > 0 ? (
        sys.gpus.map((g) => (
          <Meter
            key={`${g.vendor}-${g.index}`}
            label={`GPU ${g.index} · ${g.name}`}
            used={g.memUsedBytes ?? 0}
            total={g.memTotalBytes ?? 0}
            detail={[g.utilPercent !== null ? `${Math.round(g.utilPercent)}%` : null, g.memTotalBytes ? `${formatBytes(g.memUsedBytes ?? 0)} of ${formatBytes(g.memTotalBytes)}` : null, g.temperatureC !== null ? `${Math.round(g.temperatureC)} °C` : null].filter(Boolean).join(' · ')}
          />
        ))
      ) : (
        <div className="text-xs text-muted" title={gpuSources.map((x) => `${x.source}: ${x.reason ?? (x.available ? 'available' : 'not available')}`).join('\n')}>
          No GPU found{gpuSources.length ? ` (${gpuSources.map((x) => x.source).join(', ')} not available)` : ''}.
        </div>
      )}
    </div>
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
          sub={
            ws.data ? (
              <span data-testid="blob-savings">
                {formatBytes(ws.data.sizes.dbBytes)} database · {ws.data.sizes.blobCount} blobs
                {ws.data.sizes.referencedBytes !== undefined && ws.data.sizes.referencedBytes > ws.data.sizes.blobBytes && ` · ${formatBytes(ws.data.sizes.referencedBytes - ws.data.sizes.blobBytes)} saved by storing each content once`}
              </span>
            ) : undefined
          }
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
          <div className="space-y-5 lg:col-span-2">
            <Section title="Running">
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
            <Section title={<span className="flex items-center gap-1.5"><Cpu size={13} /> This machine</span>}>
              <MachineSummary />
            </Section>
          </div>
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
