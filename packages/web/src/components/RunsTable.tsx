import * as Popover from '@radix-ui/react-popover';
import { useQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Run, RunStatus } from '@workbench/api';
import { runStatuses } from '../lib/wire';
import { ArrowDown, ArrowUp, Columns3, GitCompareArrows, Search, X } from 'lucide-react';
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api } from '../lib/api';
import { formatDuration, formatNumber, formatValue, shortId, timeAgo } from '../lib/format';
import { useNow } from '../lib/hooks';
import { columnLabel, columnValue, discoverKeys, filterRuns, parseWhere, sortRuns, type ColumnId } from '../lib/runs';
import { EmptyState, ErrorState, SkeletonRows, StatusBadge, cx } from './ui';

const ROW = 38;
/** The API's page limit, and how many runs the table loads at most (sorted newest first). */
const PAGE = 10_000;
const MAX_RUNS = 50_000;

async function loadRuns(project: string | undefined): Promise<{ runs: Run[]; total: number }> {
  const first = await api().listRuns({ ...(project ? { project } : {}), limit: PAGE, details: true });
  const runs = first.runs;
  while (runs.length < Math.min(first.total, MAX_RUNS)) {
    const next = await api().listRuns({ ...(project ? { project } : {}), limit: PAGE, offset: runs.length, details: true });
    if (next.runs.length === 0) break;
    runs.push(...next.runs);
  }
  return { runs, total: first.total };
}

function widthOf(col: ColumnId): string {
  if (col === 'name') return 'minmax(200px, 2fr)';
  if (col === 'status') return '120px';
  if (col === 'project') return 'minmax(110px, 1fr)';
  if (col === 'created') return '110px';
  if (col === 'duration') return '96px';
  return 'minmax(96px, 1fr)';
}

function Cell({ run, col, now }: { run: Run; col: ColumnId; now: number }) {
  switch (col) {
    case 'name':
      return (
        <div className="min-w-0">
          <Link to={`/runs/${run.id}`} className="block truncate font-medium hover:underline" data-testid="run-link">
            {run.name}
          </Link>
        </div>
      );
    case 'status':
      return <StatusBadge status={run.status} />;
    case 'project':
      return <span className="truncate text-muted">{run.projectName}</span>;
    case 'created':
      return <span className="text-muted">{timeAgo(run.createdAt, now)}</span>;
    case 'duration':
      return <span className="text-muted tabular-nums">{formatDuration(columnValue(run, 'duration', now) as number | null)}</span>;
  }
  const v = columnValue(run, col, now);
  return <span className={cx('truncate font-mono text-[12px] tabular-nums', v === null && 'text-muted')}>{typeof v === 'number' ? formatNumber(v) : formatValue(v)}</span>;
}

/** One row; memoised so that scrolling re-renders only the rows that enter the view. */
const RunRow = memo(
  function RunRow({ run: r, columns, grid, start, selected: sel, onToggle, now }: { run: Run; columns: ColumnId[]; colKey: string; grid: string; start: number; selected: boolean; onToggle: (id: string) => void; now: number }) {
    return (
      <div
        role="row"
        data-testid="run-row"
        data-run-id={r.id}
        className={cx('absolute left-0 grid w-full items-center border-b border-app text-[13px] hover:bg-zinc-50 dark:hover:bg-zinc-800/40', sel && 'bg-accent-50/60 dark:bg-accent-500/10')}
        style={{ height: ROW, transform: `translateY(${start}px)`, gridTemplateColumns: grid }}
      >
        <div className="flex items-center justify-center">
          <input type="checkbox" aria-label={`Select ${r.name}`} checked={sel} onChange={() => onToggle(r.id)} />
        </div>
        {columns.map((c) => (
          <div key={c} role="cell" className="flex min-w-0 items-center px-3" title={c === 'name' ? `${r.name} · ${shortId(r.id)}` : undefined}>
            <Cell run={r} col={c} now={now} />
          </div>
        ))}
      </div>
    );
  },
  (a, b) => a.run === b.run && a.colKey === b.colKey && a.grid === b.grid && a.start === b.start && a.selected === b.selected && a.now === b.now,
);

