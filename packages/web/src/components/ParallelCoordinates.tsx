import type { RunDetail } from '@workbench/api';
import { useMemo, useState } from 'react';
import { formatNumber, formatValue } from '../lib/format';
import { useIsDark } from '../lib/theme';
import { fromWireNumber } from '../lib/wire';

type Agg = 'last' | 'min' | 'max';

interface Axis {
  label: string;
  /** Where each run sits on the axis, 0 (bottom) to 1 (top); null: the run has no value. */
  pos: Array<number | null>;
  ticks: Array<{ at: number; text: string }>;
}

/** A numeric axis (min at the bottom) or a categorical one (values spread evenly, sorted). */
function makeAxis(label: string, values: unknown[]): Axis {
  const nums = values.map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : null));
  const present = values.filter((v) => v !== undefined && v !== null);
  if (present.length > 0 && nums.every((n, i) => n !== null || values[i] === undefined || values[i] === null)) {
    const xs = nums.filter((n): n is number => n !== null);
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    // Values that span decades (learning rates, weight decays) are placed on a log scale.
    if (lo > 0 && hi / lo >= 100) {
      const l0 = Math.log10(lo);
      const l1 = Math.log10(hi);
      return { label: `${label} (log)`, pos: nums.map((n) => (n === null ? null : (Math.log10(n) - l0) / (l1 - l0))), ticks: [{ at: 0, text: formatNumber(lo) }, { at: 1, text: formatNumber(hi) }] };
    }
    const span = hi - lo || 1;
    return { label, pos: nums.map((n) => (n === null ? null : hi === lo ? 0.5 : (n - lo) / span)), ticks: hi === lo ? [{ at: 0.5, text: formatNumber(lo) }] : [{ at: 0, text: formatNumber(lo) }, { at: 1, text: formatNumber(hi) }] };
  }
  const cats = [...new Set(present.map((v) => formatValue(v)))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const at = (c: string) => (cats.length === 1 ? 0.5 : cats.indexOf(c) / (cats.length - 1));
  return { label, pos: values.map((v) => (v === undefined || v === null ? null : at(formatValue(v)))), ticks: cats.slice(0, 12).map((c) => ({ at: at(c), text: c })) };
}

/**
 * Params against a chosen metric, one polyline per run: the params that differ between the
 * runs are the axes, the metric is the last one. An SVG: at most 20 runs are compared.
 */
export function ParallelCoordinates({ runs, colors, metrics }: { runs: RunDetail[]; colors: string[]; metrics: string[] }) {
  const [metric, setMetric] = useState('');
  const [agg, setAgg] = useState<Agg>('last');
  const [hover, setHover] = useState<number | null>(null);
  const dark = useIsDark();
  const m = metric && metrics.includes(metric) ? metric : (metrics[0] ?? '');
  const axes = useMemo(() => {
    const keys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
    const differing = keys.filter((k) => new Set(runs.map((r) => JSON.stringify(r.params[k] ?? null))).size > 1).slice(0, 12);
    const out = differing.map((k) => makeAxis(k, runs.map((r) => r.params[k])));
    if (m) {
      out.push(
        makeAxis(
          `${m} (${agg})`,
          runs.map((r) => {
            const s = r.metrics?.find((x) => x.key === m);
            return s ? fromWireNumber(s[agg] as never) : undefined;
          }),
        ),
      );
    }
    return out;
  }, [runs, m, agg]);

  const W = 900;
  const H = 260;
  const padX = 60;
  const top = 28;
  const bottom = 30;
  const x = (i: number) => (axes.length === 1 ? W / 2 : padX + (i * (W - 2 * padX)) / (axes.length - 1));
  const y = (p: number) => top + (1 - p) * (H - top - bottom);
  const ink = dark ? '#a1a1aa' : '#52525b';
  const axisColor = dark ? '#3f3f46' : '#d4d4d8';

  return (
    <div className="p-3" data-testid="parallel-coordinates">
      <div className="mb-2 flex flex-wrap items-center gap-2 text-xs text-muted">
        <label className="flex items-center gap-1.5">
          metric
          <select className="input h-7 w-auto py-0 text-[12px]" value={m} onChange={(e) => setMetric(e.target.value)} aria-label="Metric for the last axis" data-testid="pc-metric">
            {metrics.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        <select className="input h-7 w-auto py-0 text-[12px]" value={agg} onChange={(e) => setAgg(e.target.value as Agg)} aria-label="Which value of the metric">
          <option value="last">last</option>
          <option value="min">min</option>
          <option value="max">max</option>
        </select>
        <span>Axes: the params that differ between these runs{m ? `, then ${m}` : ''}. Hover a line to pick out its run.</span>
      </div>
      {axes.length === 0 ? (
        <div className="py-6 text-center text-[13px] text-muted">These runs have the same params and no metric: nothing to draw.</div>
      ) : (
        <svg viewBox={`0 0 ${W} ${H}`} className="w-full" role="img" aria-label={`Parallel coordinates of ${runs.length} runs over ${axes.map((a) => a.label).join(', ')}`}>
          {axes.map((a, i) => (
            <g key={a.label}>
              <line x1={x(i)} x2={x(i)} y1={top} y2={H - bottom} stroke={axisColor} strokeWidth={1.5} />
              <text x={x(i)} y={14} textAnchor="middle" fontSize={11} fontFamily="ui-monospace, monospace" fill={ink}>
                {a.label.length > 22 ? `${a.label.slice(0, 21)}…` : a.label}
              </text>
              {a.ticks.map((t) => (
                <text key={t.text} x={x(i) + 5} y={y(t.at) + 3} fontSize={10} fill={ink}>
                  {t.text.length > 14 ? `${t.text.slice(0, 13)}…` : t.text}
                </text>
              ))}
            </g>
          ))}
          {runs.map((r, ri) => {
            const pts = axes.map((a, i) => (a.pos[ri] === null ? null : `${x(i)},${y(a.pos[ri]!)}`));
            // A run without a value on some axis is drawn in pieces around the gap.
            const segs: string[][] = [[]];
            for (const p of pts) {
              if (p === null) segs.push([]);
              else segs[segs.length - 1]!.push(p);
            }
            const faded = hover !== null && hover !== ri;
            return (
              <g key={r.id} onMouseEnter={() => setHover(ri)} onMouseLeave={() => setHover(null)} data-testid="pc-line" data-run={r.name}>
                <title>{`${r.name}: ${axes.map((a) => a.label).join(', ')}`}</title>
                {segs
                  .filter((sg) => sg.length > 0)
                  .map((sg, si) =>
                    sg.length === 1 ? (
                      <circle key={si} cx={Number(sg[0]!.split(',')[0])} cy={Number(sg[0]!.split(',')[1])} r={3} fill={colors[ri]} opacity={faded ? 0.15 : 1} />
                    ) : (
                      <polyline key={si} points={sg.join(' ')} fill="none" stroke={colors[ri]} strokeWidth={hover === ri ? 3 : 1.8} opacity={faded ? 0.15 : 0.9} />
                    ),
                  )}
              </g>
            );
          })}
        </svg>
      )}
    </div>
  );
}
