import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Artifact, LogLine, MetricPoint, Run, RunDetail } from '@workbench/api';
import { Ban, Download, FileBox, FolderInput, LineChart, RotateCcw, Terminal, Trash2 } from 'lucide-react';
import { memo, useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ChartControls, MetricChart, usePagePrefs } from '../components/Chart';
import type { ChartPrefs } from '../lib/chart-data';
import { LogConsole, SEARCH_PAGE } from '../components/LogConsole';
import { ConfirmDialog, EmptyState, ErrorState, Modal, PageHeader, ProgressBar, Section, Skeleton, SkeletonRows, StatusBadge } from '../components/ui';
import { api, describeError } from '../lib/api';
import { formatBytes, formatDuration, formatNumber, formatValue, progressFraction, runDuration, shortHash, shortId, timeAgo } from '../lib/format';
import { isTerminal, useNow } from '../lib/hooks';
import { useFrameBatcher } from '../lib/live';
import { LogLines } from '../lib/log-store';
import { linesAsText } from '../lib/logs';
import { mergeLivePoints, resumeSeq, seriesFromPoints, type Series } from '../lib/series';
import { toast } from '../lib/toast';

const LOG_PAGE = 5000;
const LOG_CAP = 300_000;
const CHART_POINTS = 1500;

interface LiveState {
  logs: LogLines;
  firstSeq: number;
  series: Record<string, Series>;
  ready: boolean;
}

/** Logs (tail first) and metric series of a run, then live over the WebSocket, batched per frame. */
function useRunLive(id: string) {
  const qc = useQueryClient();
  const [state, setState] = useState<LiveState>(() => ({ logs: LogLines.empty(), firstSeq: 0, series: {}, ready: false }));
  const [loadError, setLoadError] = useState<unknown>(null);
  const logBatch = useFrameBatcher<LogLine>((lines) => setState((s) => ({ ...s, logs: s.logs.append(lines, LOG_CAP) })));
  const metricBatch = useFrameBatcher<MetricPoint>((points) => setState((s) => ({ ...s, series: mergeLivePoints(s.series, points) })));
  const runBatch = useFrameBatcher<Run>((runs) => {
    const r = runs[runs.length - 1]!;
    qc.setQueryData<RunDetail>(['run', id], (old) => (old ? { ...old, ...r, metrics: old.metrics, datasets: old.datasets ?? r.datasets, projectName: old.projectName ?? r.projectName } : old));
    if (isTerminal(r.status)) void qc.invalidateQueries({ queryKey: ['run', id] });
  });

  useEffect(() => {
    let cancelled = false;
    let sub: { close(): void } | null = null;
    setState({ logs: LogLines.empty(), firstSeq: 0, series: {}, ready: false });
    setLoadError(null);
    (async () => {
      const c = api();
      const [page, summaries] = await Promise.all([c.getLogs(id, { tail: true, limit: LOG_PAGE }), c.getMetrics(id)]);
      const fetched = await Promise.all(summaries.filter((m) => m.count > 0).map((m) => c.getMetricSeries(id, m.key, { maxPoints: CHART_POINTS })));
      if (cancelled) return;
      const series: Record<string, Series> = {};
      const maxSeqs: number[] = [];
      for (const s of fetched) {
        series[s.key] = seriesFromPoints(s.points);
        let m = 0;
        for (const p of s.points) if (p.seq > m) m = p.seq;
        maxSeqs.push(m);
      }
      const lastLog = page.lines.length ? page.lines[page.lines.length - 1]!.seq : 0;
      setState({ logs: LogLines.from(page.lines), firstSeq: page.lines[0]?.seq ?? 0, series, ready: true });
      sub = c.subscribe(
        id,
        {
          onLogs: (lines) => logBatch.push(lines),
          onMetrics: (points) => metricBatch.push(points),
          onRun: (r) => runBatch.push([r]),
        },
        { afterLogSeq: lastLog, afterMetricSeq: resumeSeq(maxSeqs) },
      );
    })().catch((err: unknown) => {
      if (!cancelled) setLoadError(err);
    });
    return () => {
      cancelled = true;
      sub?.close();
    };
  }, [id, logBatch, metricBatch, runBatch]);

  const loadEarlier = async () => {
    const first = state.firstSeq;
    if (first <= 1) return;
    const after = Math.max(0, first - 1 - LOG_PAGE);
    const page = await api().getLogs(id, { after, limit: first - 1 - after });
    setState((s) => ({ ...s, logs: s.logs.prepend(page.lines.filter((l) => l.seq < s.firstSeq)), firstSeq: page.lines[0]?.seq ?? s.firstSeq }));
  };
  return { ...state, loadError, loadEarlier };
}

