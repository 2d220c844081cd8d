import type { MetricPoint, SeriesPoint } from '@workbench/api';
import { fromWireNumber } from './wire';

/** One metric as parallel arrays sorted by step (what a chart draws); `times` in ms since the epoch. */
export interface Series {
  steps: number[];
  values: Array<number | null>;
  times: number[];
}

export function seriesFromPoints(points: readonly (Pick<SeriesPoint, 'step' | 'value'> & { ts?: number })[]): Series {
  const steps: number[] = [];
  const values: Array<number | null> = [];
  const times: number[] = [];
  for (const p of points) {
    const v = fromWireNumber(p.value);
    steps.push(p.step);
    values.push(Number.isFinite(v) ? v : null);
    times.push(p.ts ?? 0);
  }
  return { steps, values, times };
}

function lowerBound(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Merge live points into per-key series (a new object per changed key). A point at a step
 * already drawn replaces it (latest wins, as the server resolves it); others are inserted in
 * step order.
 */
export function mergeLivePoints(prev: Record<string, Series>, points: readonly MetricPoint[]): Record<string, Series> {
  if (points.length === 0) return prev;
  const next: Record<string, Series> = { ...prev };
  const copied = new Set<string>();
  for (const p of points) {
    let s = next[p.key];
    if (!s) {
      s = { steps: [], values: [], times: [] };
      next[p.key] = s;
      copied.add(p.key);
    } else if (!copied.has(p.key)) {
      s = { steps: s.steps.slice(), values: s.values.slice(), times: s.times.slice() };
      next[p.key] = s;
      copied.add(p.key);
    }
    const v = fromWireNumber(p.value);
    const val = Number.isFinite(v) ? v : null;
    const n = s.steps.length;
    if (n === 0 || p.step > s.steps[n - 1]!) {
      s.steps.push(p.step);
      s.values.push(val);
      s.times.push(p.ts);
    } else {
      const i = lowerBound(s.steps, p.step);
      if (s.steps[i] === p.step) {
        s.values[i] = val;
        s.times[i] = p.ts;
      } else {
        s.steps.splice(i, 0, p.step);
        s.values.splice(i, 0, val);
        s.times.splice(i, 0, p.ts);
      }
    }
  }
  return next;
}

/** What alignSeries needs of a series: x values (sorted) and y values. */
export interface XY {
  steps: readonly number[];
  values: ReadonlyArray<number | null>;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Align several series on one sorted x axis (the union of their steps), nulls where a series
 * has no point: the data layout uPlot wants for overlaid lines.
 */
export function alignSeries(list: readonly XY[]): [number[], ...Array<Array<number | null>>] {
  // Series logged at the same steps (a sweep's runs, a chart of one run) share their x axis
  // as is: no union to build (20 series of 100,000 points stay cheap).
  const first = list[0]?.steps;
  if (first && list.every((s) => sameNumbers(s.steps, first))) return [first as number[], ...list.map((s) => s.values as Array<number | null>)];
  const xs = new Set<number>();
  for (const s of list) for (const x of s.steps) xs.add(x);
  const x = Array.from(xs).sort((a, b) => a - b);
  const index = new Map<number, number>();
  x.forEach((v, i) => index.set(v, i));
  const ys: Array<Array<number | null>> = list.map((s) => {
    const y: Array<number | null> = new Array(x.length).fill(null);
    for (let i = 0; i < s.steps.length; i++) y[index.get(s.steps[i]!)!] = s.values[i] ?? null;
    return y;
  });
  return [x, ...ys];
}

/**
 * Where the live subscription resumes after the series were fetched (all keys at once): the
 * highest seq seen. Replaying from the lowest would resend a whole long series for a key that
 * was logged once at the start; a point caught between two concurrent fetches is the price.
 */
export function resumeSeq(maxSeqPerKey: readonly number[]): number {
  let m = 0;
  for (const s of maxSeqPerKey) if (s > m) m = s;
  return m;
}
