import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiCall, cleanup, launchBrowser, nodeScript, openApp, serve, tempHome, until, wb, type Served } from './helpers';

interface Run {
  id: string;
  name: string;
  status: string;
}

const ended = (s: string) => ['succeeded', 'failed', 'cancelled', 'lost'].includes(s);

// Runs are real child processes supervised by a real `wb serve`.
describe('runs in the browser', () => {
  const home = tempHome();
  const scratch = path.dirname(home);
  let server: Served;
  let browser: Browser;
  let page: Page;

  const start = (name: string, body: string, extra: Record<string, unknown> = {}) => apiCall<Run>(server, 'POST', '/runs', { project: 'exp', name, command: nodeScript(body), ...extra });
  const getRun = (id: string) => apiCall<Run & { progress: unknown }>(server, 'GET', `/runs/${id}`);

  beforeAll(async () => {
    wb(home, ['project', 'create', 'exp']);
    const csv = path.join(scratch, 'points.csv');
    writeFileSync(csv, 'x,y,label\n1,2,a\n3,4,b\n5,6,c\n');
    wb(home, ['dataset', 'import', csv, '--project', 'exp', '--name', 'points']);
    server = await serve(home);
    const quick = await Promise.all([
      start('ok-1', `console.log('hello'); ev({type:'metric',key:'loss',value:0.5,step:1}); ev({type:'metric',key:'loss',value:0.25,step:2});`, { params: { lr: 0.1 }, datasets: ['points'] }),
      start('ok-2', `console.log('hello'); ev({type:'metric',key:'loss',value:0.4,step:1});`, { params: { lr: 0.01 } }),
      start('bad', `console.error('boom'); process.exit(3);`, { params: { lr: 0.5 } }),
    ]);
    await until(async () => (await Promise.all(quick.map((r) => getRun(r.id)))).every((r) => ended(r.status)), 'the quick runs to end', 20_000);
    browser = await launchBrowser();
    ({ page } = await openApp(browser, server));
    await page.locator('[data-testid="connection"][data-state="online"]').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    cleanup(home);
  });

  const rowNames = async () => page.locator('[data-testid="run-row"] [data-testid="run-link"]').allTextContents();

  test('the runs table lists runs, filters by status and name, and sorts', async () => {
    await page.keyboard.press('g');
    await page.keyboard.press('r');
    await page.waitForURL(/\/runs$/);
    await until(async () => (await rowNames()).length === 3, 'three rows');
    expect((await rowNames()).sort()).toEqual(['bad', 'ok-1', 'ok-2']);

    await page.getByTestId('status-filter-failed').click();
    await until(async () => (await rowNames()).length === 1, 'one failed row');
    expect(await rowNames()).toEqual(['bad']);
    expect(await page.locator('[data-testid="run-row"] [data-status]').first().getAttribute('data-status')).toBe('failed');

    await page.getByTestId('status-filter-failed').click();
    await page.getByTestId('status-filter-succeeded').click();
    await until(async () => (await rowNames()).length === 2, 'two succeeded rows');

    await page.getByTestId('status-filter-succeeded').click();
    await page.getByLabel('Filter runs by name').fill('ok-2');
    await until(async () => JSON.stringify(await rowNames()) === '["ok-2"]', 'the name filter');
    await page.getByLabel('Filter runs by name').fill('');

    // Param filter and sort by a param column.
    await page.getByLabel('Filter by param or metric').fill('param:lr<0.2');
    await until(async () => (await rowNames()).length === 2, 'the param filter');
    await page.getByLabel('Filter by param or metric').fill('');
    await page.getByRole('columnheader', { name: 'lr' }).click();
    await until(async () => JSON.stringify(await rowNames()) === '["ok-2","ok-1","bad"]', 'ascending lr');
    await page.getByRole('columnheader', { name: 'lr' }).click();
    await until(async () => JSON.stringify(await rowNames()) === '["bad","ok-1","ok-2"]', 'descending lr');
  });

  test('a running run shows its logs and metrics live, and Cancel really stops it', async () => {
    const pidFile = path.join(scratch, 'live.pid');
    const run = await start(
      'live-run',
      `fs.writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); for (let i = 1; i < 100000; i++) { console.log('tick ' + i); if (i % 5 === 0) console.error('warn ' + i); ev({type:'metric',key:'loss',value:1/i,step:i}); ev({type:'progress',current:i,total:1000}); await sleep(60); }`,
      { params: { lr: 0.003 } },
    );
    await page.goto(`${server.url}/runs/${run.id}`);
    await page.getByText('tick 3', { exact: true }).waitFor();
    const count = async () => Number((await page.getByTestId('log-count').textContent())!.replace(/\D/g, ''));
    const first = await count();
    await until(async () => (await count()) > first + 5, 'more log lines arriving live');
    // The metric chart draws on a canvas and its point count grows.
    const card = page.locator('[data-testid="metric-card"][data-key="loss"]');
    await card.locator('canvas').first().waitFor();
    const pts = async () => Number(((await card.textContent()) ?? '').match(/([\d,]+) pts/)?.[1]?.replace(/,/g, '') ?? 0);
    const p0 = await pts();
    await until(async () => (await pts()) > p0, 'live metric points');
    expect(await page.getByTestId('progress-text').textContent()).toMatch(/\/ 1000/);

    // Search highlights, and the stream filter hides stdout.
    await page.getByLabel('Search logs').fill('warn 1');
    await page.locator('mark.hl').first().waitFor();
    await page.getByLabel('Search logs').fill('');
    await page.getByTestId('stream-stdout').click();
    await until(async () => {
      const texts = await page.getByTestId('log-line').allTextContents();
      // A line reads "<time><stream><text>": no stdout line is left, stderr ones are.
      return texts.some((t) => t.includes('stderr')) && texts.every((t) => !t.includes('stdouttick'));
    }, 'only stderr lines');
    await page.getByTestId('stream-stdout').click();

    // While lines stream in, scrolling up pauses following and the view stays put.
    await until(async () => (await count()) > 40, 'a screenful of lines');
    await page.getByTestId('log-scroller').hover();
    await page.mouse.wheel(0, -400);
    await until(async () => (await page.getByTestId('follow-toggle').getAttribute('aria-pressed')) === 'false', 'follow to pause');
    const top0 = await page.getByTestId('log-scroller').evaluate((el) => el.scrollTop);
    const c0 = await count();
    await until(async () => (await count()) > c0 + 5, 'more lines while paused');
    expect(await page.getByTestId('log-scroller').evaluate((el) => el.scrollTop)).toBe(top0);
    await page.getByTestId('follow-toggle').click();
    await until(async () => page.getByTestId('log-scroller').evaluate((el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 30), 'back at the bottom');

    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).not.toThrow();
    await page.getByTestId('cancel-run').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel run' }).click();
    await until(async () => (await getRun(run.id)).status === 'cancelled', 'the run to be cancelled', 15_000);
    await page.locator('h1 [data-status="cancelled"]').waitFor();
    expect(await page.getByTestId('cancel-run').count()).toBe(0);
    await until(async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 'the process to be gone');

    // Resume: the next attempt runs live on the same page.
    const before = await count();
    await page.getByTestId('resume-run').click();
    await until(async () => {
      const r = await apiCall<{ status: string; attempt: number }>(server, 'GET', `/runs/${run.id}`);
      return r.status === 'running' && r.attempt === 2;
    }, 'attempt 2 to run');
    await page.getByTestId('run-meta').filter({ hasText: 'attempt 2' }).waitFor();
    await until(async () => (await count()) > before + 3, 'log lines of attempt 2');
    await page.getByTestId('cancel-run').waitFor();
    await apiCall(server, 'POST', `/runs/${run.id}/cancel`);
    await page.locator('h1 [data-status="cancelled"]').waitFor();
  });

  test('datasets: the list shows the fingerprint, the page previews rows and the runs that used it', async () => {
    await page.goto(`${server.url}/datasets`);
    const row = page.getByTestId('dataset-row');
    await row.waitFor();
    await until(async () => (await row.textContent())!.includes('exp'), 'the project name in the row');
    expect(await row.textContent()).toContain('points');
    await row.getByRole('link', { name: 'points' }).click();
    await page.getByTestId('preview-table').waitFor();
    const cells = await page.getByTestId('preview-table').locator('tbody tr').count();
    expect(cells).toBe(3);
    expect(await page.getByTestId('preview-table').locator('thead').textContent()).toContain('label');
    await page.getByRole('link', { name: 'ok-1' }).waitFor();

    // Import from the UI: a path on the server's machine.
    const more = path.join(scratch, 'more.jsonl');
    writeFileSync(more, '{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n');
    await page.goto(`${server.url}/datasets`);
    await page.getByTestId('import-dataset').click();
    await page.getByLabel('Absolute path').fill(more);
    await page.getByLabel('Name (optional)').fill('more');
    await page.getByRole('dialog').getByRole('button', { name: 'Import' }).click();
    await page.getByTestId('dataset-row').filter({ hasText: 'more' }).waitFor();
    // A relative path is refused with the server's explanation.
    await page.getByTestId('import-dataset').click();
    await page.getByLabel('Absolute path').fill('relative.csv');
    await page.getByRole('dialog').getByRole('button', { name: 'Import' }).click();
    expect(await page.getByRole('dialog').getByRole('alert').textContent()).toContain('absolute');
    await page.keyboard.press('Escape');
  });

  test('compare overlays metrics and highlights params that differ', async () => {
    const runs = (await apiCall<{ runs: Run[] }>(server, 'GET', '/runs?limit=50')).runs.filter((r) => r.name.startsWith('ok-'));
    await page.goto(`${server.url}/runs`);
    for (const r of runs) await page.getByLabel(`Select ${r.name}`).check();
    await page.getByTestId('compare-button').click();
    await page.waitForURL(/\/compare\?runs=/);
    await page.getByTestId('params-diff').waitFor();
    expect(await page.locator('[data-testid="params-diff"] tr[data-differs="true"]').first().textContent()).toContain('lr');
    await page.getByTestId('compare-chart').locator('canvas').first().waitFor();
  });

  test('compare follows a running run live; metrics are picked; parallel coordinates draw a line per run', async () => {
    const done = (await apiCall<{ runs: Run[] }>(server, 'GET', '/runs?limit=50')).runs.find((r) => r.name === 'ok-1')!;
    const live = await start('live-cmp', `for (let s = 1; s <= 2000; s++) { ev({type:'metric',key:'loss',value:1/s,step:s}); ev({type:'metric',key:'acc',value:s/2000,step:s}); await sleep(50); }`, { params: { lr: 0.3 } });
    await until(async () => (await getRun(live.id)).status === 'running', 'the live run to start');
    await page.goto(`${server.url}/compare?runs=${done.id},${live.id}`);
    const chart = page.locator('[data-testid="compare-chart"][data-key="loss"]');
    await chart.locator('canvas').first().waitFor();
    // The chart's x values (data-points) grow as the running run logs.
    const pointsNow = async () => Number((await chart.locator('[data-testid="chart"]').getAttribute('data-points')) ?? 0);
    const first = await until(async () => (await pointsNow()) > 0 && (await pointsNow()), 'points drawn');
    await until(async () => (await pointsNow()) > first + 5, 'more points arriving live', 15_000);
    // Pick metrics: acc off and on again.
    const picker = page.getByTestId('metric-picker');
    await picker.getByRole('button', { name: 'acc' }).click();
    await until(async () => (await page.locator('[data-testid="compare-chart"][data-key="acc"]').count()) === 0, 'the acc chart hidden');
    expect(page.url()).toContain('metrics=');
    await picker.getByRole('button', { name: 'acc' }).click();
    await page.locator('[data-testid="compare-chart"][data-key="acc"] canvas').first().waitFor();
    // Log scale and smoothing apply to every chart on the page.
    await page.getByTestId('chart-log').check();
    await until(async () => (await chart.locator('[data-testid="chart"]').getAttribute('data-log')) === 'y', 'a log axis');
    await page.getByTestId('chart-log').uncheck();
    await page.getByTestId('chart-x-time').click();
    await until(async () => (await chart.locator('[data-testid="chart"]').getAttribute('data-x')) === 'relative', 'x by relative time');
    await page.getByTestId('chart-x-step').click();
    expect(await page.getByTestId('pc-line').count()).toBe(2);
    await apiCall(server, 'POST', `/runs/${live.id}/cancel`);
  });

  test('the chosen runs-table columns are kept across visits', async () => {
    await page.goto(`${server.url}/runs`);
    await page.getByTestId('run-row').first().waitFor();
    await page.getByTestId('columns-button').click();
    await page.getByTestId('columns-picker').getByLabel('loss (max)').check();
    await page.keyboard.press('Escape');
    await page.getByRole('columnheader', { name: 'loss (max)' }).waitFor();
    await page.reload();
    await page.getByTestId('run-row').first().waitFor();
    await page.getByRole('columnheader', { name: 'loss (max)' }).waitFor();
  });

  test('start a run from the UI: command, dataset, params', async () => {
    await page.goto(`${server.url}/runs/new`);
    await page.getByLabel('Name (optional)', { exact: false }).first().waitFor();
    await page.locator('#run-name').fill('from-ui');
    await page.getByLabel('Command').fill(`${process.execPath} -e "console.log('hello from the form')"`);
    await page.locator('#run-dataset').selectOption({ label: 'points v1' });
    await page.getByLabel('param 1 name').fill('lr');
    await page.getByLabel('param 1 value').fill('0.5');
    await page.getByTestId('start-run').click();
    await page.waitForURL(/\/runs\/[0-9a-z]+$/);
    await page.getByTestId('log-line').filter({ hasText: /stdouthello from the form$/ }).waitFor();
    await page.locator('h1 [data-status="succeeded"]').waitFor({ timeout: 15_000 });
    const id = page.url().split('/').pop()!;
    const run = await apiCall<{ name: string; params: Record<string, unknown>; datasets: Array<{ name: string }> }>(server, 'GET', `/runs/${id}`);
    expect(run).toMatchObject({ name: 'from-ui', params: { lr: 0.5 }, datasets: [{ name: 'points' }] });
  });

  test('a long log loads its tail first, then earlier lines on demand; artifacts download', async () => {
    const run = await start(
      'long-log',
      `for (let i = 1; i <= 6000; i++) console.log('line ' + i); const p = require('path').join(process.env.WB_OUTPUT_DIR, 'model.txt'); fs.writeFileSync(p, 'weights 42'); ev({type:'artifact', kind:'model', path: p, name: 'model.txt'});`,
    );
    await until(async () => ended((await getRun(run.id)).status), 'the long-log run to end', 20_000);
    await page.goto(`${server.url}/runs/${run.id}`);
    await page.getByTestId('log-line').filter({ hasText: /stdoutline 6000$/ }).waitFor();
    const n0 = Number((await page.getByTestId('log-count').textContent())!.replace(/\D/g, ''));
    expect(n0).toBeLessThanOrEqual(5000);
    // Following: the newest line is in view. Scrolling up pauses, the toggle resumes.
    await page.getByTestId('log-scroller').hover();
    await page.mouse.wheel(0, -3000);
    await until(async () => (await page.getByTestId('follow-toggle').getAttribute('aria-pressed')) === 'false', 'follow to pause');
    await page.getByRole('button', { name: 'Load earlier lines' }).click();
    await until(async () => Number((await page.getByTestId('log-count').textContent())!.replace(/\D/g, '')) > n0, 'earlier lines');
    await page.getByTestId('follow-toggle').click();
    await page.getByTestId('log-line').filter({ hasText: /stdoutline 6000$/ }).waitFor();

    await page.getByLabel('New tag (key=value)').fill('stage=best');
    await page.getByRole('button', { name: 'Tag', exact: true }).click();
    await page.getByText('best', { exact: true }).waitFor();
    // Other tags (the git commit a run recorded) are kept beside it.
    expect((await apiCall<{ tags: Record<string, string> }>(server, 'GET', `/runs/${run.id}`)).tags).toMatchObject({ stage: 'best' });

    const download = page.waitForEvent('download');
    await page.getByTitle('Download model.txt').click();
    const d = await download;
    expect(d.suggestedFilename()).toBe('model.txt');
    const file = path.join(scratch, 'downloaded.txt');
    await d.saveAs(file);
    expect(readFileSync(file, 'utf8')).toBe('weights 42');

    // Delete (to the trash), with a confirmation.
    await page.getByTestId('trash-run').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete run' }).click();
    await page.waitForURL(/\/runs$/);
    await expect(apiCall(server, 'GET', `/runs/${run.id}`)).rejects.toThrow(/404/);
  });
});
