import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeTinyModel } from '../packages/gguf/src/index';
import { cleanup, expectAccessible, llmServe, launchBrowser, openApp, saveScreenshot, serve, tempHome, type Served } from './helpers';

// The Playground against a real built-in engine: pick the endpoint and model, chat with
// streaming, read the performance figures.
describe('Playground', () => {
  const home = tempHome();
  let server: Served;
  let llm: { url: string; proc: ChildProcess };
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const file = path.join(path.dirname(home), 'tiny.gguf');
    await writeTinyModel(file, { nLayer: 2, nEmbd: 64, nHead: 4, nFf: 128, nVocab: 300, contextLength: 512, weightType: 'f16', seed: 3, name: 'tiny' });
    [server, llm] = await Promise.all([serve(home), llmServe(file)]);
    browser = await launchBrowser();
    ({ page } = await openApp(browser, server, { path: '/playground' }));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    llm?.proc.kill('SIGTERM');
    cleanup(home);
  });

  test('connect, pick the model, chat with a streamed reply and a performance readout', async () => {
    await page.getByTestId('playground').waitFor();
    await page.getByLabel('Address').fill(llm.url);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.locator('[data-wb="model-picker"] select option[value="tiny"]').waitFor({ state: 'attached' });
    await page.getByTestId('pg-model-info').waitFor();
    expect(await page.getByTestId('pg-model-info').textContent()).toContain('wb llm serve · context 512');
    await page.getByLabel('Max tokens per reply').fill('40');
    await page.getByLabel('Temperature (0: always the likeliest token)').fill('0'); // greedy: the same reply every run
    await page.getByLabel('Prompt').fill('Tell me a story');
    await page.getByLabel('Prompt').press('Enter');
    await page.locator('[data-role="user"]').filter({ hasText: 'Tell me a story' }).waitFor();
    // The reply arrives through the stream, then settles into the conversation.
    await page.locator('[data-wb="performance"][data-state="done"]').waitFor({ timeout: 60_000 });
    const reply = page.locator('[data-role="assistant"]:not([data-streaming])');
    await reply.waitFor();
    expect((await reply.textContent())!.replace(/^Model/, '').length).toBeGreaterThan(0);
    const decode = await page.locator('[data-figure="decode"]').textContent();
    expect(decode).toMatch(/\d+(\.\d)? tok\/s/);
    expect(decode).toContain('engine counters (Ollama)');
    expect(await page.locator('[data-figure="ttft"]').textContent()).toMatch(/\d+ ms|\d\.\d\d s/);
    await expectAccessible(page, 'playground after a reply');
    await saveScreenshot(page, 'playground');
  });

  test('an endpoint with nothing behind it says so', async () => {
    await page.getByLabel('Address').fill('http://127.0.0.1:9');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.locator('[data-wb="model-picker"] [role="alert"]').filter({ hasText: 'no LLM server answers' }).waitFor();
    await expectAccessible(page, 'playground with an unreachable endpoint');
  });
});
