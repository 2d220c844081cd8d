import { readFileSync, rmSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildHarness, HARNESS_ORIGIN, serveHarness } from '../packages/web/harness/build.mjs';
import { expectAccessible, launchBrowser, until } from './helpers';

// Component tests in a real browser: the log console and the charts, mounted alone on the
// harness page (packages/web/harness, built from source by Vite) with generated data.
describe('components in Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let dir = '';

  beforeAll(async () => {
    dir = buildHarness();
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: HARNESS_ORIGIN });
    await serveHarness(context, dir);
    page = await context.newPage();
    await page.goto(`${HARNESS_ORIGIN}/index.html`);
    await page.waitForSelector('body[data-ready="1"]');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const lineTexts = () => page.getByTestId('log-line').allTextContents();
  const scroller = () => page.getByTestId('log-scroller');

  test('log console: a million lines, only the visible ones in the DOM, following the tail', async () => {
    await page.evaluate(() => (window as never as { harness: { logs(n: number): Promise<void> } }).harness.logs(1_000_000));
    await expect.poll(() => page.getByTestId('log-count').textContent()).toBe('1,000,000 lines');
    const inDom = await page.getByTestId('log-line').count();
    expect(inDom).toBeGreaterThan(10);
    expect(inDom).toBeLessThan(100);
    // Following: the newest line is in view.
    await until(async () => (await lineTexts()).some((t) => t.endsWith('step 1000000 loss=0.000001')), 'the last line in view');
    // Lines arriving live are followed.
    await page.evaluate(() => (window as never as { harness: { appendLogs(n: number, from: number): Promise<void> } }).harness.appendLogs(10, 1_000_001));
    await until(async () => (await lineTexts()).some((t) => t.includes('step 1000010 ')), 'a live line in view');
    // Scrolling up (a person's wheel) pauses following; new lines no longer move the view.
    await scroller().hover();
    await page.mouse.wheel(0, -2000);
    await until(async () => (await page.getByTestId('follow-toggle').textContent())?.includes('Paused'), 'following paused');
    const before = await scroller().evaluate((el) => el.scrollTop);
    await page.evaluate(() => (window as never as { harness: { appendLogs(n: number, from: number): Promise<void> } }).harness.appendLogs(50, 1_000_011));
    expect(await scroller().evaluate((el) => el.scrollTop)).toBe(before);
    expect((await lineTexts()).some((t) => t.includes('step 1000060 '))).toBe(false);
    // The toggle resumes it.
    await page.getByTestId('follow-toggle').click();
    await until(async () => (await lineTexts()).some((t) => t.includes('step 1000060 ')), 'back at the tail');
    // Jump to the middle of the million: the lines there render.
    await scroller().evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    await until(async () => (await lineTexts()).some((t) => / step 5\d{5} /.test(t)), 'lines from the middle');
  });

  test('log console: search highlights, stream and level filters, grouping of repeats', async () => {
    await page.evaluate(() => (window as never as { harness: { logs(n: number, o: object): Promise<void> } }).harness.logs(20_000, { repeatEvery: 100, repeatRun: 4 }));
    await page.getByLabel('Search logs').fill('step 1234 ');
    await expect.poll(() => page.getByTestId('log-count').textContent()).toMatch(/^1 of 20,000 lines/);
    expect(await page.locator('[data-testid="log-line"] mark.hl').allTextContents()).toEqual(['step 1234 ']);
    await page.getByLabel('Search logs').fill('');
    // stderr only: the repeated warnings and the stderr lines.
    for (const s of ['stdout', 'event', 'system']) await page.getByTestId(`stream-${s}`).click();
    await expect.poll(async () => (await lineTexts()).every((t) => t.includes('stderr'))).toBe(true);
    const stderrOnly = Number((await page.getByTestId('log-count').textContent())!.split(' of ')[0]!.replace(/,/g, ''));
    expect(stderrOnly).toBeGreaterThan(0);
    expect(stderrOnly).toBeLessThan(20_000);
    // Grouping folds each run of 4 identical warnings into one row marked ×4.
    await page.getByTestId('group-toggle').click();
    await scroller().evaluate((el) => (el.scrollTop = 0));
    await page.getByTestId('repeat-count').first().waitFor();
    expect(await page.getByTestId('repeat-count').first().textContent()).toBe('×4');
    await expect.poll(() => page.getByTestId('log-count').textContent()).toMatch(/ rows$/);
    await page.getByTestId('group-toggle').click();
    await expect.poll(() => page.getByTestId('repeat-count').count()).toBe(0);
    for (const s of ['stdout', 'event', 'system']) await page.getByTestId(`stream-${s}`).click();
    // Level: error and worse.
    await page.getByLabel('Minimum level').selectOption('ERROR');
    await expect.poll(async () => (await lineTexts()).length > 0 && (await lineTexts()).every((t) => t.includes('ERROR'))).toBe(true);
    await page.getByLabel('Minimum level').selectOption('');
    await expectAccessible(page, 'the log console');
  });

  test('log console: copy puts the shown lines on the clipboard; download saves them', async () => {
    await page.evaluate(() => (window as never as { harness: { logs(n: number): Promise<void> } }).harness.logs(300));
    await page.getByLabel('Search logs').fill('step 12');
    await page.getByTestId('copy-logs').click();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const copiedLines = copied.trim().split('\n');
    expect(copiedLines.length).toBe(11); // step 12, 120–129
    expect(copiedLines.every((l) => l.includes('step 12'))).toBe(true);
    await page.getByLabel('Search logs').fill('');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-logs').click()]);
    expect(download.suggestedFilename()).toBe('harness.log');
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text.trim().split('\n')).toHaveLength(300);
    expect(text).toMatch(/^2026-01-01T00:00:00\.001Z stdout epoch 0 step 1 loss=1\.000000$/m);
  });

  const legendRows = () => page.locator('.u-legend .u-series').count();
  const inkedPixels = () =>
    page.locator('[data-testid="chart"] canvas').evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n;
    });

  test('chart: 20 overlaid series of 100,000 points draw, with a legend per run', async () => {
    const r = await page.evaluate(() => (window as never as { harness: { chart(s: number, p: number): Promise<{ renderMs: number; points: number }> } }).harness.chart(20, 100_000));
    expect(r.points).toBe(2_000_000);
    expect(await legendRows()).toBe(21); // the x axis and 20 runs
    expect(await inkedPixels()).toBeGreaterThan(5000);
  });

  test('chart: smoothing adds an averaged line over the faded raw one; log scale and time axis', async () => {
    const lines = [
      { label: 'a', steps: [0, 1, 2, 3, 4, 5], values: [1, 0.5, 0.25, 0, -1, 0.1] },
      { label: 'b', steps: [0, 2, 4, 6], values: [2, 1, null, 0.5] },
    ];
    type H = { harness: { chartOf(l: typeof lines, p?: object): void } };
    await page.evaluate((l) => (window as never as H).harness.chartOf(l), lines);
    expect(await legendRows()).toBe(3);
    expect(await page.locator('.u-legend .u-series').first().textContent()).toContain('step');
    await page.evaluate((l) => (window as never as H).harness.chartOf(l, { smoothing: 0.6 }), lines);
    expect(await legendRows()).toBe(5);
    expect(await page.locator('.u-legend .u-series').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('a (raw)'), expect.stringContaining('b (raw)')]));
    // Log scale: zero and negative values become gaps instead of breaking the axis.
    await page.evaluate((l) => (window as never as H).harness.chartOf(l, { logY: true }), lines);
    expect(await page.getByTestId('chart').getAttribute('data-log')).toBe('y');
    expect(await inkedPixels()).toBeGreaterThan(100);
    await page.evaluate((l) => (window as never as H).harness.chartOf(l, { x: 'time' }), lines);
    expect(await page.locator('.u-legend .u-series').first().textContent()).toContain('time');
    expect(await inkedPixels()).toBeGreaterThan(100);
    await expectAccessible(page, 'a chart');
  });
});
