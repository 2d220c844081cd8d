import { allocColumns, type MetricColumns } from './metric-codec.js';

/**
 * Resolve "latest attempt, then latest arrival, per step", ordered by step. Points arrive
 * mostly in step order with one attempt, so that case is a single pass; anything else
 * (rewinds, repeats, out-of-order steps) falls back to a sort.
 */
export function resolveLatest(c: MetricColumns): MetricColumns {
  const n = c.step.length;
  let ordered = true;
  for (let i = 1; i < n; i++) {
    if (!(c.step[i]! > c.step[i - 1]!)) {
      ordered = false;
      break;
    }
  }
  if (ordered) return c;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  // Arrival order is index order, so sorting by (step, attempt, index) puts the winner last.
  const sorted = Array.from(idx).sort((a, b) => c.step[a]! - c.step[b]! || c.attempt[a]! - c.attempt[b]! || a - b);
  const keep: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const cur = sorted[i]!;
    const next = sorted[i + 1];
    if (next === undefined || c.step[next] !== c.step[cur]) keep.push(cur);
  }
  return pick(c, keep);
}

export function pick(c: MetricColumns, indexes: ArrayLike<number>): MetricColumns {
  const out = allocColumns(indexes.length);
  for (let j = 0; j < indexes.length; j++) {
    const i = indexes[j]!;
    out.step[j] = c.step[i]!;
    out.value[j] = c.value[i]!;
    out.ts[j] = c.ts[i]!;
    out.seq[j] = c.seq[i]!;
    out.attempt[j] = c.attempt[i]!;
  }
  return out;
}

/**
 * Reduce a series for a chart to at most `maxPoints` points, keeping every bucket's minimum
 * and maximum (so spikes survive) plus the first and last point. Non-finite values are left
 * out of the reduced series (a chart cannot draw them); `nonFinite` says how many there were.
 */
export function downsample(c: MetricColumns, maxPoints: number): { series: MetricColumns; nonFinite: number } {
  const n = c.step.length;
  let nonFinite = 0;
  for (let i = 0; i < n; i++) if (!Number.isFinite(c.value[i]!)) nonFinite++;
  const budget = Math.max(4, Math.floor(maxPoints));
  if (n - nonFinite <= budget) {
    if (nonFinite === 0) return { series: c, nonFinite };
    const keep: number[] = [];
    for (let i = 0; i < n; i++) if (Number.isFinite(c.value[i]!)) keep.push(i);
    return { series: pick(c, keep), nonFinite };
  }
  const buckets = Math.floor((budget - 2) / 2);
  const keep = new Uint32Array(budget);
  let k = 0;
  let first = -1;
  let last = -1;
  for (let i = 0; i < n; i++) if (Number.isFinite(c.value[i]!)) { first = i; break; }
  for (let i = n - 1; i >= 0; i--) if (Number.isFinite(c.value[i]!)) { last = i; break; }
  keep[k++] = first;
  const span = last - first - 1;
  for (let b = 0; b < buckets; b++) {
    const lo = first + 1 + Math.floor((b * span) / buckets);
    const hi = first + 1 + Math.floor(((b + 1) * span) / buckets);
    let min = -1;
    let max = -1;
    for (let i = lo; i < hi; i++) {
      const v = c.value[i]!;
      if (!Number.isFinite(v)) continue;
      if (min < 0 || v < c.value[min]!) min = i;
      if (max < 0 || v > c.value[max]!) max = i;
    }
    if (min < 0) continue;
    if (min === max) keep[k++] = min;
    else if (min < max) { keep[k++] = min; keep[k++] = max; }
    else { keep[k++] = max; keep[k++] = min; }
  }
  if (last !== first) keep[k++] = last;
  return { series: pick(c, keep.subarray(0, k)), nonFinite };
}
