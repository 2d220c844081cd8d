export interface Summary {
  n: number;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  min: number | null;
  max: number | null;
}

/** Nearest-rank percentiles of the finite values; nulls (not reported) are left out. */
export function summarize(values: Array<number | null | undefined>): Summary {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return { n: 0, mean: null, p50: null, p95: null, min: null, max: null };
  const rank = (p: number) => xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))]!;
  return { n: xs.length, mean: xs.reduce((a, b) => a + b, 0) / xs.length, p50: rank(50), p95: rank(95), min: xs[0]!, max: xs[xs.length - 1]! };
}
