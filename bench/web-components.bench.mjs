// The web app's heaviest components in headless Chromium, on the component harness
// (packages/web/harness): a 1,000,000-line log console scrolled programmatically while
// requestAnimationFrame measures frame times, and a chart of 20 overlaid 100,000-point series
// (time from mounting to the next frame). Budgets: no dropped frames; chart < 300 ms.
// The scrolling is traced (Chrome DevTools protocol): each dropped frame is reported with what
// the page's main thread did in it (busy time, garbage collection, style and layout, script), so
// a drop from the page's own work reads differently from one the machine or the browser caused.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { chromium } from 'playwright-core';
import { buildHarness, HARNESS_ORIGIN, serveHarness } from '../packages/web/harness/build.mjs';
import { median, percentile, quick, report, round } from './lib.mjs';

const LINES = quick ? 100_000 : 1_000_000;
const POINTS = quick ? 10_000 : 100_000;
const SERIES = 20;
const FRAMES = quick ? 60 : 300;
// Trace event names on the renderer main thread, by what they say about a frame.
const TASK = new Set(['RunTask', 'ThreadControllerImpl::RunTask']);
const GC = new Set(['MinorGC', 'MajorGC', 'V8.GCIncrementalMarking', 'V8.GCFinalizeMC', 'V8.GCScavenger', 'V8.GCCompactor']);
const STYLE_LAYOUT = new Set(['UpdateLayoutTree', 'Layout']);
const SCRIPT = new Set(['EventDispatch', 'FireAnimationFrame', 'TimerFire', 'FunctionCall']);
const PAINT = new Set(['PrePaint', 'Paint', 'Layerize', 'Commit']);

