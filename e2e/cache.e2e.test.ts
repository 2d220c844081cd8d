import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeStandardFixture } from '../packages/modelcache/src/testing/fixtures';
import { apiCall, cleanup, expectAccessible, launchBrowser, openApp, saveScreenshot, serve, tempHome, until, type Served } from './helpers';

// The Cache page over fixture stores (Hugging Face cache, Ollama, LM Studio in a temporary
// home, one GGUF in four places): usage, duplicates, the dry-run preview before dedup, link
// and unlink, undo.
describe('the model cache page', () => {
  const home = tempHome();
  let fx: Awaited<ReturnType<typeof writeStandardFixture>>;
  let server: Served;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    fx = await writeStandardFixture(path.join(path.dirname(home), 'machine'));
    server = await serve(home, 0, fx.env);
    browser = await launchBrowser();
    ({ page } = await openApp(browser, server, { path: '/cache' }));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    cleanup(home);
  });

  const lmFile = () => path.join(fx.lmstudio, 'acme', 'tiny-llama-GGUF', 'tiny-llama.Q4_K_M.gguf');

  test('shows per-store usage and the identical files with what they would reclaim (accessible)', async () => {
    await page.getByTestId('cache-models').waitFor();
    expect(await page.getByTestId('cache-reclaimable').textContent()).toBe('768 KB');
    const stores = await page.getByTestId('cache-stores').textContent();
    expect(stores).toContain('Hugging Face');
    expect(stores).toContain('Ollama');
    expect(stores).toContain('LM Studio');
    expect(await page.getByTestId('cache-duplicates').textContent()).toContain('ollama:tinyllama:1b');
    await expectAccessible(page, 'cache page');
    await saveScreenshot(page, 'cache-page');
  });

  test('dedup shows the dry run first, links after confirmation, and undo restores separate copies', async () => {
    await page.getByRole('button', { name: 'Deduplicate…' }).click();
    await page.getByTestId('dedup-preview').waitFor();
    expect(await page.getByTestId('dedup-reclaim').textContent()).toBe('768 KB');
    // Nothing changed yet: the preview is a dry run.
    expect(statSync(lmFile()).nlink).toBe(1);
    await expectAccessible(page, 'dedup preview dialog');
    await saveScreenshot(page, 'cache-dedup-preview');
    await page.getByRole('button', { name: 'Link 3 file(s)' }).click();
    await until(async () => (await page.getByTestId('cache-saved').textContent()) === '768 KB', 'saved bytes to show');
    expect(await page.getByTestId('cache-reclaimable').textContent()).toBe('0 B');
    expect(statSync(lmFile()).nlink).toBe(4);
    expect(readFileSync(lmFile()).equals(fx.gguf)).toBe(true);

    await page.getByRole('button', { name: 'Undo last dedup' }).click();
    await until(async () => (await page.getByTestId('cache-reclaimable').textContent()) === '768 KB', 'reclaimable bytes to come back');
    expect(statSync(lmFile()).nlink).toBe(1);
    expect(readFileSync(lmFile()).equals(fx.gguf)).toBe(true);
  });

  test('a dedup confirmed against a stale preview is refused', async () => {
    await expect(apiCall(server, 'POST', '/cache/dedup', { confirmReclaimBytes: 1 })).rejects.toThrow(/409.*stores changed since the preview/);
    expect(statSync(lmFile()).nlink).toBe(1);
  });

  test('link an Ollama model into LM Studio and unlink it', async () => {
    await page.getByRole('button', { name: 'Link tinyllama:1b into LM Studio' }).click();
    await page.locator('[data-model="lmstudio:ollama/tinyllama-1b"]').waitFor();
    const linked = path.join(fx.lmstudio, 'ollama', 'tinyllama-1b', 'tinyllama-1b.gguf');
    expect(readFileSync(linked).equals(fx.gguf)).toBe(true);
    await page.getByRole('button', { name: /Remove the LM Studio link of tinyllama:1b/ }).click();
    await page.locator('[data-model="lmstudio:ollama/tinyllama-1b"]').waitFor({ state: 'detached' });
    expect(existsSync(linked)).toBe(false);
  });
});
