import type { LogLine } from '@workbench/api';
import { useState } from 'react';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import { MetricChart, type ChartLine } from '../src/components/Chart';
import { LogConsole } from '../src/components/LogConsole';
import type { ChartPrefs } from '../src/lib/chart-data';
import { LogLines } from '../src/lib/log-store';
import type { Series } from '../src/lib/series';
import './harness.css';

// Mounts one component with generated data; the tests and benchmarks call window.harness.

const STREAMS: LogLine['stream'][] = ['stdout', 'stdout', 'stdout', 'stderr', 'event'];

/** n lines; every `repeatEvery`-th line starts a run of `repeatRun` identical lines. */
function makeLines(n: number, from = 1, opts: { repeatEvery?: number; repeatRun?: number } = {}): LogLine[] {
  const out: LogLine[] = new Array(n);
  const t0 = Date.UTC(2026, 0, 1);
  let i = 0;
  while (i < n) {
    const seq = from + i;
    if (opts.repeatEvery && seq % opts.repeatEvery === 0) {
      for (let r = 0; r < (opts.repeatRun ?? 3) && i < n; r++, i++) out[i] = { seq: from + i, ts: t0 + from + i, stream: 'stderr', level: 'WARN', text: 'warning: slow batch' };
      continue;
    }
    out[i] = { seq, ts: t0 + seq, stream: STREAMS[seq % STREAMS.length]!, level: seq % 97 === 0 ? 'ERROR' : 'INFO', text: `epoch ${Math.floor(seq / 1000)} step ${seq} loss=${(1 / seq).toFixed(6)}` };
    i++;
  }
  return out;
}

let root: Root | null = null;
function mount(el: React.ReactNode): void {
  root?.unmount();
  root = createRoot(document.getElementById('root')!);
  flushSync(() => root!.render(el));
}
const frame = () => new Promise<number>((r) => requestAnimationFrame(r));

/**
 * A store of n generated lines, made 10,000 at a time as a page receives them (so the objects
 * the generator makes die young, and the store is all that stays).
 */
function makeLog(n: number, opts: { repeatEvery?: number; repeatRun?: number } = {}): LogLines {
  let log = LogLines.empty();
  // Batches end just before a multiple of the repeat interval, so none cuts a run of repeats short.
  const step = opts.repeatEvery ? Math.max(1, Math.floor(10_000 / opts.repeatEvery)) * opts.repeatEvery : 10_000;
  for (let from = 1; from <= n; ) {
    const to = Math.min(n + 1, (Math.floor(from / step) + 1) * step);
    log = log.append(makeLines(to - from, from, opts));
    from = to;
  }
  return log;
}

let append: ((lines: LogLine[]) => void) | null = null;
function LiveConsole({ initial }: { initial: LogLines }) {
  const [lines, setLines] = useState(initial);
  append = (add) => setLines((prev) => prev.append(add, 2_000_000));
  return <LogConsole lines={lines} hasEarlier={false} onLoadEarlier={() => undefined} loading={false} download={{ name: 'harness.log' }} />;
}

function makeSeries(points: number, k: number): Series {
  const steps = new Array<number>(points);
  const values = new Array<number | null>(points);
  const times = new Array<number>(points);
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < points; i++) {
    steps[i] = i;
    values[i] = Math.exp(-i / (points / 4)) * (1 + k / 10) + 0.05 * Math.sin(i / 50 + k);
    times[i] = t0 + i * 100;
  }
  return { steps, values, times };
}

let chartLines: ChartLine[] = [];
const harness = {
  /** A console holding n lines (generated in the page). */
  async logs(n: number, opts: { repeatEvery?: number; repeatRun?: number } = {}) {
    mount(<LiveConsole initial={makeLog(n, opts)} />);
    await frame();
  },
  /** Lines arriving live, after the ones held. */
  async appendLogs(n: number, from: number) {
    flushSync(() => append?.(makeLines(n, from)));
    await frame();
  },
  /** Generate the series (not timed), then time one render of the chart to its next frame. */
  async chart(series: number, points: number, prefs?: Partial<ChartPrefs>): Promise<{ renderMs: number; points: number }> {
    chartLines = Array.from({ length: series }, (_, k) => ({ label: `run-${k + 1}`, series: makeSeries(points, k) }));
    root?.unmount();
    root = null;
    await frame();
    const t0 = performance.now();
    root = createRoot(document.getElementById('root')!);
    flushSync(() => root!.render(<MetricChart lines={chartLines} height={300} prefs={{ smoothing: 0, logY: false, x: 'step', ...prefs }} />));
    await frame();
    return { renderMs: performance.now() - t0, points: series * points };
  },
  /** A chart of explicit series: [steps, values] per line. */
  chartOf(lines: Array<{ label: string; steps: number[]; values: Array<number | null> }>, prefs?: Partial<ChartPrefs>) {
    mount(<MetricChart lines={lines.map((l) => ({ label: l.label, series: { steps: l.steps, values: l.values, times: l.steps.map((s) => Date.UTC(2026, 0, 1) + s * 1000) } }))} height={240} prefs={{ smoothing: 0, logY: false, x: 'step', ...prefs }} />);
  },
};
(window as unknown as { harness: typeof harness }).harness = harness;
document.body.dataset.ready = '1';
