// The web app's heaviest components in headless Chromium, on the component harness
// (packages/web/harness): a 1,000,000-line log console scrolled programmatically while
// requestAnimationFrame measures frame times, and a chart of 20 overlaid 100,000-point series
// (time from mounting to the next frame). Budgets: no dropped frames; chart < 300 ms.
import { rmSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { buildHarness, HARNESS_ORIGIN, serveHarness } from '../packages/web/harness/build.mjs';
import { median, percentile, quick, report, round } from './lib.mjs';

const LINES = quick ? 100_000 : 1_000_000;
const POINTS = quick ? 10_000 : 100_000;
const SERIES = 20;
const FRAMES = quick ? 60 : 300;

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
  const scroll = await page.evaluate(async (frames) => {
    const el = document.querySelector('[data-testid="log-scroller"]');
    const raf = () => new Promise((r) => requestAnimationFrame(r));
    // Idle frames first: the page's own frame interval (the baseline a dropped frame exceeds).
    const idle = [];
    let last = await raf();
    for (let i = 0; i < 30; i++) {
      const t = await raf();
      idle.push(t - last);
      last = t;
    }
    el.scrollTop = 0;
    await raf();
    // A fast wheel: 600 px (30 lines) a frame, then jumps across the whole log.
    const wheel = [];
    last = await raf();
    for (let i = 0; i < frames; i++) {
      el.scrollTop += 600;
      const t = await raf();
      wheel.push(t - last);
      last = t;
    }
    const jumps = [];
    last = await raf();
    for (let i = 0; i < frames; i++) {
      el.scrollTop = ((i * 7919) % frames) * (el.scrollHeight / frames);
      const t = await raf();
      jumps.push(t - last);
      last = t;
    }
    return { idle, wheel, jumps, domLines: document.querySelectorAll('[data-testid="log-line"]').length };
  }, FRAMES);
  const interval = median(scroll.idle);
  const stats = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return { medianMs: round(median(s)), p95Ms: round(percentile(s, 95)), maxMs: round(s[s.length - 1]), droppedFrames: s.filter((x) => x > interval * 1.5).length };
  };

  // ---- chart ----
  const renders = [];
  for (let i = 0; i < (quick ? 2 : 5); i++) renders.push((await page.evaluate(({ s, p }) => window.harness.chart(s, p), { s: SERIES, p: POINTS })).renderMs);

  report('web-components', {
    logConsole: { lines: LINES, mountMs, frameIntervalMs: round(interval), frames: FRAMES, wheel600pxPerFrame: stats(scroll.wheel), randomJumps: stats(scroll.jumps), domLines: scroll.domLines, budget: 'no dropped frames (a frame > 1.5 x the idle interval)' },
    chart: { series: SERIES, pointsPerSeries: POINTS, renderMsMedian: round(median(renders)), renderMsFirst: round(renders[0]), renderMsAll: renders.map((x) => round(x)), budgetMs: 300 },
  });
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
