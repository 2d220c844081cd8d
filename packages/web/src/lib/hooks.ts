import type { Run } from '@workbench/api';
import { useEffect, useState } from 'react';
import { api } from './api';

/** The current time, refreshed every `ms` (for live durations). */
export function useNow(ms = 1000, active = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms, active]);
  return now;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'lost']);
export const isTerminal = (s: string): boolean => TERMINAL.has(s);

/**
 * A run kept up to date over the WebSocket (status and progress only): used where a list shows
 * runs that are running. Falls back to the given run.
 */
export function useLiveRun(run: Run): Run {
  const [live, setLive] = useState<Run>(run);
  useEffect(() => setLive(run), [run]);
  useEffect(() => {
    if (isTerminal(run.status)) return;
    let frame = 0;
    let pending: Run | null = null;
    const sub = api().subscribe(
      run.id,
      {
        onRun: (r) => {
          pending = r;
          if (!frame)
            frame = requestAnimationFrame(() => {
              frame = 0;
              if (pending) setLive((prev) => ({ ...prev, ...pending, projectName: prev.projectName ?? pending!.projectName }));
            });
        },
      },
      { afterLogSeq: Number.MAX_SAFE_INTEGER, afterMetricSeq: Number.MAX_SAFE_INTEGER, untilEnded: true },
    );
    return () => {
      if (frame) cancelAnimationFrame(frame);
      sub.close();
    };
  }, [run.id, run.status]);
  return live;
}
