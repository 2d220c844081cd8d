import { useSyncExternalStore } from 'react';
import type { Series, XY } from './series';

/** How charts draw: x by step, wall-clock time or time since the run's first point. */
export type XMode = 'step' | 'time' | 'relative';

export interface ChartPrefs {
  /** Exponential moving average weight, 0 (off) to 0.99. */
  smoothing: number;
  logY: boolean;
  x: XMode;
}

export const DEFAULT_PREFS: ChartPrefs = { smoothing: 0, logY: false, x: 'step' };

/**
 * An exponential moving average, debiased at the start (so the first points are not pulled
 * towards zero); gaps stay gaps and do not reset the average.
 */
export function smooth(values: ReadonlyArray<number | null>, weight: number): Array<number | null> {
  if (!(weight > 0)) return values.slice();
  const w = Math.min(0.999, weight);
  const out: Array<number | null> = new Array(values.length);
  let acc = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    acc = acc * w + (1 - w) * v;
    n++;
    out[i] = acc / (1 - w ** n);
  }
  return out;
}

/** Values a log axis can draw: zero and negatives become gaps. */
export function positiveOnly(values: ReadonlyArray<number | null>): Array<number | null> {
  return values.map((v) => (v !== null && v > 0 ? v : null));
}

/**
 * The x values of a series for an axis mode (uPlot's time axes count seconds), sorted: a
 * series whose wall-clock times go backwards (a resumed attempt) is reordered by time.
 */
export function toXY(s: Series, mode: XMode, values: ReadonlyArray<number | null> = s.values): XY {
  if (mode === 'step') return { steps: s.steps, values };
  const t0 = mode === 'relative' ? minOf(s.times) : 0;
  const xs = s.times.map((t) => (t - t0) / 1000);
  let sorted = true;
  for (let i = 1; i < xs.length; i++)
    if (xs[i]! < xs[i - 1]!) {
      sorted = false;
      break;
    }
  if (sorted) return { steps: xs, values };
  const order = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  return { steps: order.map((i) => xs[i]!), values: order.map((i) => values[i] ?? null) };
}

function minOf(a: readonly number[]): number {
  let m = Infinity;
  for (const v of a) if (v < m) m = v;
  return Number.isFinite(m) ? m : 0;
}

// ---- preferences, shared by every chart and kept across visits ------------------------------

const KEY = 'wb-chart-prefs';
const listeners = new Set<() => void>();
let current: ChartPrefs = load();

function load(): ChartPrefs {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Partial<ChartPrefs> | null;
    if (!raw || typeof raw !== 'object') return DEFAULT_PREFS;
    return {
      smoothing: typeof raw.smoothing === 'number' && raw.smoothing >= 0 && raw.smoothing < 1 ? raw.smoothing : 0,
      logY: raw.logY === true,
      x: raw.x === 'time' || raw.x === 'relative' ? raw.x : 'step',
    };
  } catch {
    return DEFAULT_PREFS;
  }
}

export function setChartPrefs(patch: Partial<ChartPrefs>): void {
  current = { ...current, ...patch };
  try {
    localStorage.setItem(KEY, JSON.stringify(current));
  } catch {
    /* storage disabled: the choice lasts for this page */
  }
  for (const l of listeners) l();
}

export function useChartPrefs(): ChartPrefs {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}
