import type { QueryClient, QueryKey } from '@tanstack/react-query';
import type { WbEvent } from '@workbench/api';
import type { WorkbenchClient } from '@workbench/sdk';
import { useEffect, useRef, useSyncExternalStore } from 'react';
import { latestEventSeq } from './api';

// ---- connection state (the offline indicator) ----------------------------------------------

export type Connection = 'connecting' | 'online' | 'offline';
let connection: Connection = 'connecting';
let lastChange = Date.now();
const listeners = new Set<() => void>();

export function setConnection(c: Connection): void {
  if (c === connection) return;
  connection = c;
  lastChange = Date.now();
  for (const l of listeners) l();
}

export function useConnection(): { state: Connection; since: number } {
  const state = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => connection,
  );
  return { state, since: lastChange };
}

// ---- per-frame batching --------------------------------------------------------------------

/** Collect items and hand them over once per animation frame. */
export class FrameBatcher<T> {
  private items: T[] = [];
  private frame: number | null = null;
  constructor(private readonly flush: (items: T[]) => void) {}
  push(items: readonly T[]): void {
    for (const i of items) this.items.push(i);
    if (this.frame === null) this.frame = requestAnimationFrame(this.run);
  }
  private run = (): void => {
    this.frame = null;
    const batch = this.items;
    this.items = [];
    if (batch.length) this.flush(batch);
  };
  cancel(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
    this.items = [];
  }
}

/** A FrameBatcher bound to a component's life; the flush callback may change between renders. */
export function useFrameBatcher<T>(flush: (items: T[]) => void): FrameBatcher<T> {
  const ref = useRef(flush);
  ref.current = flush;
  const b = useRef<FrameBatcher<T> | null>(null);
  b.current ??= new FrameBatcher<T>((items) => ref.current(items));
  useEffect(() => () => b.current?.cancel(), []);
  return b.current;
}

// ---- the domain event stream → query invalidation -----------------------------------------

/** Which cached queries an event makes stale. */
export function keysForEvent(e: Pick<WbEvent, 'type' | 'entityId'>): QueryKey[] {
  const [kind] = e.type.split('.');
  switch (kind) {
    case 'project':
      return [['projects'], ['project'], ['runs'], ['dashboard']];
    case 'dataset':
      return [['datasets'], ['dataset'], ['projects'], ['project']];
    case 'run':
      return [['runs'], ['run', e.entityId], ['projects'], ['project'], ['dashboard']];
    case 'artifact':
      return [['run'], ['workspace']];
    default:
      return [['dashboard']];
  }
}

const MIN_REFRESH_MS = 1000;

/**
 * Follow the event log over the WebSocket (reconnecting by itself) and refresh what it
 * touches, at most once per frame per key; the connection state drives the offline banner.
 * After a reconnect everything is refreshed (events may have been missed while the server was down).
 */
export function startLiveUpdates(client: WorkbenchClient, qc: QueryClient): () => void {
  let closed = false;
  let sub: { close(): void } | null = null;
  let everOpen = false;
  // Per frame, each touched key is refreshed once, and then at most once a second (a sweep
  // that ends hundreds of runs must not refetch a 10,000-run table hundreds of times).
  const lastRun = new Map<string, number>();
  const trailing = new Map<string, ReturnType<typeof setTimeout>>();
  const refresh = (id: string, k: QueryKey) => {
    lastRun.set(id, Date.now());
    // A fetch already under way may have read the data before this change: let it finish
    // (cancelling would starve a slow list under a stream of events), then fetch once more.
    const inFlight = qc.isFetching({ queryKey: k }) > 0;
    void qc.invalidateQueries({ queryKey: k }, { cancelRefetch: false }).then(() => {
      if (inFlight && !closed) void qc.invalidateQueries({ queryKey: k }, { cancelRefetch: false });
    });
  };
  const batcher = new FrameBatcher<QueryKey>((keys) => {
    const seen = new Set<string>();
    for (const k of keys) {
      const id = JSON.stringify(k);
      if (seen.has(id)) continue;
      seen.add(id);
      const wait = (lastRun.get(id) ?? 0) + MIN_REFRESH_MS - Date.now();
      if (wait <= 0) refresh(id, k);
      else if (!trailing.has(id))
        trailing.set(
          id,
          setTimeout(() => {
            trailing.delete(id);
            refresh(id, k);
          }, wait),
        );
    }
  });
  void (async () => {
    let after = 0;
    let t1 = 0;
    for (let attempt = 0; !closed; attempt++) {
      try {
        after = await latestEventSeq(client);
        t1 = Date.now();
        break;
      } catch {
        setConnection('offline');
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
      }
    }
    if (closed) return;
    sub = client.subscribeEvents(
      {
        onOpen: () => {
          setConnection('online');
          // After a reconnect, anything may have changed. On the first open, data fetched
          // before the stream's starting point was known may have missed an event.
          if (everOpen) void qc.invalidateQueries();
          else void qc.invalidateQueries({ predicate: (q) => q.state.dataUpdatedAt > 0 && q.state.dataUpdatedAt < t1 });
          everOpen = true;
        },
        onDisconnect: () => setConnection('offline'),
        onEvents: (events) => batcher.push(events.flatMap(keysForEvent)),
      },
      { afterSeq: after, reconnect: { initialDelayMs: 250, maxDelayMs: 3000 } },
    );
  })();
  return () => {
    closed = true;
    batcher.cancel();
    for (const t of trailing.values()) clearTimeout(t);
    sub?.close();
  };
}
