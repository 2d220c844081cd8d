import { useVirtualizer } from '@tanstack/react-virtual';
import type { LogLine } from '@workbench/api';
import { logStreams } from '../lib/wire';
import { ArrowDownToLine, Copy, Download, Layers, Pause, Search } from 'lucide-react';
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import { LogLines } from '../lib/log-store';
import { filterLines, groupRepeats, heldLinesAsText, splitMatches, ungroupedRows, type Filtered, type Grouped, type LogStream, type Rows } from '../lib/logs';
import { toast } from '../lib/toast';
import { cx } from './ui';

const ROW = 20;
/** How many matches one server-side search returns (the caller's page size). */
export const SEARCH_PAGE = 5000;
const STREAM_STYLE: Record<LogStream, string> = {
  stdout: 'text-zinc-500 dark:text-zinc-400',
  stderr: 'text-amber-700 dark:text-amber-400',
  event: 'text-sky-700 dark:text-sky-400',
  system: 'text-violet-700 dark:text-violet-400',
};
const LEVEL_STYLE: Record<string, string> = {
  ERROR: 'text-red-700 dark:text-red-400',
  CRITICAL: 'text-red-700 dark:text-red-400',
  FATAL: 'text-red-700 dark:text-red-400',
  WARN: 'text-amber-700 dark:text-amber-400',
  WARNING: 'text-amber-700 dark:text-amber-400',
  DEBUG: 'text-zinc-500 dark:text-zinc-400',
};

