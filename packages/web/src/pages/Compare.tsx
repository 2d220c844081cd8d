import { useQueries } from '@tanstack/react-query';
import type { MetricPoint, RunDetail } from '@workbench/api';
import { GitCompareArrows } from 'lucide-react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ChartControls, MetricChart, PALETTE, usePagePrefs, type ChartLine } from '../components/Chart';
import { ParallelCoordinates } from '../components/ParallelCoordinates';
import type { ChartPrefs } from '../lib/chart-data';
import { isTerminal } from '../lib/hooks';
import { useFrameBatcher } from '../lib/live';
import { mergeLivePoints, seriesFromPoints, type Series } from '../lib/series';
import { EmptyState, ErrorState, PageHeader, Section, SkeletonRows, StatusBadge, cx } from '../components/ui';
import { api } from '../lib/api';
import { formatNumber, formatValue, shortId } from '../lib/format';

const COMPARE_POINTS = 800;

/**
 * The chosen metrics' series of every compared run, fetched once, then kept live over the
 * WebSocket for the runs still running (points batched per animation frame).
 */
function useCompareSeries(runs: RunDetail[], metrics: string[]): Record<string, Record<string, Series>> {
  const [state, setState] = useState<Record<string, Record<string, Series>>>({});
  const requested = useRef(new Set<string>());
  const live = useRef(new Map<string, { close(): void }>());
  const batch = useFrameBatcher<MetricPoint & { runId: string }>((points) =>
    setState((prev) => {
      const byRun = new Map<string, MetricPoint[]>();
      for (const p of points) byRun.set(p.runId, [...(byRun.get(p.runId) ?? []), p]);
      const next = { ...prev };
      for (const [id, ps] of byRun) next[id] = mergeLivePoints(next[id] ?? {}, ps);
      return next;
    }),
  );
  const runKey = runs.map((r) => `${r.id}:${r.status}`).join(',');
  useEffect(() => {
    let cancelled = false;
    const todo: Array<{ run: RunDetail; key: string }> = [];
    for (const r of runs)
      for (const key of metrics) {
        const id = `${r.id}\u0000${key}`;
        if (requested.current.has(id) || !r.metrics?.some((m) => m.key === key)) continue;
        requested.current.add(id);
        todo.push({ run: r, key });
      }
    void Promise.all(
      todo.map(async ({ run, key }) => {
        const s = await api().getMetricSeries(run.id, key, { maxPoints: COMPARE_POINTS });
        return { run, key, s };
      }),
    ).then((got) => {
      if (cancelled) return;
      const maxSeq = new Map<string, number>();
      setState((prev) => {
        const next = { ...prev };
        for (const { run, key, s } of got) {
          const fetched = seriesFromPoints(s.points);
          let m = 0;
          for (const p of s.points) if (p.seq > m) m = p.seq;
          maxSeq.set(run.id, Math.max(maxSeq.get(run.id) ?? 0, m));
          // Live points that arrived while this was fetched and lie beyond it are kept.
          const had = next[run.id]?.[key];
          const last = fetched.steps.length ? fetched.steps[fetched.steps.length - 1]! : -Infinity;
          if (had) for (let i = 0; i < had.steps.length; i++) if (had.steps[i]! > last) (fetched.steps.push(had.steps[i]!), fetched.values.push(had.values[i] ?? null), fetched.times.push(had.times[i]!));
          next[run.id] = { ...next[run.id], [key]: fetched };
        }
        return next;
      });
      for (const r of runs) {
        if (isTerminal(r.status) || live.current.has(r.id)) continue;
        const sub = api().subscribe(r.id, { onMetrics: (points) => batch.push(points.map((p) => ({ ...p, runId: r.id }))) }, { afterLogSeq: Number.MAX_SAFE_INTEGER, afterMetricSeq: maxSeq.get(r.id) ?? 0, untilEnded: true });
        live.current.set(r.id, sub);
      }
    });
    return () => {
      cancelled = true;
    };
  }, [runKey, metrics.join('\u0000')]);
  useEffect(
    () => () => {
      for (const s of live.current.values()) s.close();
      live.current.clear();
    },
    [],
  );
  return state;
}

function CompareChart({ metric, runs, series, prefs }: { metric: string; runs: RunDetail[]; series: Record<string, Record<string, Series>>; prefs: ChartPrefs }) {
  const lines: ChartLine[] = useMemo(
    () =>
      runs.flatMap((r, i) => {
        const s = series[r.id]?.[metric];
        return s ? [{ label: r.name, color: PALETTE[i % PALETTE.length]!, series: s }] : [];
      }),
    [runs, metric, ...runs.map((r) => series[r.id]?.[metric])],
  );
  return (
    <div className="card p-3" data-testid="compare-chart" data-key={metric}>
      <div className="mb-1 px-1 font-mono text-[12.5px] font-medium">{metric}</div>
      {lines.length ? <MetricChart lines={lines} height={240} prefs={prefs} /> : <div className="skeleton h-60" />}
    </div>
  );
}

