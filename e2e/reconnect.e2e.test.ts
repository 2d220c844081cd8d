import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiCall, cleanup, launchBrowser, openApp, serve, tempHome, wb, type Served } from './helpers';

describe('the live connection', () => {
  const home = tempHome();
  let server: Served;
  let browser: Browser;

  beforeAll(async () => {
    wb(home, ['project', 'create', 'first']);
    server = await serve(home);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    cleanup(home);
  });

  test('a server restart shows the offline banner, then reconnects by itself and refreshes', async () => {
    const { page } = await openApp(browser, server, { path: '/projects' });
    await page.locator('[data-testid="connection"][data-state="online"]').waitFor();
    await page.locator('[data-testid="project-row"][data-name="first"]').waitFor();

    const port = server.port;
    await server.stop();
    await page.getByTestId('offline-banner').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('offline-banner').textContent()).toContain('wb serve');
    await page.locator('[data-testid="connection"][data-state="offline"]').waitFor();

    // While it is down, a change is made from the command line.
    wb(home, ['project', 'create', 'second']);
    server = await serve(home, port);
    await page.locator('[data-testid="connection"][data-state="online"]').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('offline-banner').count()).toBe(0);
    // What changed while offline is refetched after the reconnect.
    await page.locator('[data-testid="project-row"][data-name="second"]').waitFor({ timeout: 10_000 });
    // And live updates flow again.
    await apiCall(server, 'POST', '/projects', { name: 'third' });
    await page.locator('[data-testid="project-row"][data-name="third"]').waitFor({ timeout: 10_000 });
  });
});