const time = (ts: number) => {
  const d = new Date(ts > 1e12 ? ts : ts * 1000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}.${String(d.getMilliseconds()).padStart(3, '0')}`;
};

/** A line's content, decoded from the store when its row first renders. */
function Line({ lines, id, needle }: { lines: LogLines; id: number; needle: string }) {
  const stream = lines.stream(id);
  const lvl = lines.level(id).toUpperCase();
  const text = lines.text(id);
  return (
    <>
      <span className="mr-3 text-zinc-500 select-none dark:text-zinc-400">{time(lines.ts(id))}</span>
      <span className={cx('mr-2 inline-block w-12 select-none', STREAM_STYLE[stream])}>{stream}</span>
      {lvl !== 'INFO' && lvl !== '' && <span className={cx('mr-2 font-semibold', LEVEL_STYLE[lvl] ?? 'text-zinc-500')}>{lvl}</span>}
      <span className={cx(stream === 'stderr' && 'text-amber-800 dark:text-amber-200', LEVEL_STYLE[lvl] && lvl !== 'DEBUG' && 'text-red-700 dark:text-red-300')}>
        {needle
          ? splitMatches(text, needle).map((p, i) =>
              p.match ? (
                <mark key={i} className="hl">
                  {p.text}
                </mark>
              ) : (
                <span key={i}>{p.text}</span>
              ),
            )
          : text}
      </span>
    </>
  );
}

interface RowProps {
  lines: LogLines;
  id: number;
  repeats: number;
  needle: string;
  top: number;
}

/**
 * One row: a line (or the first of a run of repeats) at its place in the scrolled list. A row
 * already on screen is not rendered again when lines arrive: a line's id means the same line
 * in every view of the same store (its lineage).
 */
const Row = memo(
  function Row({ lines, id, repeats, needle, top }: RowProps) {
    return (
      <div data-testid="log-line" data-seq={lines.seq(id)} className="absolute left-0 min-w-full px-3 whitespace-pre hover:bg-zinc-100 dark:hover:bg-zinc-800/50" style={{ height: ROW, transform: `translateY(${top}px)` }}>
      {repeats > 1 && (
        <span className="mr-2 rounded bg-zinc-200 px-1 text-[10.5px] text-zinc-700 dark:bg-zinc-700 dark:text-zinc-200" data-testid="repeat-count" title={`${repeats} identical lines in a row`}>
          ×{repeats}
        </span>
      )}
        <Line lines={lines} id={id} needle={needle} />
      </div>
    );
  },
  (a, b) => a.id === b.id && a.lines.lineage === b.lines.lineage && a.repeats === b.repeats && a.needle === b.needle && a.top === b.top,
);

/**
 * A virtualised log console: only the visible lines are in the DOM, so a run with a million
 * lines scrolls as smoothly as one with ten. Follow mode keeps the newest line in view;
 * scrolling up pauses it, scrolling back to the bottom resumes it.
 */
export function LogConsole({
  lines: liveLines,
  hasEarlier,
  onLoadEarlier,
  loading,
  searchAll,
  download,
}: {
  lines: LogLines;
  hasEarlier: boolean;
  onLoadEarlier: () => void;
  loading: boolean;
  /** Search the whole stored log on the server (the console holds the newest lines only). */
  searchAll?: (text: string, afterSeq?: number) => Promise<LogLine[]>;
  /** The whole stored log as text, for the download button (default: the lines held). */
  download?: { name: string; all?: () => Promise<string[]> };
}) {
  const [serverHits, setServerHits] = useState<{ text: string; lines: LogLines; more: boolean } | null>(null);
  const [searchingAll, setSearchingAll] = useState(false);
  const lines = serverHits ? serverHits.lines : liveLines;
  const [streams, setStreams] = useState<Set<LogStream>>(() => new Set(logStreams));
  const [level, setLevel] = useState('');
  const [search, setSearch] = useState('');
  const [follow, setFollow] = useState(true);
  const cache = useRef<Filtered | null>(null);
  const [grouping, setGrouping] = useState(false);
  // The filter and the grouping are indexes (Uint32Array) over the store, updated for the new
  // lines only as lines arrive.
  const shown = useMemo(() => {
    cache.current = filterLines(cache.current, lines, { streams, level, search });
    return cache.current;
  }, [lines, streams, level, search]);
  const filtered = shown.ids;
  const groupCache = useRef<Grouped | null>(null);
  const rows = useMemo(() => {
    if (!grouping) {
      groupCache.current = null;
      return ungroupedRows(shown);
    }
    groupCache.current = groupRepeats(groupCache.current, shown);
    return groupCache.current.rows;
  }, [grouping, shown]);
  const [downloading, setDownloading] = useState(false);
  const copy = () => {
    const text = heldLinesAsText(lines, filtered).join('');
    navigator.clipboard
      .writeText(text)
      .then(() => toast(`Copied ${filtered.length.toLocaleString()} line(s)`, { kind: 'success' }))
      .catch(() => toast('Could not copy', { kind: 'error', description: 'The browser refused clipboard access: use Download instead.' }));
  };
  const save = async () => {
    setDownloading(true);
    try {
      const parts = download?.all ? await download.all() : heldLinesAsText(lines);
      const url = URL.createObjectURL(new Blob(parts, { type: 'text/plain;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = download?.name ?? 'log.txt';
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      toast('Download failed', { kind: 'error', description: err instanceof Error ? err.message : String(err) });
    } finally {
      setDownloading(false);
    }
  };
  const toggleStream = (s: LogStream) => {
    const n = new Set(streams);
    if (n.has(s)) n.delete(s);
    else n.add(s);
    setStreams(n);
  };

  return (
    <div className="card overflow-hidden" data-testid="log-console">
      <div className="flex flex-wrap items-center gap-2 border-b border-app px-3 py-2">
        <div className="relative w-44 min-w-36 flex-1">
          <Search size={14} className="pointer-events-none absolute top-1/2 left-2.5 -translate-y-1/2 text-muted" />
          <input className="input pl-8 font-mono text-[12px]" placeholder="Search logs…  ( / )" value={search} onChange={(e) => setSearch(e.target.value)} data-search aria-label="Search logs" />
        </div>
        <div className="flex items-center gap-1" role="group" aria-label="Streams">
          {logStreams.map((s) => (
            <button key={s} className={cx('h-7 rounded-md border px-2 font-mono text-[11px]', streams.has(s) ? 'border-accent-500/60 bg-accent-50 text-accent-700 dark:bg-accent-500/15 dark:text-accent-400' : 'border-app text-muted line-through')} aria-pressed={streams.has(s)} onClick={() => toggleStream(s)} data-testid={`stream-${s}`}>
              {s}
            </button>
          ))}
        </div>
        <select className="input h-7 w-auto py-0 text-[12px]" value={level} onChange={(e) => setLevel(e.target.value)} aria-label="Minimum level">
          <option value="">all levels</option>
          <option value="DEBUG">debug+</option>
          <option value="INFO">info+</option>
          <option value="WARN">warn+</option>
          <option value="ERROR">error+</option>
        </select>
        {searchAll && hasEarlier && search.trim() && !serverHits && (
          <button
            className="btn h-7 text-xs"
            disabled={searchingAll}
            onClick={() => {
              setSearchingAll(true);
              const text = search.trim();
              searchAll(text)
                .then((found) => setServerHits({ text, lines: LogLines.from(found), more: found.length >= SEARCH_PAGE }))
                .finally(() => setSearchingAll(false));
            }}
            data-testid="search-all"
            title="The console holds the newest lines; search every stored line on the server"
          >
            {searchingAll ? 'Searching…' : 'Search whole log'}
          </button>
        )}
        <span className="ml-auto text-xs text-muted tabular-nums" data-testid="log-count">
          {search || streams.size < 4 || level ? `${filtered.length.toLocaleString()} of ${lines.length.toLocaleString()} lines` : `${lines.length.toLocaleString()} lines`}
          {grouping && rows.count < filtered.length ? ` · ${rows.count.toLocaleString()} rows` : ''}
        </span>
        <button className={cx('btn h-7 px-2', grouping && 'border-accent-500/60 text-accent-700 dark:text-accent-400')} aria-pressed={grouping} onClick={() => setGrouping(!grouping)} title="Group repeated lines" data-testid="group-toggle">
          <Layers size={13} /> Group
        </button>
        <button className="btn h-7 px-2" onClick={copy} title="Copy the lines shown" aria-label="Copy the lines shown" data-testid="copy-logs" disabled={filtered.length === 0}>
          <Copy size={13} />
        </button>
        <button className="btn h-7 px-2" onClick={() => void save()} title="Download the whole log" aria-label="Download the whole log" data-testid="download-logs" disabled={downloading || lines.length === 0}>
          <Download size={13} />
        </button>
        <button
          className={cx('btn h-7', follow && 'border-accent-500/60 text-accent-700 dark:text-accent-400')}
          aria-pressed={follow}
          onClick={() => {
            setFollow(!follow);
          }}
          data-testid="follow-toggle"
          title="Follow the newest lines"
        >
          {follow ? <ArrowDownToLine size={13} /> : <Pause size={13} />}
          {follow ? 'Following' : 'Paused'}
        </button>
      </div>
      {serverHits && (
        <div className="flex items-center justify-between border-b border-app bg-accent-50 px-3 py-1.5 text-xs text-accent-700 dark:bg-accent-500/10 dark:text-accent-400" data-testid="search-all-banner">
          <span>
            {serverHits.lines.length.toLocaleString()} line(s) of the whole log match “{serverHits.text}”{serverHits.more ? ` (the first ${serverHits.lines.length.toLocaleString()})` : ''}.
            {serverHits.more && searchAll && (
              <button
                className="ml-2 font-medium underline"
                disabled={searchingAll}
                data-testid="search-more"
                onClick={() => {
                  const hits = serverHits;
                  setSearchingAll(true);
                  searchAll(hits.text, hits.lines.lastSeq)
                    .then((found) => setServerHits({ text: hits.text, lines: hits.lines.append(found), more: found.length >= SEARCH_PAGE }))
                    .finally(() => setSearchingAll(false));
                }}
              >
                {searchingAll ? 'Searching…' : 'Find more'}
              </button>
            )}
          </span>
          <button className="font-medium underline" onClick={() => setServerHits(null)}>
            Back to the live console
          </button>
        </div>
      )}
      <LogViewport
        lines={lines}
        rows={rows}
        needle={search}
        follow={follow}
        setFollow={setFollow}
        onLoadEarlier={hasEarlier && !serverHits ? onLoadEarlier : undefined}
        empty={loading ? 'Loading logs…' : lines.length === 0 ? 'No output yet. Lines the process prints appear here as they happen.' : 'No line matches these filters.'}
      />
    </div>
  );
}

/**
 * The scrolled part of the console. It owns the virtualiser, so a scroll re-renders the rows
 * alone (not the toolbar), and rows already on screen are not rendered again (Row is memoised).
 */
function LogViewport({
  lines,
  rows,
  needle,
  follow,
  setFollow,
  onLoadEarlier,
  empty,
}: {
  lines: LogLines;
  rows: Rows;
  needle: string;
  follow: boolean;
  setFollow: (follow: boolean) => void;
  onLoadEarlier: (() => void) | undefined;
  empty: string;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  // Only a person pauses following (wheel, touch, keys, dragging the scrollbar): scrolls the
  // console makes itself to keep up with new lines must not.
  const userIntent = useRef(0);
  // Which way the person last asked to go. Reaching the bottom resumes following only after a
  // downward gesture: the virtualiser's own settling scrolls (it adjusts over several frames
  // after a jump to the end) must not undo a pause the person just made by scrolling up.
  const intentDown = useRef(false);
  const pointerDown = useRef(false);
  // Rows are a fixed height (nothing to measure) and render within the frame they scroll into.
  const virt = useVirtualizer({ count: rows.count, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 8 });
  const items = virt.getVirtualItems();
  // Rows are keyed by slot (index modulo the most rows ever shown at once), so a row scrolled
  // out hands its DOM nodes to the row scrolled in: a scroll updates text in place instead of
  // making and dropping elements (garbage for the collector every frame).
  const slots = useRef(0);
  slots.current = Math.max(slots.current, items.length);

  useEffect(() => {
    if (!follow || rows.count === 0) return;
    virt.scrollToIndex(rows.count - 1, { align: 'end' });
  }, [rows.count, follow, virt]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW * 1.5;
    if (atBottom) {
      if (!follow && (pointerDown.current || (intentDown.current && performance.now() - userIntent.current < 1000))) setFollow(true);
    } else if (follow && (pointerDown.current || performance.now() - userIntent.current < 1000)) setFollow(false);
  };
  const intent = () => {
    userIntent.current = performance.now();
  };

  return (
    <div
      ref={scroller}
      onScroll={onScroll}
      onWheel={(e) => {
        intent();
        intentDown.current = e.deltaY > 0;
        if (e.deltaY < 0 && follow) setFollow(false);
      }}
      onTouchStart={() => {
        intent();
        intentDown.current = true;
      }}
      onKeyDown={(e) => {
        intent();
        intentDown.current = ['ArrowDown', 'PageDown', 'End'].includes(e.key);
        if (follow && ['ArrowUp', 'PageUp', 'Home'].includes(e.key)) setFollow(false);
      }}
      onPointerDown={() => {
        pointerDown.current = true;
        intent();
        const up = () => {
          pointerDown.current = false;
          window.removeEventListener('pointerup', up);
        };
        window.addEventListener('pointerup', up);
      }}
      tabIndex={0}
      style={{ contain: 'strict' }}
      className="h-[440px] overflow-auto bg-zinc-50 font-mono text-[12px] leading-5 dark:bg-[#0d0d10]" data-testid="log-scroller">
      {onLoadEarlier && (
        <div className="px-3 py-1">
          <button className="text-xs text-accent-600 hover:underline dark:text-accent-400" onClick={onLoadEarlier}>
            Load earlier lines
          </button>
        </div>
      )}
      {rows.count === 0 ? (
        <div className="px-3 py-8 text-center font-sans text-[13px] text-muted">{empty}</div>
      ) : (
        <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
          {items.map((vi) => {
            const id = rows.id(vi.index);
            return <Row key={vi.index % slots.current} lines={lines} id={id} repeats={rows.repeats(vi.index)} needle={needle} top={vi.start} />;
          })}
        </div>
      )}
    </div>
  );
}