const MetricCard = memo(function MetricCard({ name, series, prefs }: { name: string; series: Series; prefs: ChartPrefs }) {
  const lines = useMemo(() => [{ label: name, series }], [name, series]);
  const last = series.values.length ? series.values[series.values.length - 1] : null;
  let min = Infinity;
  let max = -Infinity;
  for (const v of series.values) {
    if (v === null) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return (
    <div className="card p-3" data-testid="metric-card" data-key={name}>
      <div className="mb-1 flex items-baseline justify-between gap-2 px-1">
        {/* The name keeps its room (up to 60%); the figures give way first. */}
        <span className="max-w-[60%] shrink-0 truncate font-mono text-[12.5px] font-medium" title={name}>{name}</span>
        <span className="min-w-0 truncate text-right text-xs text-muted tabular-nums" title={`min ${formatNumber(min)} · max ${formatNumber(max)} (of the points drawn)`}>
          <span className="font-medium text-current">{formatNumber(last ?? null)}</span>
          {Number.isFinite(min) && ` · min ${formatNumber(min)} · max ${formatNumber(max)}`} · {series.steps.length.toLocaleString()} pts
        </span>
      </div>
      <MetricChart lines={lines} height={200} prefs={prefs} />
    </div>
  );
});

/**
 * Download through a short-lived link the server signs: the browser streams the file to disk
 * (no copy in memory, any size), and the workspace token never appears in a URL.
 */
async function downloadArtifact(runId: string, a: Artifact) {
  try {
    const link = await api().request<{ url: string }>('POST', `/runs/${encodeURIComponent(runId)}/artifact-links`, { body: { name: a.name } });
    const el = document.createElement('a');
    el.href = link.url;
    el.download = a.name.split('/').pop() || 'artifact';
    document.body.appendChild(el);
    el.click();
    el.remove();
  } catch (err) {
    toast('Download failed', { kind: 'error', description: `${describeError(err).title} ${describeError(err).hint}`.trim() });
  }
}

function KeyValues({ values, empty }: { values: Record<string, unknown>; empty: string }) {
  const entries = Object.entries(values);
  if (entries.length === 0) return <div className="px-4 py-3 text-[13px] text-muted">{empty}</div>;
  return (
    <dl className="divide-y divide-[var(--border)] text-[13px]">
      {entries.map(([k, v]) => (
        <div key={k} className="flex justify-between gap-3 px-4 py-1.5">
          <dt className="truncate font-mono text-[12px] text-muted">{k}</dt>
          <dd className="truncate text-right font-mono text-[12px]" title={formatValue(v)}>
            {formatValue(v)}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function TagForm({ runId }: { runId: string }) {
  const qc = useQueryClient();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const m = /^\s*([^=\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(text);
  return (
    <form
      className="flex gap-2 border-t border-app px-4 py-2"
      onSubmit={(e) => {
        e.preventDefault();
        if (!m) return;
        setBusy(true);
        api()
          .setRunTags(runId, { [m[1]!]: m[2]! })
          .then(() => {
            setText('');
            return qc.invalidateQueries({ queryKey: ['run', runId] });
          })
          .catch((err: unknown) => toast('Could not tag the run', { kind: 'error', description: describeError(err).title }))
          .finally(() => setBusy(false));
      }}
    >
      <input className="input h-7 font-mono text-[12px]" placeholder="key=value" value={text} onChange={(e) => setText(e.target.value)} aria-label="New tag (key=value)" />
      <button className="btn h-7" disabled={!m || busy} type="submit">
        Tag
      </button>
    </form>
  );
}

function MoveDialog({ run, open, onOpenChange }: { run: RunDetail; open: boolean; onOpenChange: (o: boolean) => void }) {
  const qc = useQueryClient();
  const projects = useQuery({ queryKey: ['projects'], queryFn: () => api().listProjects(), enabled: open });
  const others = (projects.data ?? []).filter((p) => p.id !== run.projectId);
  const [to, setTo] = useState('');
  const [busy, setBusy] = useState(false);
  const target = to || others[0]?.name || '';
  return (
    <Modal open={open} onOpenChange={onOpenChange} title={`Move ${run.name} to another project`} description="Its logs, metrics, artifacts and dataset links move with it.">
      {projects.isPending ? (
        <SkeletonRows rows={2} />
      ) : others.length === 0 ? (
        <div className="text-[13px] text-muted">
          There is no other project yet. Create one on the <Link className="text-accent-600 dark:text-accent-400 underline" to="/projects?create=1">projects page</Link> (or <code className="font-mono">wb project create NAME</code>), then move the run.
        </div>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setBusy(true);
            api()
              .moveRun(run.id, target)
              .then((r) => {
                onOpenChange(false);
                toast(`Moved ${r.name} to ${target}`, { kind: 'success' });
                void qc.invalidateQueries({ queryKey: ['run', run.id] });
                void qc.invalidateQueries({ queryKey: ['runs'] });
              })
              .catch((err: unknown) => toast('Could not move the run', { kind: 'error', description: `${describeError(err).title} ${describeError(err).hint}`.trim() }))
              .finally(() => setBusy(false));
          }}
        >
          <label className="label" htmlFor="move-to">
            Project
          </label>
          <select id="move-to" className="input" value={target} onChange={(e) => setTo(e.target.value)} autoFocus>
            {others.map((p) => (
              <option key={p.id}>{p.name}</option>
            ))}
          </select>
          <div className="mt-5 flex justify-end gap-2">
            <button type="button" className="btn" onClick={() => onOpenChange(false)}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy || !target} data-testid="move-confirm">
              {busy ? 'Moving…' : 'Move run'}
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}

export function RunPage() {
  const { id = '' } = useParams();
  const q = useQuery({ queryKey: ['run', id], queryFn: () => api().getRun(id) });
  const live = useRunLive(id);
  const [confirm, setConfirm] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [resuming, setResuming] = useState(false);
  const [trashing, setTrashing] = useState(false);
  const [moving, setMoving] = useState(false);
  const navigate = useNavigate();
  const qc = useQueryClient();
  const run = q.data;
  const now = useNow(1000, !!run && !isTerminal(run.status));
  const keys = useMemo(() => Object.keys(live.series).sort(), [live.series]);
  const prefs = usePagePrefs(false);

  if (q.error) return <ErrorState error={q.error} onRetry={() => void q.refetch()} back={{ to: '/runs', label: 'All runs' }} />;

  const resume = async () => {
    setResuming(true);
    try {
      const r = await api().resumeRun(id);
      qc.setQueryData<RunDetail>(['run', id], (old) => (old ? { ...old, ...r, metrics: old.metrics, datasets: old.datasets ?? r.datasets } : old));
      toast(`Attempt ${r.attempt} started`, { kind: 'success' });
    } catch (err) {
      toast('Could not resume the run', { kind: 'error', description: describeError(err).title });
    } finally {
      setResuming(false);
    }
  };

  const cancel = async () => {
    setCancelling(true);
    try {
      await api().cancelRun(id);
      toast('Cancelling the run', { description: 'The process gets SIGTERM, then SIGKILL after the grace period.' });
      setConfirm(false);
    } catch (err) {
      toast('Could not cancel the run', { kind: 'error', description: describeError(err).title });
    } finally {
      setCancelling(false);
    }
  };

  const f = run ? progressFraction(run.progress) : null;
  return (
    <div>
      <PageHeader
        crumbs={
          <>
            <Link to="/runs" className="hover:underline">
              Runs
            </Link>
            {run?.projectName && (
              <>
                {' / '}
                <Link to={`/projects/${encodeURIComponent(run.projectName)}`} className="hover:underline">
                  {run.projectName}
                </Link>
              </>
            )}
          </>
        }
        title={
          run ? (
            <span className="flex items-center gap-3">
              {run.name} <StatusBadge status={run.status} />
            </span>
          ) : (
            <Skeleton className="h-7 w-64" />
          )
        }
        subtitle={
          run && (
            <span data-testid="run-meta">
              <span className="font-mono">{shortId(run.id)}</span> · {run.kind} · started {timeAgo(run.startedAt ?? run.createdAt, now)} · <span data-testid="run-duration">{formatDuration(runDuration(run, now))}</span>
              {run.attempt > 1 && <> · attempt {run.attempt}</>}
              {run.exitCode !== null && <> · exit {run.exitCode}</>}
              {run.statusReason && <> · {run.statusReason}</>}
            </span>
          )
        }
        actions={
          run && (
            <>
              <button className="btn" onClick={() => setMoving(true)} data-testid="move-run" title="Move this run to another project">
                <FolderInput size={14} /> Move
              </button>
              {!isTerminal(run.status) ? (
                <button className="btn btn-danger" onClick={() => setConfirm(true)} data-testid="cancel-run">
                  <Ban size={14} /> Cancel run
                </button>
              ) : (
                <>
                  {run.status !== 'succeeded' && (
                    <button className="btn" onClick={() => void resume()} disabled={resuming} data-testid="resume-run" title="Start the next attempt of this run (same params, datasets and command)">
                      <RotateCcw size={14} /> {resuming ? 'Resuming…' : 'Resume'}
                    </button>
                  )}
                  <button className="btn" onClick={() => setTrashing(true)} data-testid="trash-run" title="Move this run to the trash">
                    <Trash2 size={14} /> Delete
                  </button>
                </>
              )}
            </>
          )
        }
      />
      {run && (run.status === 'running' || run.progress) && (
        <div className="card mb-5 flex items-center gap-4 px-4 py-3">
          <ProgressBar progress={run.progress} className="flex-1" />
          <span className="text-xs text-muted tabular-nums" data-testid="progress-text">
            {run.progress ? `${run.progress.current}${run.progress.total ? ` / ${run.progress.total}` : ''}` : 'no progress reported'}
            {f !== null && ` · ${Math.round(f * 100)}%`}
          </span>
        </div>
      )}
      {live.loadError ? <ErrorState error={live.loadError} /> : null}

      <div className="grid gap-5 xl:grid-cols-[1fr_320px]">
        <div className="min-w-0 space-y-5">
          <div>
            <div className="mb-2 flex flex-wrap items-center justify-between gap-2">
              <h2 className="flex items-center gap-2 text-[13px] font-semibold">
                <LineChart size={14} /> Metrics
              </h2>
              {keys.length > 0 && <ChartControls />}
            </div>
            {!live.ready ? (
              <div className="grid gap-3 lg:grid-cols-2">
                <Skeleton className="h-60" />
                <Skeleton className="h-60" />
              </div>
            ) : keys.length === 0 ? (
              <div className="card">
                <EmptyState title="No metrics yet" commands={['wb.log_metric("loss", 0.42, step=epoch)   # Python, in the training script']}>
                  Metrics the run logs are drawn here as they arrive.
                </EmptyState>
              </div>
            ) : (
              <div className={keys.length === 1 ? 'grid gap-3' : 'grid gap-3 lg:grid-cols-2'} data-testid="metric-charts">
                {keys.map((k) => (
                  <MetricCard key={k} name={k} series={live.series[k]!} prefs={prefs} />
                ))}
              </div>
            )}
          </div>
          <div>
            <h2 className="mb-2 flex items-center gap-2 text-[13px] font-semibold">
              <Terminal size={14} /> Logs
            </h2>
            <LogConsole
              lines={live.logs}
              loading={!live.ready}
              hasEarlier={live.firstSeq > 1}
              onLoadEarlier={() => void live.loadEarlier()}
              download={{
                name: `${run?.name ?? 'run'}-${shortId(id)}.log`,
                all: async () => {
                  // Every stored line, a page at a time (the console holds only the newest).
                  const parts: string[] = [];
                  for (let after = 0; ; ) {
                    const page = await api().getLogs(id, { after, limit: 100_000 });
                    parts.push(linesAsText(page.lines));
                    if (page.lines.length < 100_000) return parts;
                    after = page.lastSeq;
                  }
                },
              }}
              searchAll={async (text, after) => {
                try {
                  return (await api().getLogs(id, { search: text, limit: SEARCH_PAGE, ...(after !== undefined ? { after } : {}) })).lines;
                } catch (err) {
                  toast('The search failed', { kind: 'error', description: describeError(err).title });
                  return [];
                }
              }}
            />
          </div>
        </div>
        <div className="space-y-5">
          {!run ? (
            <div className="card">
              <SkeletonRows rows={6} />
            </div>
          ) : (
            <>
              <Section title="Run">
                <dl className="divide-y divide-[var(--border)] text-[13px]">
                  {[
                    ['id', <span className="font-mono text-[12px]">{run.id}</span>],
                    ['project', run.projectName ? <Link to={`/projects/${encodeURIComponent(run.projectName)}`} className="hover:underline">{run.projectName}</Link> : '—'],
                    ['created', new Date(run.createdAt).toLocaleString()],
                    ['ended', run.endedAt ? new Date(run.endedAt).toLocaleString() : '—'],
                    ['command', <span className="line-clamp-3 font-mono text-[12px] break-all" title={run.template ? run.template : run.command.join(' ')}>{run.template ? `template ${run.template}` : run.command.join(' ') || '—'}</span>],
                    ['host', run.host ?? '—'],
                    ['device', run.device ?? '—'],
                  ].map(([k, v]) => (
                    <div key={String(k)} className="flex justify-between gap-3 px-4 py-1.5">
                      <dt className="text-muted">{k}</dt>
                      <dd className="min-w-0 text-right">{v}</dd>
                    </div>
                  ))}
                </dl>
              </Section>
              <Section title="Params">
                <KeyValues values={run.params} empty="No params." />
              </Section>
              <Section title="Tags">
                <KeyValues values={run.tags} empty="No tags." />
                <TagForm runId={run.id} />
              </Section>
              <Section title="Datasets">
                {run.datasets && run.datasets.length > 0 ? (
                  <ul className="divide-y divide-[var(--border)] text-[13px]">
                    {run.datasets.map((d) => (
                      <li key={d.id} className="flex justify-between gap-3 px-4 py-1.5">
                        <Link to={`/datasets/${d.id}`} className="hover:underline">
                          {d.name}
                          <span className="text-muted"> v{d.version}</span>
                        </Link>
                        <span className="font-mono text-[11px] text-muted" title={d.fingerprint}>
                          {shortHash(d.fingerprint)}
                        </span>
                      </li>
                    ))}
                  </ul>
                ) : (
                  <div className="px-4 py-3 text-[13px] text-muted">No dataset was attached.</div>
                )}
              </Section>
              <Section title="Artifacts">
                {run.artifacts.length > 0 ? (
                  <ul className="divide-y divide-[var(--border)] text-[13px]">
                    {run.artifacts.map((a) => (
                      <li key={a.id} className="flex items-center justify-between gap-3 px-4 py-1.5">
                        <span className="flex min-w-0 items-center gap-2">
                          <FileBox size={14} className="shrink-0 text-muted" />
                          <span className="truncate" title={a.name}>
                            {a.name}
                          </span>
                        </span>
                        <span className="flex shrink-0 items-center gap-2 text-xs text-muted">
                          {formatBytes(a.size)}
                          <button className="rounded p-1 hover:bg-zinc-100 dark:hover:bg-zinc-800" title={`Download ${a.name}`} onClick={() => void downloadArtifact(run.id, a)}>
                            <Download size={14} />
                          </button>
                        </span>
                      </li>
                    ))}
                  </ul>
                ) : (
                  <div className="px-4 py-3 text-[13px] text-muted">No artifacts.</div>
                )}
              </Section>
            </>
          )}
        </div>
      </div>
      {run && <MoveDialog run={run} open={moving} onOpenChange={setMoving} />}
      <ConfirmDialog
        open={trashing}
        onOpenChange={setTrashing}
        title={`Delete run ${run?.name ?? ''}?`}
        description={`It goes to the trash with its logs, metrics and artifacts; restore it with wb run restore ${run ? shortId(run.id) : ''}. wb gc empties the trash for good.`}
        confirmLabel="Delete run"
        danger
        onConfirm={() => {
          api()
            .deleteRun(id)
            .then((r) => {
              setTrashing(false);
              toast(`Run ${r.name} moved to the trash`, { description: `Restore it with: wb run restore ${shortId(r.id)}` });
              void qc.invalidateQueries({ queryKey: ['runs'] });
              navigate('/runs');
            })
            .catch((err: unknown) => toast('Could not delete the run', { kind: 'error', description: describeError(err).title }));
        }}
      />
      <ConfirmDialog
        open={confirm}
        onOpenChange={setConfirm}
        title="Cancel this run?"
        description="The process is stopped: SIGTERM first, then SIGKILL after the grace period. What it logged so far is kept."
        confirmLabel="Cancel run"
        danger
        busy={cancelling}
        onConfirm={() => void cancel()}
      />
    </div>
  );
}
