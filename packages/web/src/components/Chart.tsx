import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import { alignSeries, type Series } from '../lib/series';
import { useIsDark } from '../lib/theme';

export const PALETTE = ['#6366f1', '#06b6d4', '#f59e0b', '#ef4444', '#10b981', '#ec4899', '#8b5cf6', '#84cc16', '#f97316', '#14b8a6', '#3b82f6', '#e11d48', '#a855f7', '#22c55e', '#eab308', '#0ea5e9', '#d946ef', '#64748b', '#fb7185', '#2dd4bf'];

export interface ChartLine {
  label: string;
  series: Series;
  color?: string;
}

/**
 * A line chart on uPlot (canvas; stays smooth with large and live series). Data changes are
 * applied with setData, so live points do not rebuild the chart.
 */
export function MetricChart({ lines, height = 220 }: { lines: ChartLine[]; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const dark = useIsDark();
  const data = useMemo(() => alignSeries(lines.map((l) => l.series)) as uPlot.AlignedData, [lines]);
  const shape = lines.map((l) => l.label).join('\u0000');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = dark ? '#8b8b96' : '#71717a';
    const grid = dark ? 'rgba(255,255,255,0.07)' : 'rgba(0,0,0,0.07)';
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: lines.length > 1, live: true },
      cursor: { drag: { x: true, y: false }, points: { size: 6 } },
      scales: { x: { time: false } },
      axes: [
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '11px ui-sans-serif, system-ui', size: 28 },
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '11px ui-sans-serif, system-ui', size: 56 },
      ],
      series: [
        { label: 'step' },
        ...lines.map((l, i) => ({
          label: l.label,
          stroke: l.color ?? PALETTE[i % PALETTE.length],
          width: 1.6,
          spanGaps: true,
          points: { show: false },
        })),
      ],
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
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
    // Rebuilt only when the set of lines, the size or the theme changes.
  }, [shape, height, dark]);

  useEffect(() => {
    plot.current?.setData(data, true);
  }, [data]);

  return <div ref={box} className="w-full min-w-0" data-testid="chart" />;
}
