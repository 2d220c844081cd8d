import { toWireNumber, type MetricSummary, type MetricSummaryWire, type Run } from '@workbench/api';

const finiteOrNull = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? null : v);

/** `Run.metrics` carries plain JSON numbers: ±Infinity becomes null there (GET /runs/:id/metrics keeps it). */
export function toWireRun<T extends Run>(run: T): T {
  if (!run.metrics) return run;
  return { ...run, metrics: run.metrics.map((m) => ({ ...m, last: finiteOrNull(m.last), min: finiteOrNull(m.min), max: finiteOrNull(m.max) })) };
}

export function toWireSummary(m: MetricSummary): MetricSummaryWire {
  const w = (v: number | null) => (v === null ? null : toWireNumber(v));
  return { key: m.key, last: w(m.last), lastStep: m.lastStep, min: w(m.min), max: w(m.max), count: m.count };
}
