import * as Popover from '@radix-ui/react-popover';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Run, RunStatus } from '@workbench/api';
import { runStatuses } from '../lib/wire';
import { ArrowDown, ArrowUp, Columns3, GitCompareArrows, Search, X } from 'lucide-react';
import { memo, useCallback, useEffect, useMemo, useRef, useState, type CSSProperties } from 'react';
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
/** The first page is small, so that the newest runs show at once; the rest follows. */
const FIRST_PAGE = 500;

interface Loaded {
  runs: Run[];
  total: number;
  /** False while the older runs are still being fetched. */
  complete: boolean;
}

async function loadRuns(project: string | undefined, publish: (partial: Loaded) => void): Promise<Loaded> {
  const base = project ? { project } : {};
  const first = await api().listRuns({ ...base, limit: FIRST_PAGE, details: true });
  const runs = first.runs;
  const want = Math.min(first.total, MAX_RUNS);
  if (runs.length >= want) return { runs, total: first.total, complete: true };
  publish({ runs: runs.slice(), total: first.total, complete: false });
  while (runs.length < want) {
    const next = await api().listRuns({ ...base, limit: PAGE, offset: runs.length, details: true });
    if (next.runs.length === 0) break;
    runs.push(...next.runs);
  }
  return { runs, total: first.total, complete: true };
}

/** Column widths in px: fixed, so that columns can be virtualised like rows. */
function widthOf(col: ColumnId): number {
  if (col === 'name') return 240;
  if (col === 'status') return 120;
  if (col === 'project') return 150;
  if (col === 'created') return 110;
  if (col === 'duration') return 96;
  return 130;
}
const SELECT_W = 36;
const PINNED_W = SELECT_W + widthOf('name');

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

/** A column in view: which, and where (px from the left edge of the table). */
interface PlacedColumn {
  col: ColumnId;
  start: number;
  width: number;
}

/**
 * One row: the checkbox and the name stay pinned on the left; the other cells are only those
 * in view (columns are virtualised too: thousands of param/metric columns cost nothing until
 * scrolled to). Memoised so that scrolling re-renders only the rows that enter the view.
 */
const RunRow = memo(
  function RunRow({ run: r, cols, width, start, selected: sel, onToggle, now }: { run: Run; cols: PlacedColumn[]; colKey: string; width: number; start: number; selected: boolean; onToggle: (id: string) => void; now: number }) {
    return (
      <div
        role="row"
        data-testid="run-row"
        data-run-id={r.id}
        className={cx('group absolute left-0 border-b border-app text-[13px]', sel ? 'bg-accent-50 dark:bg-[#1b1b2e]' : 'bg-panel hover:bg-zinc-50 dark:hover:bg-[#1a1a1f]')}
        style={{ height: ROW, top: start, width }}
      >
        <div className="sticky left-0 z-[1] flex h-full items-center bg-inherit" style={{ width: PINNED_W }}>
          <div role="cell" className="flex items-center justify-center" style={{ width: SELECT_W }}>
            <input type="checkbox" aria-label={`Select ${r.name}`} checked={sel} onChange={() => onToggle(r.id)} />
          </div>
          <div role="cell" className="flex min-w-0 items-center px-3" style={{ width: PINNED_W - SELECT_W }} title={`${r.name} · ${shortId(r.id)}`}>
            <Cell run={r} col="name" now={now} />
          </div>
        </div>
        {cols.map((c) => (
          <div key={c.col} role="cell" className="absolute top-0 flex h-full min-w-0 items-center px-3" style={{ left: c.start, width: c.width }}>
            <Cell run={r} col={c.col} now={now} />
          </div>
        ))}
      </div>
    );
  },
  (a, b) => a.run === b.run && a.colKey === b.colKey && a.width === b.width && a.start === b.start && a.selected === b.selected && a.now === b.now,
);

const columnsKey = (project: string | undefined) => `wb-runs-columns:${project ?? '*'}`;

function loadColumns(project: string | undefined): ColumnId[] | null {
  try {
    const v = JSON.parse(localStorage.getItem(columnsKey(project)) ?? 'null') as unknown;
    return Array.isArray(v) && v.every((c) => typeof c === 'string') ? (v as ColumnId[]) : null;
  } catch {
    return null;
  }
}

function saveColumns(project: string | undefined, cols: ColumnId[]): void {
  try {
    localStorage.setItem(columnsKey(project), JSON.stringify(cols));
  } catch {
    /* storage disabled: the choice lasts for this page */
  }
}