const dir = buildHarness();
const browser = await chromium.launch({ executablePath: process.env.WB_CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'], headless: true });
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await serveHarness(context, dir);
  const page = await context.newPage();
  await page.goto(`${HARNESS_ORIGIN}/index.html`);
  await page.waitForSelector('body[data-ready="1"]');

  // ---- log console ----
  const t0 = Date.now();
  await page.evaluate((n) => window.harness.logs(n), LINES);
  const mountMs = Date.now() - t0;
  // The page's clock when the console had mounted (a GC soon after is the mount's garbage).
  const mountedAt = await page.evaluate(() => performance.now());
  const cdp = await context.newCDPSession(page);
  // The page's JS heap (no GC forced: that would move the collections the scroll is measured through).
  const heapMB = async () => round((await cdp.send('Runtime.getHeapUsage')).usedSize / 2 ** 20);
  const heapAfterMountMB = await heapMB();
  const trace = [];
  cdp.on('Tracing.dataCollected', (e) => trace.push(...e.value));
  const traced = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  const load = sampleMachineLoad();
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: ['toplevel', 'devtools.timeline', 'v8.gc', 'blink.user_timing'] } });
  const scroll = await page.evaluate(async (frames) => {
    // Frames of 50 ms or more, with the scripts that ran in them (Long Animation Frames API).
    const longFrames = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longFrames.push({ startMs: e.startTime, durationMs: e.duration, scripts: e.scripts.map((s) => ({ invoker: s.invoker, durationMs: s.duration, forcedLayoutMs: s.forcedStyleAndLayoutDuration })) });
    }).observe({ type: 'long-animation-frame' });
    // Ties this page's clock to the trace's.
    const sync = performance.mark('wb-clock-sync').startTime;
    const el = document.querySelector('[data-testid="log-scroller"]');
    const raf = () => new Promise((r) => requestAnimationFrame(r));
    // Idle frames first: the page's own frame interval (the baseline a dropped frame exceeds).
    const idle = [];
    let last = await raf();
    for (let i = 0; i < 30; i++) {
      const t = await raf();
      idle.push([last, t]);
      last = t;
    }
    el.scrollTop = 0;
    await raf();
    // A fast wheel: 600 px (30 lines) a frame, then jumps across the whole log.
    // Each frame as [start, end] in the page's clock (the rAF timestamps), for attribution.
    const wheel = [];
    last = await raf();
    for (let i = 0; i < frames; i++) {
      el.scrollTop += 600;
      const t = await raf();
      wheel.push([last, t]);
      last = t;
    }
    const jumps = [];
    last = await raf();
    for (let i = 0; i < frames; i++) {
      el.scrollTop = ((i * 7919) % frames) * (el.scrollHeight / frames);
      const t = await raf();
      jumps.push([last, t]);
      last = t;
    }
    await new Promise((r) => setTimeout(r, 100)); // the observer's last entries
    return { sync, idle, wheel, jumps, longFrames, domLines: document.querySelectorAll('[data-testid="log-line"]').length };
  }, FRAMES);
  await cdp.send('Tracing.end');
  await traced;
  const heapAfterScrollMB = await heapMB();
  const loadSamples = load.stop();
  const pageEpoch = await page.evaluate(() => performance.timeOrigin);
  const interval = median(scroll.idle.map(([a, b]) => b - a));
  const attribute = frameAttribution(trace, scroll.sync);
  const stats = (frames) => {
    const s = frames.map(([a, b]) => b - a).sort((a, b) => a - b);
    const dropped = frames
      .map(([a, b], i) => ({ frame: i, msAfterMount: round(a - mountedAt, 0), intervalMs: round(b - a), ...attribute(a, b, interval, otherLoadAt(loadSamples, pageEpoch + a, pageEpoch + b)) }))
      .filter((f) => f.intervalMs > interval * 1.5);
    const byCause = {};
    for (const f of dropped) byCause[f.cause] = (byCause[f.cause] ?? 0) + 1;
    return { medianMs: round(median(s)), p95Ms: round(percentile(s, 95)), maxMs: round(s[s.length - 1]), droppedFrames: dropped.length, droppedByCause: byCause, dropped };
  };

  // ---- chart ----
  const renders = [];
  for (let i = 0; i < (quick ? 2 : 5); i++) renders.push((await page.evaluate(({ s, p }) => window.harness.chart(s, p), { s: SERIES, p: POINTS })).renderMs);

  report('web-components', {
    logConsole: {
      lines: LINES,
      mountMs,
      heapUsedMB: { afterMount: heapAfterMountMB, afterScroll: heapAfterScrollMB },
      frameIntervalMs: round(interval),
      frames: FRAMES,
      idleAfterMount: stats(scroll.idle),
      wheel600pxPerFrame: stats(scroll.wheel),
      randomJumps: stats(scroll.jumps),
      mainThreadMsPerFrame: mainThreadStats(trace, scroll.sync, [...scroll.wheel, ...scroll.jumps]),
      longAnimationFrames: scroll.longFrames.map((f) => ({ startMs: round(f.startMs), durationMs: round(f.durationMs), scripts: f.scripts.map((s) => ({ ...s, durationMs: round(s.durationMs), forcedLayoutMs: round(s.forcedLayoutMs) })) })),
      domLines: scroll.domLines,
      budget: 'no dropped frames (a frame > 1.5 x the idle interval)',
      otherProcessesCores: { median: round(median(loadSamples.map((x) => x.otherCores)), 2), max: round(Math.max(...loadSamples.map((x) => x.otherCores)), 2), of: os.availableParallelism() },
      causes: {
        'page work': "the page's main thread was busy longer than a frame while the machine was otherwise quiet: the console's own work",
        'page work, machine busy': "the same, while other processes used half a core or more (otherProcessesCores): the page's usual work ran slower than usual (compare mainThreadBusyMs with mainThreadMsPerFrame.busy.median)",
        'page work during a major GC': "the same, while V8 marked the page's heap (majorGcMarkingMsAllThreads: its concurrent marking shares the cores, its incremental steps and write barriers slow the page); the heap holds the million lines, so marking it is long",
        gc: 'garbage collection took half a frame or more (gcEvents); in the first seconds after mounting (msAfterMount) it is the young generation promoting the million lines the harness just generated',
        'outside the page': "the page's main thread was idle most of the frame: the compositor, raster or another process on the machine",
      },
    },
    chart: { series: SERIES, pointsPerSeries: POINTS, renderMsMedian: round(median(renders)), renderMsFirst: round(renders[0]), renderMsAll: renders.map((x) => round(x)), budgetMs: 300 },
  });
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The renderer's trace events, mapped to the page's clock (ms) through the sync mark: its main
 * thread's, or with `allThreads` its helpers' too (V8's concurrent marking runs on those).
 */
function mainThreadEvents(trace, syncMs, allThreads = false) {
  const mark = trace.find((e) => e.name === 'wb-clock-sync');
  if (!mark) return null;
  const offsetUs = mark.ts - syncMs * 1000;
  const events = trace.filter((e) => e.pid === mark.pid && (allThreads || e.tid === mark.tid) && e.ph === 'X' && typeof e.dur === 'number');
  return events.map((e) => ({ name: e.name, start: (e.ts - offsetUs) / 1000, end: (e.ts + e.dur - offsetUs) / 1000 }));
}

/** Major GC work of the page's heap on any renderer thread (incremental and concurrent marking). */
function isMarking(name) {
  return name === 'MajorGC' || name.startsWith('V8.GC_MC_') || name === 'V8.GCIncrementalMarking';
}

/** Time in [a, b] covered by events whose name is in `names` (nested ones counted once). */
function covered(events, names, a, b) {
  const spans = events.filter((e) => names.has(e.name) && e.start < b && e.end > a).map((e) => [Math.max(a, e.start), Math.min(b, e.end)]).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let upTo = a;
  for (const [s, e] of spans) {
    if (e <= upTo) continue;
    total += e - Math.max(s, upTo);
    upTo = e;
  }
  return total;
}

function frameAttribution(trace, syncMs) {
  const events = mainThreadEvents(trace, syncMs);
  const marking = (mainThreadEvents(trace, syncMs, true) ?? []).filter((e) => isMarking(e.name));
  return (a, b, interval, otherCores) => {
    if (!events) return { cause: 'unknown (no trace)', otherProcessesCores: otherCores };
    const busy = covered(events, TASK, a, b);
    const gc = covered(events, GC, a, b);
    const machineBusy = otherCores !== null && otherCores >= 0.5;
    const markingMs = marking.filter((e) => e.start < b && e.end > a).reduce((sum, e) => sum + Math.min(b, e.end) - Math.max(a, e.start), 0);
    const cause = gc >= interval / 2 ? 'gc' : busy > interval ? (machineBusy ? 'page work, machine busy' : markingMs > 0 ? 'page work during a major GC' : 'page work') : 'outside the page';
    const gcEvents = events.filter((e) => GC.has(e.name) && e.start < b && e.end > a && e.end - e.start >= 1).map((e) => `${e.name} ${round(e.end - e.start)} ms`);
    // The longest named pieces of work in the frame (below the task level), for what the
    // categories above do not cover.
    const longest = events
      .filter((e) => !TASK.has(e.name) && e.start < b && e.end > a && e.end - e.start >= 2)
      .map((e) => ({ name: e.name, ms: Math.min(b, e.end) - Math.max(a, e.start) }))
      .sort((x, y) => y.ms - x.ms)
      .slice(0, 6)
      .map((e) => `${e.name} ${round(e.ms)} ms`);
    return { cause, mainThreadBusyMs: round(busy), gcMs: round(gc), gcEvents, majorGcMarkingMsAllThreads: round(markingMs), styleLayoutMs: round(covered(events, STYLE_LAYOUT, a, b)), scriptMs: round(covered(events, SCRIPT, a, b)), otherProcessesCores: otherCores, longestEvents: longest };
  };
}

function mainThreadStats(trace, syncMs, frames) {
  const events = mainThreadEvents(trace, syncMs);
  if (!events) return null;
  const of = (names) => {
    const xs = frames.map(([a, b]) => covered(events, names, a, b)).sort((x, y) => x - y);
    return { median: round(median(xs)), p95: round(percentile(xs, 95)), max: round(xs[xs.length - 1]) };
  };
  return { busy: of(TASK), script: of(SCRIPT), styleLayout: of(STYLE_LAYOUT), paint: of(PAINT), gc: of(GC) };
}

/** CPU ticks (USER_HZ) of the whole machine and of this process's tree (the browser included). */
function cpuTicks() {
  const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
  const n = f.map(Number);
  const machine = n[0] + n[1] + n[2] + n[5] + n[6] + n[7]; // user nice system irq softirq steal
  const parent = new Map();
  const ticks = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = st.slice(st.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(d), Number(rest[1]));
      ticks.set(Number(d), Number(rest[11]) + Number(rest[12]));
    } catch {
      // the process ended while being read
    }
  }
  let ours = 0;
  for (const [pid, t] of ticks) {
    for (let p = pid; p > 1; p = parent.get(p) ?? 0) {
      if (p === process.pid) {
        ours += t;
        break;
      }
    }
  }
  return { machine, ours };
}

/**
 * Every 100 ms, how many cores processes outside this benchmark and its browser used: the other
 * work on the machine, which slows the page's frames without being the page's doing. Linux only.
 */
function sampleMachineLoad() {
  const samples = [];
  if (process.platform !== 'linux') return { stop: () => samples };
  const hz = 100;
  let prev = { at: Date.now(), ...cpuTicks() };
  const timer = setInterval(() => {
    const now = { at: Date.now(), ...cpuTicks() };
    const secs = (now.at - prev.at) / 1000;
    samples.push({ from: prev.at, to: now.at, otherCores: Math.max(0, now.machine - prev.machine - (now.ours - prev.ours)) / hz / secs });
    prev = now;
  }, 100);
  return { stop: () => (clearInterval(timer), samples) };
}

/** The other processes' load (cores) over the samples overlapping [a, b] (epoch ms). */
function otherLoadAt(samples, a, b) {
  const near = samples.filter((s) => s.to >= a - 50 && s.from <= b + 50);
  return near.length ? round(Math.max(...near.map((s) => s.otherCores)), 2) : null;
}
