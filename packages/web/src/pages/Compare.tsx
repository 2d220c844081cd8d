import { useQueries, useQuery } from '@tanstack/react-query';
import type { RunDetail } from '@workbench/api';
import { GitCompareArrows } from 'lucide-react';
import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { MetricChart, PALETTE, type ChartLine } from '../components/Chart';
import { EmptyState, ErrorState, PageHeader, Section, SkeletonRows, StatusBadge, cx } from '../components/ui';
import { api } from '../lib/api';
import { formatNumber, formatValue, shortId } from '../lib/format';
import { seriesFromPoints } from '../lib/series';

function CompareChart({ metric, runs }: { metric: string; runs: RunDetail[] }) {
  const series = useQueries({
    queries: runs.map((r) => ({
      queryKey: ['series', r.id, metric, 800],
      queryFn: () => api().getMetricSeries(r.id, metric, { maxPoints: 800 }),
      enabled: !!r.metrics?.some((m) => m.key === metric),
      staleTime: 10_000,
    })),
  });
  const lines: ChartLine[] = useMemo(
    () =>
      runs.flatMap((r, i) => {
        const s = series[i]?.data;
        return s ? [{ label: r.name, color: PALETTE[i % PALETTE.length]!, series: seriesFromPoints(s.points) }] : [];
      }),
    // Recomputed when any run's series arrives (one dependency per series).
    [runs, ...series.map((s) => s.data)],
  );
  return (
    <div className="card p-3" data-testid="compare-chart">
      <div className="mb-1 px-1 font-mono text-[12.5px] font-medium">{metric}</div>
      {lines.length ? <MetricChart lines={lines} height={240} /> : <div className="skeleton h-60" />}
    </div>
  );
}

export function ComparePage() {
  const [params] = useSearchParams();
  const ids = (params.get('runs') ?? '').split(',').filter(Boolean).slice(0, 20);
  const q = useQuery({ queryKey: ['compare', ids], queryFn: () => Promise.all(ids.map((id) => api().getRun(id))), enabled: ids.length > 0 });
  const [onlyDiff, setOnlyDiff] = useState(true);
  const runs = q.data ?? [];
  const metrics = useMemo(() => [...new Set(runs.flatMap((r) => (r.metrics ?? []).map((m) => m.key)))].sort(), [runs]);
  const paramKeys = useMemo(() => [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort(), [runs]);
  const differs = (k: string) => new Set(runs.map((r) => JSON.stringify(r.params[k] ?? null))).size > 1;
  const shownParams = onlyDiff ? paramKeys.filter(differs) : paramKeys;

  if (ids.length < 2)
    return (
      <div>
        <PageHeader title="Compare runs" />
        <div className="card">
          <EmptyState icon={<GitCompareArrows size={20} />} title="Pick 2 to 20 runs to compare">
            Select runs with the checkboxes in the <Link className="text-accent-600 underline" to="/runs">runs table</Link>, then press Compare: their metrics are overlaid and their params diffed.
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
          <div className="grid gap-3 lg:grid-cols-2">
            {metrics.map((m) => (
              <CompareChart key={m} metric={m} runs={runs} />
            ))}
          </div>
        </>
      )}
    </div>
  );
}