export function ComparePage() {
  const [params, setParams] = useSearchParams();
  const ids = (params.get('runs') ?? '').split(',').filter(Boolean).slice(0, 20);
  // Each run under its own ['run', id] key: the live event stream refreshes its status.
  const qs = useQueries({ queries: ids.map((id) => ({ queryKey: ['run', id], queryFn: () => api().getRun(id) })) });
  const q = { error: qs.find((x) => x.error)?.error ?? null, isPending: qs.some((x) => x.isPending), refetch: () => qs.forEach((x) => void x.refetch()) };
  const [onlyDiff, setOnlyDiff] = useState(true);
  const runs = useMemo(() => qs.flatMap((x) => (x.data ? [x.data] : [])), [...qs.map((x) => x.data)]);
  const metrics = useMemo(() => [...new Set(runs.flatMap((r) => (r.metrics ?? []).map((m) => m.key)))].sort(), [runs]);
  // Which metrics are charted: the address keeps the choice (?metrics=a,b); the first 8 by default.
  const picked = params.get('metrics');
  const shown = useMemo(() => (picked !== null ? picked.split(',').filter((m) => metrics.includes(m)) : metrics.slice(0, 8)), [picked, metrics]);
  const setShown = (m: string[]) => {
    const n = new URLSearchParams(params);
    n.set('metrics', m.join(','));
    setParams(n, { replace: true });
  };
  const series = useCompareSeries(runs, shown);
  const prefs = usePagePrefs(true);
  const paramKeys = useMemo(() => [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort(), [runs]);
  const differs = (k: string) => new Set(runs.map((r) => JSON.stringify(r.params[k] ?? null))).size > 1;
  const shownParams = onlyDiff ? paramKeys.filter(differs) : paramKeys;

  if (ids.length < 2)
    return (
      <div>
        <PageHeader title="Compare runs" />
        <div className="card">
          <EmptyState icon={<GitCompareArrows size={20} />} title="Pick 2 to 20 runs to compare">
            Select runs with the checkboxes in the <Link className="text-accent-600 dark:text-accent-400 underline" to="/runs">runs table</Link>, then press Compare: their metrics are overlaid and their params diffed.
          </EmptyState>
        </div>
      </div>
    );
  if (q.error) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />;
  return (
    <div>
      <PageHeader title={`Compare ${ids.length} runs`} crumbs={<Link to="/runs" className="hover:underline">Runs</Link>} />
      {q.isPending ? (
        <SkeletonRows rows={6} />
      ) : (
        <>
          <div className="mb-5 flex flex-wrap gap-2">
            {runs.map((r, i) => (
              <Link key={r.id} to={`/runs/${r.id}`} className="card flex items-center gap-2 px-3 py-1.5 text-[13px] hover:bg-zinc-50 dark:hover:bg-zinc-800/40">
                <span className="size-2.5 rounded-full" style={{ background: PALETTE[i % PALETTE.length] }} />
                <span className="font-medium">{r.name}</span>
                <StatusBadge status={r.status} />
              </Link>
            ))}
          </div>
          <Section
            title="Params"
            className="mb-5"
            actions={
              <label className="flex items-center gap-1.5 text-xs text-muted">
                <input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.target.checked)} /> only differences
              </label>
            }
          >
            <div className="overflow-x-auto">
              <table className="w-full text-[13px]" data-testid="params-diff">
                <thead className="border-b border-app bg-panel-2">
                  <tr>
                    <th className="th">param</th>
                    {runs.map((r, i) => (
                      <th key={r.id} className="th normal-case">
                        <span className="mr-1.5 inline-block size-2 rounded-full" style={{ background: PALETTE[i % PALETTE.length] }} />
                        {r.name} <span className="font-mono font-normal">{shortId(r.id)}</span>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody className="divide-y divide-[var(--border)]">
                  {shownParams.length === 0 && (
                    <tr>
                      <td className="td text-muted" colSpan={runs.length + 1}>
                        {paramKeys.length ? 'All params are the same.' : 'No params.'}
                      </td>
                    </tr>
                  )}
                  {shownParams.map((k) => {
                    const d = differs(k);
                    return (
                      <tr key={k} className={cx(d && 'bg-amber-50/70 dark:bg-amber-500/5')} data-differs={d}>
                        <td className="td font-mono text-[12px]">{k}</td>
                        {runs.map((r) => (
                          <td key={r.id} className={cx('td font-mono text-[12px]', d && 'font-semibold text-amber-800 dark:text-amber-300')}>
                            {formatValue(r.params[k])}
                          </td>
                        ))}
                      </tr>
                    );
                  })}
                  {metrics.map((m) => (
                    <tr key={`m:${m}`} className="bg-panel-2">
                      <td className="td font-mono text-[12px] text-muted">{m} (last)</td>
                      {runs.map((r) => (
                        <td key={r.id} className="td font-mono text-[12px] tabular-nums">
                          {formatNumber(r.metrics?.find((x) => x.key === m)?.last ?? null)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Section>
          <div className="mb-3 flex flex-wrap items-center justify-between gap-3">
            <div className="flex flex-wrap items-center gap-1.5" role="group" aria-label="Metrics to chart" data-testid="metric-picker">
              <span className="mr-1 text-[13px] font-semibold">Metrics</span>
              {metrics.map((m) => {
                const on = shown.includes(m);
                return (
                  <button key={m} type="button" aria-pressed={on} onClick={() => setShown(on ? shown.filter((x) => x !== m) : [...shown, m])} className={cx('h-6 rounded-full border px-2 font-mono text-[11px]', on ? 'border-accent-500/60 bg-accent-50 text-accent-700 dark:bg-accent-500/15 dark:text-accent-400' : 'border-app text-muted')}>
                    {m}
                  </button>
                );
              })}
              {metrics.length === 0 && <span className="text-xs text-muted">none of these runs logged a metric</span>}
            </div>
            {shown.length > 0 && <ChartControls relative />}
          </div>
          <div className="grid gap-3 lg:grid-cols-2">
            {shown.map((m) => (
              <CompareChart key={m} metric={m} runs={runs} series={series} prefs={prefs} />
            ))}
          </div>
          <Section title="Parallel coordinates" className="mt-5">
            <ParallelCoordinates runs={runs} colors={runs.map((_, i) => PALETTE[i % PALETTE.length]!)} metrics={metrics} />
          </Section>
        </>
      )}
    </div>
  );
}
