import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiCall, cleanup, expectAccessible, launchBrowser, nodeScript, openApp, saveScreenshot, serve, tempHome, until, type Served } from './helpers';

// Every page of the app, light and dark: no serious or critical axe-core violation, and a
// screenshot of each saved as a test artifact (test-results/e2e, or $WB_E2E_ARTIFACTS).
describe('every page: accessible, and a screenshot of each', () => {
  const home = tempHome();
  let server: Served;
  let browser: Browser;
  const ids: string[] = [];

  beforeAll(async () => {
    server = await serve(home);
    browser = await launchBrowser();
    const csv = path.join(path.dirname(home), 'iris.csv');
    writeFileSync(csv, 'sepal_length,species\n' + Array.from({ length: 30 }, (_, i) => `${(4 + i / 10).toFixed(1)},${['setosa', 'versicolor'][i % 2]}`).join('\n') + '\n');
    await apiCall(server, 'POST', '/projects', { name: 'fraud', description: 'Card fraud classifier' });
    await apiCall(server, 'POST', '/projects', { name: 'other' });
    await apiCall(server, 'POST', '/datasets/import', { path: csv, project: 'fraud', name: 'iris' });
    for (let i = 0; i < 3; i++) {
      const r = await apiCall<{ id: string }>(server, 'POST', '/runs', {
        project: 'fraud',
        name: `sweep-${i}`,
        datasets: ['iris'],
        params: { lr: [0.1, 0.01, 0.001][i], optimizer: i % 2 ? 'adam' : 'sgd' },
        command: nodeScript(`for(let s=0;s<50;s++){ev({type:'metric',key:'loss',value:Math.exp(-s/${10 + i * 5}),step:s});} console.log('done'); console.error('a warning');`),
      });
      ids.push(r.id);
    }
    await until(async () => (await apiCall<{ runs: Array<{ status: string }> }>(server, 'GET', '/runs?status=succeeded')).runs.length === 3, 'three finished runs', 30_000);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    cleanup(home);
  });

  const pages: Array<[string, () => string, string]> = [
    ['dashboard', () => '/', 'recent-runs'],
    ['projects', () => '/projects', 'projects-table'],
    ['project', () => '/projects/fraud', 'runs-table'],
    ['datasets', () => '/datasets', 'datasets-table'],
    ['dataset', () => '/datasets/iris', 'preview-table'],
    ['runs', () => '/runs', 'run-row'],
    ['run', () => `/runs/${ids[0]}`, 'metric-card'],
    ['compare', () => `/compare?runs=${ids.join(',')}`, 'compare-chart'],
    ['new-run', () => '/runs/new', 'start-run'],
    // The capability pages as a new user first meets them (their own tests cover them full).
    ['models-empty', () => '/models', 'empty-state'],
    ['plan', () => '/plan', 'plan-total'],
    ['llm-none-running', () => '/llm', 'llm-endpoints'],
    ['playground', () => '/playground', 'playground'],
    ['settings', () => '/settings', 'workspace-size'],
    ['not-found', () => '/no/such/page', 'empty-state'],
  ];

  for (const scheme of ['light', 'dark'] as const)
    test(`${scheme}: every page passes axe-core`, async () => {
      const { context, page } = await openApp(browser, server, { colorScheme: scheme });
      const checked: string[] = [];
      try {
        for (const [name, p, ready] of pages) {
          await page.goto(server.url + p());
          await page.getByTestId(ready).first().waitFor({ timeout: 15_000 });
          await page.waitForTimeout(300); // animations settle (axe reads the colours drawn)
          await expectAccessible(page, `${name} (${scheme})`);
          await saveScreenshot(page, `${name}-${scheme}`);
          checked.push(name);
        }
        // Dialogs too: the keyboard help, the command palette and the move-run dialog.
        await page.goto(`${server.url}/runs/${ids[0]}`);
        await page.getByTestId('metric-card').first().waitFor();
        await page.keyboard.press('?');
        await page.getByTestId('keyboard-help').waitFor();
        await page.waitForTimeout(400); // the dialog's opening animation (axe reads the colours drawn)
        await expectAccessible(page, `keyboard help (${scheme})`);
        await page.keyboard.press('Escape');
        await page.keyboard.press('Control+k');
        await page.getByTestId('palette-input').waitFor();
        await page.waitForTimeout(400);
        await expectAccessible(page, `command palette (${scheme})`);
        await saveScreenshot(page, `command-palette-${scheme}`);
        await page.keyboard.press('Escape');
        await page.getByTestId('command-palette').waitFor({ state: 'detached' });
        await page.getByTestId('move-run').click();
        await page.getByTestId('move-confirm').waitFor();
        await page.waitForTimeout(400);
        await expectAccessible(page, `move dialog (${scheme})`);
        await saveScreenshot(page, `move-dialog-${scheme}`);
      } finally {
        await context.close();
      }
      expect(checked).toEqual(pages.map(([n]) => n));
    });

  test('move a run to another project from its page; verify a dataset', async () => {
    const { context, page } = await openApp(browser, server, { path: `/runs/${ids[2]}` });
    try {
      await page.getByTestId('move-run').click();
      await page.locator('#move-to').selectOption('other');
      await page.getByTestId('move-confirm').click();
      await until(async () => (await apiCall<{ projectName: string }>(server, 'GET', `/runs/${ids[2]}`)).projectName === 'other', 'the run moved');
      await page.getByRole('link', { name: 'other' }).first().waitFor();
      await page.goto(`${server.url}/datasets/iris`);
      await page.getByTestId('verify-dataset').click();
      await page.getByText('is intact').waitFor();
    } finally {
      await context.close();
    }
  });
});