export function RunsTable({ project, height = 'calc(100vh - 230px)' }: { project?: string; height?: string }) {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const now = useNow(5000);
  const q = useQuery({
    queryKey: ['runs', 'table', project ?? null],
    queryFn: () => loadRuns(project),
    placeholderData: (prev) => prev,
  });

  // Filters and sort live in component state (the source of truth) and are mirrored into the
  // address, so a filtered view can be bookmarked or shared.
  const [statuses, setStatuses] = useState<Set<RunStatus>>(() => new Set((params.get('status') ?? '').split(',').filter((s): s is RunStatus => (runStatuses as readonly string[]).includes(s))));
  const [name, setName] = useState(params.get('q') ?? '');
  const [whereText, setWhereText] = useState(params.get('where') ?? '');
  const [sortCol, setSortCol] = useState(params.get('sort') ?? 'created');
  const [desc, setDesc] = useState(params.get('dir') !== 'asc');
  useEffect(() => {
    const n = new URLSearchParams();
    if (statuses.size) n.set('status', [...statuses].join(','));
    if (name) n.set('q', name);
    if (whereText) n.set('where', whereText);
    if (sortCol !== 'created') n.set('sort', sortCol);
    if (!desc) n.set('dir', 'asc');
    if (n.toString() !== new URLSearchParams(window.location.search).toString()) setParams(n, { replace: true });
  }, [statuses, name, whereText, sortCol, desc, setParams]);

  const runs = q.data?.runs ?? [];
  const keys = useMemo(() => discoverKeys(runs), [runs]);
  const [chosen, setChosen] = useState<ColumnId[] | null>(null);
  const extra = chosen ?? [...keys.params.slice(0, 3).map((k) => `param:${k}`), ...keys.metrics.slice(0, 3).map((k) => `metric:${k}:last`)];
  const columns: ColumnId[] = ['name', 'status', ...(project ? [] : ['project']), ...extra, 'duration', 'created'];
  const where = useMemo(() => whereText.split(/\s*;\s*|\s+and\s+/i).filter(Boolean).map(parseWhere), [whereText]);
  const badWhere = where.some((w) => w === null);

  const rows = useMemo(() => {
    const filtered = filterRuns(runs, { statuses, name, where: where.filter((w): w is NonNullable<typeof w> => w !== null) });
    return sortRuns(filtered, sortCol, desc, now);
    // `now` changes every few seconds; only the duration column depends on it.
  }, [runs, statuses, name, where, sortCol, desc, sortCol === 'duration' ? now : 0]);

  const [selected, setSelected] = useState<Set<string>>(new Set());
  const scroller = useRef<HTMLDivElement>(null);
  const virt = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 12 });
  const grid = `36px ${columns.map(widthOf).join(' ')}`;
  const colKey = columns.join('|');
  const toggle = useCallback((id: string) => {
    setSelected((prev) => {
      const n = new Set(prev);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  }, []);

  const toggleSort = (col: ColumnId) => {
    if (sortCol === col) setDesc(!desc);
    else {
      setSortCol(col);
      setDesc(!(col === 'name' || col.startsWith('param:')));
    }
  };
  const toggleStatus = (s: RunStatus) => {
    const n = new Set(statuses);
    if (n.has(s)) n.delete(s);
    else n.add(s);
    setStatuses(n);
  };

  if (q.error) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />;

  return (
    <div className="card overflow-hidden" data-testid="runs-table">
      <div className="flex flex-wrap items-center gap-2 border-b border-app px-3 py-2.5">
        <div className="relative w-56">
          <Search size={14} className="pointer-events-none absolute top-1/2 left-2.5 -translate-y-1/2 text-muted" />
          <input className="input pl-8" placeholder="Filter by name…  ( / )" value={name} onChange={(e) => setName(e.target.value)} data-search aria-label="Filter runs by name" />
        </div>
        <div className="relative min-w-48 flex-1">
          <input
            className={cx('input font-mono text-[12px]', badWhere && 'border-red-400')}
            placeholder="param:lr>0.01; metric:loss:min<0.2"
            value={whereText}
            onChange={(e) => setWhereText(e.target.value)}
            aria-label="Filter by param or metric"
            title="Filters: param:KEY op VALUE, metric:KEY[:last|min|max] op VALUE; ops < <= > >= = !=; separate with ;"
          />
        </div>
        <Popover.Root>
          <Popover.Trigger className="btn" data-testid="columns-button">
            <Columns3 size={14} /> Columns
          </Popover.Trigger>
          <Popover.Portal>
            <Popover.Content align="end" sideOffset={6} className="z-50 max-h-96 w-72 overflow-y-auto rounded-xl border border-app bg-panel p-3 text-[13px] shadow-xl">
              <div className="mb-1 text-xs font-semibold text-muted">Params</div>
              {keys.params.length === 0 && <div className="text-xs text-muted">none</div>}
              {keys.params.map((k) => {
                const id = `param:${k}`;
                return (
                  <label key={id} className="flex items-center gap-2 py-0.5">
                    <input type="checkbox" checked={extra.includes(id)} onChange={() => setChosen(extra.includes(id) ? extra.filter((c) => c !== id) : [...extra, id])} />
                    <span className="truncate font-mono text-[12px]">{k}</span>
                  </label>
                );
              })}
              <div className="mt-3 mb-1 text-xs font-semibold text-muted">Metrics</div>
              {keys.metrics.length === 0 && <div className="text-xs text-muted">none</div>}
              {keys.metrics.map((k) => (
                <div key={k} className="flex items-center gap-2 py-0.5">
                  <span className="flex-1 truncate font-mono text-[12px]">{k}</span>
                  {(['last', 'min', 'max'] as const).map((agg) => {
                    const id = `metric:${k}:${agg}`;
                    return (
                      <label key={agg} className="flex items-center gap-1 text-xs text-muted">
                        <input type="checkbox" checked={extra.includes(id)} onChange={() => setChosen(extra.includes(id) ? extra.filter((c) => c !== id) : [...extra, id])} />
                        {agg}
                      </label>
                    );
                  })}
                </div>
              ))}
            </Popover.Content>
          </Popover.Portal>
        </Popover.Root>
        <button className="btn btn-primary" disabled={selected.size < 2 || selected.size > 20} onClick={() => navigate(`/compare?runs=${[...selected].join(',')}`)} data-testid="compare-button" title="Select 2–20 runs">
          <GitCompareArrows size={14} /> Compare{selected.size ? ` (${selected.size})` : ''}
        </button>
      </div>
      <div className="flex flex-wrap items-center gap-3 border-b border-app bg-panel-2 px-3 py-1.5 text-xs text-muted">
        <div className="flex flex-wrap items-center gap-1" role="group" aria-label="Filter by status">
          {runStatuses.map((s) => (
            <button
              key={s}
              className={cx('h-6 rounded-full border px-2 text-[11px] font-medium transition-colors', statuses.has(s) ? 'border-accent-500 bg-accent-50 text-accent-700 dark:bg-accent-500/15 dark:text-accent-300' : 'border-app text-muted hover:bg-zinc-100 dark:hover:bg-zinc-800')}
              aria-pressed={statuses.has(s)}
              onClick={() => toggleStatus(s)}
              data-testid={`status-filter-${s}`}
            >
              {s}
            </button>
          ))}
        </div>
        <span data-testid="runs-count" className="ml-auto">
          {q.data ? `${rows.length.toLocaleString()} of ${q.data.total.toLocaleString()} runs` : 'loading…'}
          {q.data && q.data.total > runs.length ? ` (the newest ${runs.length.toLocaleString()} are loaded)` : ''}
        </span>
        {selected.size > 0 && (
          <button className="inline-flex items-center gap-1 hover:text-current" onClick={() => setSelected(new Set())} data-testid="clear-selection">
            <X size={12} /> clear selection
          </button>
        )}
      </div>
      {q.isPending ? (
        <SkeletonRows rows={8} />
      ) : runs.length === 0 ? (
        <EmptyState title="No runs yet" commands={[`wb run --project ${project ?? 'demo'} --name baseline --param lr=0.01 -- python3 train.py`]}>
          Runs appear here as soon as they start, from the terminal or <Link className="text-accent-600 underline" to="/runs/new">from the web app</Link>.
        </EmptyState>
      ) : (
        <div ref={scroller} className="overflow-auto" style={{ height, minHeight: 240 }} data-testid="runs-scroller">
          <div style={{ minWidth: 'max-content' }} role="table" aria-label="Runs" aria-rowcount={rows.length + 1}>
            <div className="sticky top-0 z-10 grid border-b border-app bg-panel" style={{ gridTemplateColumns: grid }} role="row">
              <div className="flex items-center justify-center">
                <input
                  type="checkbox"
                  aria-label="Select all shown (up to 20)"
                  checked={selected.size > 0 && rows.slice(0, 20).every((r) => selected.has(r.id))}
                  onChange={(e) => setSelected(e.target.checked ? new Set(rows.slice(0, 20).map((r) => r.id)) : new Set())}
                />
              </div>
              {columns.map((c) => (
                <button key={c} className="th flex items-center gap-1 truncate hover:text-current" onClick={() => toggleSort(c)} role="columnheader" aria-sort={sortCol === c ? (desc ? 'descending' : 'ascending') : 'none'} title={`Sort by ${columnLabel(c)}`}>
                  <span className="truncate normal-case">{columnLabel(c)}</span>
                  {sortCol === c && (desc ? <ArrowDown size={12} /> : <ArrowUp size={12} />)}
                </button>
              ))}
            </div>
            {rows.length === 0 ? (
              <div className="px-4 py-10 text-center text-[13px] text-muted">No run matches these filters.</div>
            ) : (
              <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
                {virt.getVirtualItems().map((vi) => {
                  const r = rows[vi.index]!;
                  return <RunRow key={r.id} run={r} columns={columns} colKey={colKey} grid={grid} start={vi.start} selected={selected.has(r.id)} onToggle={toggle} now={now} />;
                })}
              </div>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
