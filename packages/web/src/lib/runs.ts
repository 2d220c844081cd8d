import type { Run, RunStatus } from '@workbench/api';

/** A column of the runs table: built in, a param, or a metric aggregate. */
export type ColumnId = string; // 'name' | 'status' | 'project' | 'created' | 'duration' | `param:${k}` | `metric:${k}:${'last'|'min'|'max'}`

export type Agg = 'last' | 'min' | 'max';

export function columnValue(run: Run, col: ColumnId, now: number = Date.now()): string | number | null {
  switch (col) {
    case 'name':
      return run.name;
    case 'status':
      return run.status;
    case 'project':
      return run.projectName ?? '';
    case 'created':
      return Date.parse(run.createdAt);
    case 'duration': {
      if (!run.startedAt) return null;
      return (run.endedAt ? Date.parse(run.endedAt) : now) - Date.parse(run.startedAt);
    }
  }
  if (col.startsWith('param:')) {
    const v = run.params[col.slice(6)];
    if (v === undefined || v === null) return null;
    return typeof v === 'number' || typeof v === 'string' ? v : JSON.stringify(v);
  }
  if (col.startsWith('metric:')) {
    const i = col.lastIndexOf(':');
    const key = col.slice(7, i);
    const agg = col.slice(i + 1) as Agg;
    const m = run.metrics?.find((x) => x.key === key);
    if (!m) return null;
    return m[agg];
  }
  return null;
}

/** Nulls last in either direction; numbers before strings; strings by natural order. */
export function compareValues(a: string | number | null, b: string | number | null): number {
  if (a === null && b === null) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });
}

export function sortRuns(runs: readonly Run[], col: ColumnId, desc: boolean, now: number = Date.now()): Run[] {
  const keyed = runs.map((r) => ({ r, v: columnValue(r, col, now) }));
  keyed.sort((x, y) => {
    if (x.v === null || y.v === null) return compareValues(x.v, y.v);
    const c = compareValues(x.v, y.v);
    return desc ? -c : c;
  });
  return keyed.map((k) => k.r);
}

export interface WhereClause {
  col: ColumnId;
  op: '<' | '<=' | '>' | '>=' | '=' | '!=';
  value: string;
}

/** `param:lr>0.01`, `metric:loss:min<0.2`, `metric:acc>=0.9` (last), `param:opt=adam`. */
export function parseWhere(s: string): WhereClause | null {
  const m = /^\s*(param|metric):([^<>=!]+?)\s*(<=|>=|!=|=|<|>)\s*(.+?)\s*$/.exec(s);
  if (!m) return null;
  const [, kind, rawKey, op, value] = m;
  let col: ColumnId;
  if (kind === 'metric') {
    const parts = rawKey!.split(':');
    const last = parts[parts.length - 1];
    col = last === 'min' || last === 'max' || last === 'last' ? `metric:${parts.slice(0, -1).join(':')}:${last}` : `metric:${rawKey}:last`;
  } else col = `param:${rawKey}`;
  return { col, op: op as WhereClause['op'], value: value! };
}

export function matchWhere(run: Run, w: WhereClause): boolean {
  const v = columnValue(run, w.col);
  if (v === null) return false;
  const n = Number(w.value);
  const numeric = typeof v === 'number' && w.value.trim() !== '' && Number.isFinite(n);
  const c = numeric ? (v as number) - n : String(v).localeCompare(w.value, undefined, { numeric: true });
  switch (w.op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
  }
}

export interface RunFilter {
  statuses: ReadonlySet<RunStatus>;
  name: string;
  where: WhereClause[];
}

export function filterRuns(runs: readonly Run[], f: RunFilter): Run[] {
  const needle = f.name.trim().toLowerCase();
  if (f.statuses.size === 0 && !needle && f.where.length === 0) return runs.slice();
  return runs.filter((r) => {
    if (f.statuses.size > 0 && !f.statuses.has(r.status)) return false;
    if (needle && !r.name.toLowerCase().includes(needle) && !r.id.startsWith(needle)) return false;
    for (const w of f.where) if (!matchWhere(r, w)) return false;
    return true;
  });
}

/** The param and metric keys present among the runs (sorted, bounded). */
export function discoverKeys(runs: readonly Run[], max = 200): { params: string[]; metrics: string[] } {
  const p = new Set<string>();
  const m = new Set<string>();
  for (const r of runs) {
    for (const k of Object.keys(r.params)) if (p.size < max) p.add(k);
    for (const s of r.metrics ?? []) if (m.size < max) m.add(s.key);
  }
  return { params: [...p].sort(), metrics: [...m].sort() };
}

export function columnLabel(col: ColumnId): string {
  if (col.startsWith('param:')) return col.slice(6);
  if (col.startsWith('metric:')) {
    const i = col.lastIndexOf(':');
    return `${col.slice(7, i)} (${col.slice(i + 1)})`;
  }
  return col;
}
