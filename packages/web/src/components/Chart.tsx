import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import { DEFAULT_PREFS, positiveOnly, setChartPrefs, smooth, toXY, useChartPrefs, type ChartPrefs, type XMode } from '../lib/chart-data';
import { alignSeries, type Series } from '../lib/series';
import { useIsDark } from '../lib/theme';
import { cx } from './ui';

export const PALETTE = ['#6366f1', '#06b6d4', '#f59e0b', '#ef4444', '#10b981', '#ec4899', '#8b5cf6', '#84cc16', '#f97316', '#14b8a6', '#3b82f6', '#e11d48', '#a855f7', '#22c55e', '#eab308', '#0ea5e9', '#d946ef', '#64748b', '#fb7185', '#2dd4bf'];

export interface ChartLine {
  label: string;
  series: Series;
  color?: string;
}

const X_LABEL: Record<XMode, string> = { step: 'step', time: 'time', relative: 'seconds' };

/**
 * A line chart on uPlot (canvas; stays smooth with large and live series). Data changes are
 * applied with setData, so live points do not rebuild the chart. Drag to zoom in on x,
 * double-click to zoom out. With smoothing, the raw line stays drawn, faded, under the average.
 */
export function MetricChart({ lines, height = 220, prefs = DEFAULT_PREFS }: { lines: ChartLine[]; height?: number; prefs?: ChartPrefs }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const drawn = useRef<uPlot.AlignedData | null>(null);
  const dark = useIsDark();
  const smoothed = prefs.smoothing > 0;
  const data = useMemo(() => {
    const xy = lines.flatMap((l) => {
      const raw = prefs.logY ? positiveOnly(l.series.values) : l.series.values;
      if (!smoothed) return [toXY(l.series, prefs.x, raw)];
      const avg = smooth(l.series.values, prefs.smoothing);
      return [toXY(l.series, prefs.x, raw), toXY(l.series, prefs.x, prefs.logY ? positiveOnly(avg) : avg)];
    });
    return alignSeries(xy) as uPlot.AlignedData;
  }, [lines, prefs.x, prefs.logY, prefs.smoothing, smoothed]);
  const shape = lines.map((l) => `${l.label}\u0001${l.color ?? ''}`).join('\u0000');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = dark ? '#8b8b96' : '#71717a';
    const grid = dark ? 'rgba(255,255,255,0.07)' : 'rgba(0,0,0,0.07)';
    const series: uPlot.Series[] = [{ label: X_LABEL[prefs.x] }];
    lines.forEach((l, i) => {
      const color = l.color ?? PALETTE[i % PALETTE.length]!;
      if (smoothed) series.push({ label: `${l.label} (raw)`, stroke: `${color}40`, width: 1, spanGaps: true, points: { show: false } });
      series.push({ label: l.label, stroke: color, width: 1.6, spanGaps: true, points: { show: false } });
    });
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: lines.length > 1, live: true },
      cursor: { drag: { x: true, y: false }, points: { size: 6 } },
      scales: { x: { time: prefs.x === 'time' }, y: prefs.logY ? { distr: 3 } : {} },
      axes: [
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '11px ui-sans-serif, system-ui', size: 28 },
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '11px ui-sans-serif, system-ui', size: 56 },
      ],
      series,
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    drawn.current = data;
    const ro = new ResizeObserver(() => {
      const w = el.clientWidth;
      if (w > 0 && Math.abs(w - u.width) > 1) u.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuilt only when the set of lines, the size, the theme or the axes change.
  }, [shape, height, dark, prefs.x, prefs.logY, smoothed]);

  useEffect(() => {
    // A chart just built already drew this data: drawing it again would double the first paint.
    if (plot.current && drawn.current !== data) plot.current.setData(data, true);
    drawn.current = data;
  }, [data]);

  return <div ref={box} className="w-full min-w-0" data-testid="chart" data-points={data[0].length} data-x={prefs.x} data-log={prefs.logY ? 'y' : undefined} data-smoothing={prefs.smoothing || undefined} />;
}

/** Smoothing, log scale and the x axis, for every chart on the page (kept across visits). */
export function ChartControls({ relative = false, className }: { relative?: boolean; className?: string }) {
  const prefs = useChartPrefs();
  const timeMode: XMode = relative ? 'relative' : 'time';
  return (
    <div className={cx('flex flex-wrap items-center gap-3 text-xs text-muted', className)} data-testid="chart-controls">
      <label className="flex items-center gap-1.5">
        smoothing
        <input type="range" min={0} max={0.99} step={0.01} value={prefs.smoothing} onChange={(e) => setChartPrefs({ smoothing: Number(e.target.value) })} className="w-24 accent-accent-600" aria-label="Smoothing" data-testid="chart-smoothing" />
        <span className="w-7 tabular-nums">{prefs.smoothing ? prefs.smoothing.toFixed(2) : 'off'}</span>
      </label>
      <label className="flex items-center gap-1.5">
        <input type="checkbox" checked={prefs.logY} onChange={(e) => setChartPrefs({ logY: e.target.checked })} data-testid="chart-log" /> log scale
      </label>
      <div className="flex items-center gap-1" role="radiogroup" aria-label="x axis">
        x:
        {(['step', timeMode] as XMode[]).map((m) => {
          const on = m === 'step' ? prefs.x === 'step' : prefs.x !== 'step';
          return (
            <button key={m} type="button" role="radio" aria-checked={on} className={cx('h-6 rounded-md border px-2', on ? 'border-accent-500/60 bg-accent-50 text-accent-700 dark:bg-accent-500/15 dark:text-accent-400' : 'border-app')} onClick={() => setChartPrefs({ x: m })} data-testid={`chart-x-${m === 'step' ? 'step' : 'time'}`}>
              {m === 'step' ? 'step' : relative ? 'time (relative)' : 'time'}
            </button>
          );
        })}
      </div>
    </div>
  );
}

/** The chart prefs a page should draw with: 'time' means relative time where runs are overlaid. */
export function usePagePrefs(relative: boolean): ChartPrefs {
  const p = useChartPrefs();
  return useMemo(() => (p.x === 'step' ? p : { ...p, x: relative ? 'relative' : 'time' }), [p, relative]);
}
