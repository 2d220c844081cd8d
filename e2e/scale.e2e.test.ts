import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cleanup, launchBrowser, openApp, root, serve, tempHome, until, type Served } from './helpers';

const N = 10_000;
const TOTAL = N + 1 + 200;

// 10,000 runs (params and metric summaries each) in the runs table: every one is listed, only
// the visible rows are in the DOM, and sorting and scrolling stay quick.
describe('the runs table at scale', () => {
  const home = tempHome();
  let server: Served;
  let browser: Browser;
  let bigId = '';

  beforeAll(async () => {
    const core = (await import(path.join(root, 'packages/core/dist/index.js'))) as typeof import('@workbench/core');
    const ws = await core.Workspace.open(home);
    await new core.Projects(ws).create('sweep');
    const runs = new core.Runs(ws);
    for (let b = 0; b < N; b += 1000) {
      const ids = await runs.createMany(
        Array.from({ length: 1000 }, (_, i) => ({ project: 'sweep', name: `trial-${String(b + i).padStart(5, '0')}`, command: ['x'], params: { lr: ((b + i) % 97) / 1000, layers: (b + i) % 7, seed: b + i } })),
      );
      for (const [i, id] of ids.entries()) {
        const n = b + i;
        await runs.ingest(id, { metrics: [0, 1].flatMap((s) => [{ key: 'loss', step: s, value: ((n * 7919) % 10007) / 10007 + s, ts: 0, attempt: 1 }, { key: 'acc', step: s, value: (n % 101) / 100, ts: 0, attempt: 1 }]) });
      }
    }
    // One run with a million metric points and 200,000 log lines.
    const [big] = await runs.createMany([{ project: 'sweep', name: 'zz-big', command: ['x'] }]);
    bigId = big!;
    const t = Date.now();
    for (let b = 0; b < 1_000_000; b += 100_000) {
      const points = Array.from({ length: 100_000 }, (_, i) => ({ key: 'big_loss', step: b + i, value: Math.exp(-(b + i) / 200_000) + (i % 1000 === 0 ? 0.5 : 0), ts: t, attempt: 1 }));
      await runs.ingest(bigId, { metrics: points });
    }
    for (let b = 0; b < 200_000; b += 50_000) {
      await runs.ingest(bigId, { logs: Array.from({ length: 50_000 }, (_, i) => ({ ts: t + b + i, stream: 'stdout' as const, level: 'INFO', text: `line ${b + i + 1}` })) });
    }
    // 200 runs over 5,000 distinct params (25 each): the table's columns must virtualise too.
    await new core.Projects(ws).create('wide');
    await runs.createMany(Array.from({ length: 200 }, (_, i) => ({ project: 'wide', name: `wide-${i}`, command: ['x'], params: Object.fromEntries(Array.from({ length: 25 }, (_, k) => [`p${String(i * 25 + k).padStart(4, '0')}`, i + k / 100])) })));
    await ws.close();
    server = await serve(home);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    cleanup(home);
  });

  test('10,000 runs: all listed, virtualised, sortable and scrollable', async () => {
    const { page } = await openApp(browser, server, { path: '/runs' });
    const t0 = Date.now();
    await until(async () => (await page.getByTestId('runs-count').textContent())?.startsWith(`${TOTAL.toLocaleString('en-US')} of ${TOTAL.toLocaleString('en-US')}`), 'all runs loaded', 30_000);
    const loadMs = Date.now() - t0;
    const domRows = await page.getByTestId('run-row').count();
    expect(domRows).toBeGreaterThan(5);
    expect(domRows).toBeLessThan(80);

    // Sort by a metric: the smallest loss first.
    const t1 = Date.now();
    await page.getByRole('columnheader', { name: 'loss (last)', exact: true }).click();
    await page.getByRole('columnheader', { name: 'loss (last)', exact: true }).click();
    await until(async () => (await page.getByRole('columnheader', { name: 'loss (last)', exact: true }).getAttribute('aria-sort')) === 'ascending', 'ascending sort');
    const sortMs = Date.now() - t1;
    const firstName = await page.locator('[data-testid="run-row"] [data-testid="run-link"]').first().textContent();
    expect(firstName).toBe('trial-00000');

    // Scroll to the very end: the last rows are rendered, the DOM stays small.
    const t2 = Date.now();
    await page.getByTestId('runs-scroller').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await until(async () => (await page.locator('[data-testid="run-row"]').last().getAttribute('data-run-id')) !== null && (await page.getByTestId('run-row').count()) < 80 && (await page.locator('[data-testid="run-row"] [data-testid="run-link"]').allTextContents()).length > 0, 'rows at the end');
    // Frames while scrolling through the middle.
    const frames = await page.getByTestId('runs-scroller').evaluate(async (el) => {
      const times: number[] = [];
      let last = performance.now();
      for (let i = 0; i < 60; i++) {
        el.scrollTop = (el.scrollHeight * i) / 60;
        await new Promise((r) => requestAnimationFrame(r));
        const t = performance.now();
        times.push(t - last);
        last = t;
      }
      // And as a wheel scrolls: 200 px a frame.
      const steps: number[] = [];
      el.scrollTop = el.scrollHeight / 2;
      await new Promise((r) => requestAnimationFrame(r));
      last = performance.now();
      for (let i = 0; i < 60; i++) {
        el.scrollTop += 200;
        await new Promise((r) => requestAnimationFrame(r));
        const t = performance.now();
        steps.push(t - last);
        last = t;
      }
      times.sort((a, b) => a - b);
      steps.sort((a, b) => a - b);
      return { median: times[30]!, p95: times[57]!, wheelMedian: steps[30]!, wheelP95: steps[57]! };
    });
    console.log(JSON.stringify({ runs: TOTAL, loadMs, sortMs, scrollEndMs: Date.now() - t2, jumpFrameMedianMs: Math.round(frames.median), jumpFrameP95Ms: Math.round(frames.p95), wheelFrameMedianMs: Math.round(frames.wheelMedian), wheelFrameP95Ms: Math.round(frames.wheelP95), domRows }));
    // Frame times are printed for the record, not asserted: speed is for benchmarks, and a
    // loaded CI machine must not turn a figure into a failure. Virtualisation is asserted above.
  });

  test('5,000 distinct param columns: only the columns in view are in the DOM; scrolling reaches the last', async () => {
    const { context, page } = await openApp(browser, server, { path: '/projects/wide' });
    try {
      await page.getByTestId('run-row').first().waitFor();
      // Choose every param as a column (what the picker stores), then reload.
      await page.evaluate(() => localStorage.setItem('wb-runs-columns:wide', JSON.stringify(Array.from({ length: 5000 }, (_, i) => `param:p${String(i).padStart(4, '0')}`))));
      await page.reload();
      await page.getByRole('columnheader', { name: 'p0000', exact: true }).waitFor();
      const headers = await page.getByRole('columnheader').count();
      expect(headers).toBeGreaterThan(5);
      expect(headers).toBeLessThan(40);
      const cells = await page.locator('[data-testid="run-row"] [role="cell"]').count();
      expect(cells).toBeLessThan(2000);
      await page.getByTestId('runs-scroller').evaluate((el) => el.scrollTo(el.scrollWidth, 0));
      await page.getByRole('columnheader', { name: 'p4999', exact: true }).waitFor();
      expect(await page.getByRole('columnheader').count()).toBeLessThan(40);
      // The picker lists the first 200 keys and narrows as you type.
      await page.getByTestId('columns-button').click();
      await page.getByTestId('columns-picker').getByText('4,800 more: type to narrow the list').waitFor();
      await page.getByLabel('Filter columns').fill('p4321');
      await page.getByTestId('columns-picker').getByText('Params (1)').waitFor();
    } finally {
      await context.close();
    }
  });

  test('a run with 1,000,000 metric points and 200,000 log lines opens with a reduced chart, the log tail and a server-side search', async () => {
    const { page } = await openApp(browser, server, { path: `/runs/${bigId}` });
    const t0 = Date.now();
    const card = page.locator('[data-testid="metric-card"][data-key="big_loss"]');
    await card.locator('canvas').first().waitFor();
    const chartMs = Date.now() - t0;
    const pts = Number(((await card.textContent()) ?? '').match(/([\d,]+) pts/)?.[1]?.replace(/,/g, '') ?? 0);
    expect(pts).toBeGreaterThan(100);
    expect(pts).toBeLessThanOrEqual(1500);
    await page.getByTestId('log-line').filter({ hasText: /stdoutline 200000$/ }).waitFor();
    const logMs = Date.now() - t0;
    expect(Number((await page.getByTestId('log-count').textContent())!.replace(/\D/g, ''))).toBe(5000);
    // The console holds the newest 5,000 lines; the server searches all 200,000.
    await page.getByLabel('Search logs').fill('line 12345');
    await page.getByTestId('search-all').click();
    await page.getByTestId('search-all-banner').filter({ hasText: '11 line(s)' }).waitFor();
    await page.getByTestId('log-line').filter({ hasText: /stdoutline 12345$/ }).waitFor();
    await page.getByRole('button', { name: 'Back to the live console' }).click();
    await page.getByTestId('search-all-banner').waitFor({ state: 'detached' });
    // A search with more matches than one page: the first 5,000, then more on demand.
    await page.getByLabel('Search logs').fill('line 1');
    await page.getByTestId('search-all').click();
    await page.getByTestId('search-all-banner').filter({ hasText: '5,000 line(s)' }).waitFor();
    await page.getByTestId('search-more').click();
    await page.getByTestId('search-all-banner').filter({ hasText: '10,000 line(s)' }).waitFor();
    await page.getByRole('button', { name: 'Back to the live console' }).click();
    await page.getByLabel('Search logs').fill('');
    console.log(JSON.stringify({ metricPoints: 1_000_000, drawnPoints: pts, chartMs, logLines: 200_000, logTailMs: logMs }));
  });
});