const PICKER_SHOWN = 200;

/** Choose the param and metric columns; with thousands of keys, type to narrow the list. */
function ColumnPicker({ keys, extra, setChosen }: { keys: { params: string[]; metrics: string[] }; extra: ColumnId[]; setChosen: (c: ColumnId[]) => void }) {
  const [filter, setFilter] = useState('');
  const f = filter.trim().toLowerCase();
  const params = f ? keys.params.filter((k) => k.toLowerCase().includes(f)) : keys.params;
  const metrics = f ? keys.metrics.filter((k) => k.toLowerCase().includes(f)) : keys.metrics;
  const chosen = new Set(extra);
  const flip = (id: ColumnId) => setChosen(chosen.has(id) ? extra.filter((c) => c !== id) : [...extra, id]);
  return (
    <Popover.Content align="end" sideOffset={6} className="z-50 flex max-h-[28rem] w-80 flex-col rounded-xl border border-app bg-panel text-[13px] shadow-xl" data-testid="columns-picker">
      <div className="flex items-center gap-2 border-b border-app p-2">
        <input className="input h-7 text-[12px]" placeholder={`Filter ${(keys.params.length + keys.metrics.length).toLocaleString()} keys…`} value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter columns" autoFocus />
        <button className="btn h-7 shrink-0 px-2 text-xs" onClick={() => setChosen([])} disabled={extra.length === 0}>
          None
        </button>
      </div>
      <div className="overflow-y-auto p-3">
        <div className="mb-1 text-xs font-semibold text-muted">Params ({params.length.toLocaleString()})</div>
        {params.length === 0 && <div className="text-xs text-muted">none</div>}
        {params.slice(0, PICKER_SHOWN).map((k) => {
          const id = `param:${k}`;
          return (
            <label key={id} className="flex items-center gap-2 py-0.5">
              <input type="checkbox" checked={chosen.has(id)} onChange={() => flip(id)} />
              <span className="truncate font-mono text-[12px]">{k}</span>
            </label>
          );
        })}
        {params.length > PICKER_SHOWN && <div className="py-1 text-xs text-muted">{(params.length - PICKER_SHOWN).toLocaleString()} more: type to narrow the list</div>}
        <div className="mt-3 mb-1 text-xs font-semibold text-muted">Metrics ({metrics.length.toLocaleString()})</div>
        {metrics.length === 0 && <div className="text-xs text-muted">none</div>}
        {metrics.slice(0, PICKER_SHOWN).map((k) => (
          <div key={k} className="flex items-center gap-2 py-0.5">
            <span className="flex-1 truncate font-mono text-[12px]">{k}</span>
            {(['last', 'min', 'max'] as const).map((agg) => {
              const id = `metric:${k}:${agg}`;
              return (
                <label key={agg} className="flex items-center gap-1 text-xs text-muted">
                  <input type="checkbox" checked={chosen.has(id)} onChange={() => flip(id)} aria-label={`${k} (${agg})`} />
                  {agg}
                </label>
              );
            })}
          </div>
        ))}
        {metrics.length > PICKER_SHOWN && <div className="py-1 text-xs text-muted">{(metrics.length - PICKER_SHOWN).toLocaleString()} more: type to narrow the list</div>}
      </div>
    </Popover.Content>
  );
}

function SortHeader({ col, sortCol, desc, onSort, style }: { col: ColumnId; sortCol: ColumnId; desc: boolean; onSort: (c: ColumnId) => void; style: CSSProperties }) {
  return (
    <button className="th flex h-full items-center gap-1 truncate text-left hover:text-current" style={style} onClick={() => onSort(col)} role="columnheader" aria-sort={sortCol === col ? (desc ? 'descending' : 'ascending') : 'none'} title={`Sort by ${columnLabel(col)}`}>
      <span className="truncate normal-case">{columnLabel(col)}</span>
      {sortCol === col && (desc ? <ArrowDown size={12} className="shrink-0" /> : <ArrowUp size={12} className="shrink-0" />)}
    </button>
  );
}

