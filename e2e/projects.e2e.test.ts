import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiCall, cleanup, expectAccessible, launchBrowser, nodeScript, openApp, serve, tempHome, until, type Served } from './helpers';

// A new user's first minutes: the empty dashboard says what to type, then a project is
// created, renamed and deleted through the UI.
describe('a fresh workspace in the browser', () => {
  const home = tempHome();
  let server: Served;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = await serve(home);
    browser = await launchBrowser();
    ({ page } = await openApp(browser, server));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    cleanup(home);
  });

  test('the token leaves the address bar and the empty dashboard names the next command', async () => {
    await page.getByText('Welcome to Workbench').waitFor();
    expect(page.url()).not.toContain('token');
    expect(new URL(page.url()).search).toBe('');
    const commands = await page.getByTestId('command').allTextContents();
    expect(commands).toContain('wb project create demo');
    // A reload keeps the session (the token is in sessionStorage, not in the URL).
    await page.reload();
    await page.getByText('Welcome to Workbench').waitFor();
    await page.locator('[data-testid="connection"][data-state="online"]').waitFor();
  });

  test('a page opened without a token says how to get one', async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.goto(`${server.url}/runs`);
    await p.getByTestId('token-gate').waitFor();
    expect(await p.getByTestId('token-gate').textContent()).toContain('wb serve');
    await ctx.close();
  });

  test('a wrong token gets the token page with what to do, not a broken app', async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.goto(`${server.url}/?token=not-the-token`);
    await p.getByTestId('token-refused').waitFor();
    expect(p.url()).not.toContain('not-the-token');
    // Pasting the right one opens the app.
    await p.getByLabel('workspace token').fill(server.token);
    await p.getByRole('button', { name: 'Open' }).click();
    await p.getByText('Welcome to Workbench').waitFor();
    await ctx.close();
  });

  test('the theme follows the system, and Settings switches it (kept across reloads)', async () => {
    const ctx = await browser.newContext({ colorScheme: 'dark' });
    const p = await ctx.newPage();
    await p.goto(server.tokenUrl.replace('/?', '/settings?'));
    await p.getByRole('radio', { name: 'System' }).waitFor();
    const isDark = () => p.evaluate(() => document.documentElement.classList.contains('dark'));
    expect(await isDark()).toBe(true);
    await p.getByRole('radio', { name: 'Light' }).click();
    expect(await isDark()).toBe(false);
    await p.reload();
    await p.getByRole('radio', { name: 'Light' }).waitFor();
    expect(await isDark()).toBe(false);
    expect(await p.getByRole('radio', { name: 'Light' }).getAttribute('aria-checked')).toBe('true');
    expect(await p.getByTestId('workspace-size').textContent()).toMatch(/\d/);
    await p.getByRole('radio', { name: 'Dark' }).click();
    expect(await isDark()).toBe(true);
    await ctx.close();
  });

  test('create, rename and delete a project through the UI', async () => {
    await page.keyboard.press('g');
    await page.keyboard.press('p');
    await page.waitForURL(/\/projects$/);
    await page.getByText('No projects yet').waitFor();

    await page.getByTestId('new-project').click();
    await page.getByLabel('Name', { exact: true }).fill('alpha');
    await page.getByLabel('Description').fill('first project');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.locator('[data-testid="project-row"][data-name="alpha"]').waitFor();
    expect((await apiCall<{ projects: Array<{ name: string; description: string }> }>(server, 'GET', '/projects')).projects).toMatchObject([{ name: 'alpha', description: 'first project' }]);

    // A taken name is refused with the server's message, in the dialog.
    await page.getByTestId('new-project').click();
    await page.getByLabel('Name', { exact: true }).fill('alpha');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/alpha/);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Actions for alpha' }).click();
    await page.getByRole('menuitem', { name: /Rename/ }).click();
    await page.getByLabel('Name', { exact: true }).fill('beta');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('[data-testid="project-row"][data-name="beta"]').waitFor();
    await until(async () => (await apiCall<{ projects: Array<{ name: string }> }>(server, 'GET', '/projects')).projects.some((p) => p.name === 'beta'), 'the rename');

    await page.getByRole('button', { name: 'Actions for beta' }).click();
    await page.getByRole('menuitem', { name: /Delete/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('Delete project beta?');
    // Keeping it changes nothing.
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await apiCall<{ projects: unknown[] }>(server, 'GET', '/projects')).projects).toHaveLength(1);

    await page.getByRole('button', { name: 'Actions for beta' }).click();
    await page.getByRole('menuitem', { name: /Delete/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete project' }).click();
    await page.getByText('No projects yet').waitFor();
    expect((await apiCall<{ projects: unknown[] }>(server, 'GET', '/projects')).projects).toHaveLength(0);
    expect((await apiCall<{ projects: Array<{ name: string }> }>(server, 'GET', '/projects?deleted=1')).projects.map((p) => p.name)).toContain('beta');

    // From the trash, back again.
    await page.getByRole('button', { name: 'Restore beta' }).click();
    await page.locator('[data-testid="project-row"][data-name="beta"]').waitFor();
    expect((await apiCall<{ projects: Array<{ name: string }> }>(server, 'GET', '/projects')).projects.map((p) => p.name)).toEqual(['beta']);
    await page.getByTestId('projects-trash').waitFor({ state: 'detached' });
    // Leave the workspace empty for the next test.
    await apiCall(server, 'DELETE', '/projects/beta');
  });

  test('a project created elsewhere appears live, and / focuses the search box', async () => {
    await page.goto(`${server.url}/projects`);
    await page.getByText('No projects yet').waitFor();
    await page.locator('[data-testid="connection"][data-state="online"]').waitFor();
    await apiCall(server, 'POST', '/projects', { name: 'from-the-cli' });
    await page.locator('[data-testid="project-row"][data-name="from-the-cli"]').waitFor({ timeout: 5000 });

    await page.goto(`${server.url}/runs`);
    await page.getByTestId('runs-table').waitFor();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Filter runs by name');
  });

  test('Ctrl-K goes to any page, project or run by typing part of its name', async () => {
    await apiCall(server, 'POST', '/projects', { name: 'palette-proj' });
    const run = await apiCall<{ id: string }>(server, 'POST', '/runs', { project: 'palette-proj', name: 'needle-run', command: nodeScript('') });
    await page.goto(`${server.url}/`);
    await page.locator('[data-testid="connection"][data-state="online"]').waitFor();

    await page.keyboard.press('Control+k');
    await page.getByTestId('palette-input').waitFor();
    await page.waitForTimeout(300);
    await expectAccessible(page, 'command palette');
    await page.getByTestId('palette-input').fill('settings');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/settings$/);
    await page.getByTestId('command-palette').waitFor({ state: 'detached' });

    await page.keyboard.press('Control+k');
    await page.getByTestId('palette-input').fill('palette-pr');
    await page.getByRole('option', { name: /palette-proj/ }).waitFor();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/projects\/palette-proj$/);

    // Runs are looked up on the server by name, not from a list loaded in the page.
    await page.getByTestId('open-palette').click();
    await page.getByTestId('palette-input').fill('needle');
    await page.getByRole('option', { name: /needle-run/ }).waitFor();
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/runs/${run.id}$`));

    // Something that matches nothing says so; Esc closes.
    await page.keyboard.press('Control+k');
    await page.getByTestId('palette-input').fill('zzqx-nothing');
    await page.getByText('Nothing named “zzqx-nothing”.').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('command-palette').waitFor({ state: 'detached' });
  });
});