export function RunsTable({ project, height = 'calc(100vh - 230px)' }: { project?: string; height?: string }) {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const now = useNow(5000);
  const qc = useQueryClient();
  const key = ['runs', 'table', project ?? null];
  const q = useQuery({
    queryKey: key,
    // A first load shows the newest runs as soon as they arrive; a refresh keeps the full
    // table on screen until the new one is complete.
    queryFn: () => loadRuns(project, (partial) => !qc.getQueryData<Loaded>(key)?.complete && qc.setQueryData(key, partial)),
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
  const keys = useMemo(() => discoverKeys(runs, 20_000), [runs]);
  // The chosen columns are kept per project (and for the all-runs table) across visits.
  const [chosen, setChosenState] = useState<ColumnId[] | null>(() => loadColumns(project));
  const setChosen = useCallback(
    (c: ColumnId[]) => {
      setChosenState(c);
      saveColumns(project, c);
    },
    [project],
  );
  const extra = chosen ?? [...keys.params.slice(0, 3).map((k) => `param:${k}`), ...keys.metrics.slice(0, 3).map((k) => `metric:${k}:last`)];
  const columns: ColumnId[] = ['name', 'status', ...(project ? [] : ['project']), ...extra, 'duration', 'created'];
  const rest = useMemo(() => columns.slice(1), [columns.join('|')]);
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
  const colVirt = useVirtualizer({ horizontal: true, count: rest.length, getScrollElement: () => scroller.current, estimateSize: (i) => widthOf(rest[i]!), overscan: 4, paddingStart: PINNED_W });
  const placed: PlacedColumn[] = colVirt.getVirtualItems().map((vc) => ({ col: rest[vc.index]!, start: vc.start, width: vc.size }));
  const tableWidth = colVirt.getTotalSize();
  const colKey = placed.map((c) => `${c.col}@${c.start}`).join('|');
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
            <ColumnPicker keys={keys} extra={extra} setChosen={setChosen} />
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
              className={cx('h-6 rounded-full border px-2 text-[11px] font-medium transition-colors', statuses.has(s) ? 'border-accent-500 bg-accent-50 text-accent-700 dark:bg-accent-500/15 dark:text-accent-400' : 'border-app text-muted hover:bg-zinc-100 dark:hover:bg-zinc-800')}
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
          {q.data && q.data.total > runs.length ? (q.data.complete ? ` (the newest ${runs.length.toLocaleString()} are loaded)` : ` (the newest ${runs.length.toLocaleString()}; loading the rest…)`) : ''}
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
          Runs appear here as soon as they start, from the terminal or <Link className="text-accent-600 dark:text-accent-400 underline" to="/runs/new">from the web app</Link>.
        </EmptyState>
      ) : (
        <div ref={scroller} className="overflow-auto" style={{ height, minHeight: 240 }} data-testid="runs-scroller">
          <div style={{ width: tableWidth, minWidth: '100%' }} role="table" aria-label="Runs" aria-rowcount={rows.length + 1} aria-colcount={columns.length + 1}>
            <div className="sticky top-0 z-10 border-b border-app bg-panel" style={{ height: 34, width: tableWidth, minWidth: '100%' }} role="row">
              <div className="sticky left-0 z-[1] flex h-full items-center bg-panel" style={{ width: PINNED_W }}>
                <div role="columnheader" aria-label="Select" className="flex items-center justify-center" style={{ width: SELECT_W }}>
                  <input
                    type="checkbox"
                    aria-label="Select all shown (up to 20)"
                    checked={selected.size > 0 && rows.slice(0, 20).every((r) => selected.has(r.id))}
                    onChange={(e) => setSelected(e.target.checked ? new Set(rows.slice(0, 20).map((r) => r.id)) : new Set())}
                  />
                </div>
                <SortHeader col="name" sortCol={sortCol} desc={desc} onSort={toggleSort} style={{ width: PINNED_W - SELECT_W }} />
              </div>
              {placed.map((c) => (
                <SortHeader key={c.col} col={c.col} sortCol={sortCol} desc={desc} onSort={toggleSort} style={{ position: 'absolute', top: 0, left: c.start, width: c.width }} />
              ))}
            </div>
            {rows.length === 0 ? (
              <div className="px-4 py-10 text-center text-[13px] text-muted">No run matches these filters.</div>
            ) : (
              <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
                {virt.getVirtualItems().map((vi) => {
                  const r = rows[vi.index]!;
                  return <RunRow key={r.id} run={r} cols={placed} colKey={colKey} width={tableWidth} start={vi.start} selected={selected.has(r.id)} onToggle={toggle} now={now} />;
                })}
              </div>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
