import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiCall, cleanup, expectAccessible, launchBrowser, nodeScript, openApp, serve, tempHome, until, wb, type Served } from './helpers';

// The model registry in the browser: register a run's model from the UI, promote with a
// confirmation and a reason, set an alias, edit the card, compare versions, export a ZIP, and
// approve someone else's request for production.
describe('models in the browser', () => {
  const home = tempHome();
  let server: Served;
  let browser: Browser;
  let page: Page;
  const runIds: string[] = [];

  beforeAll(async () => {
    server = await serve(home);
    wb(home, ['project', 'create', 'fraud']);
    // Two runs that each log a metric, a model file and its input signature.
    for (const acc of [0.81, 0.88]) {
      const out = JSON.stringify(path.join(path.dirname(home), `out-${acc}`));
      const body = `
        const out = ${out}; fs.mkdirSync(out, { recursive: true });
        fs.writeFileSync(out + '/model.onnx', 'weights-' + ${acc});
        fs.writeFileSync(out + '/model.schema.json', JSON.stringify({ inputs: [{ name: 'features', dtype: 'float32', shape: [null, 2], columns: ['amount', 'hour'] }], outputs: [] }));
        ev({ type: 'metric', key: 'val_accuracy', value: ${acc}, step: 1 });
        ev({ type: 'artifact', kind: 'model', path: out + '/model.onnx' });
        ev({ type: 'artifact', kind: 'file', path: out + '/model.schema.json' });`;
      const run = await apiCall<{ id: string }>(server, 'POST', '/runs', { project: 'fraud', command: nodeScript(body) });
      runIds.push(run.id);
    }
    await until(async () => {
      const runs = await Promise.all(runIds.map((id) => apiCall<{ status: string; artifacts: unknown[] }>(server, 'GET', `/runs/${id}`)));
      return runs.every((r) => r.status === 'succeeded' && r.artifacts.length === 2);
    }, 'both runs to finish with their artifacts', 30_000);
    // Version 1 through the API, version 2 through the UI below.
    await apiCall(server, 'POST', '/models', { runId: runIds[0], artifact: 'model.onnx', name: 'fraud-classifier' });
    browser = await launchBrowser();
    ({ page } = await openApp(browser, server, { path: '/models' }));
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    cleanup(home);
  });

  test('the list shows the model; registering from the UI adds version 2', async () => {
    await page.getByTestId('model-row').first().waitFor();
    expect(await page.getByTestId('models-table').textContent()).toContain('fraud-classifier');
    await expectAccessible(page, 'models list');
    await page.getByTestId('register-model').click();
    await page.getByLabel('Run id').fill(runIds[1]!);
    await page.getByLabel('Model name').fill('fraud-classifier');
    await page.getByTestId('register-submit').click();
    await page.getByTestId('versions-table').waitFor();
    await until(async () => (await page.getByTestId('version-row').count()) === 2, 'two versions');
    expect(await page.locator('[data-testid="version-row"][data-version="2"] [data-stage]').textContent()).toBe('draft');
  });

  test('promotion asks for confirmation, records the reason, and moves the badge', async () => {
    await page.locator('[data-testid="version-row"][data-version="1"] [data-testid="stage-select"]').selectOption('production');
    await page.getByLabel(/^Reason/).fill('baseline');
    await page.getByTestId('confirm-stage').click();
    await until(async () => (await page.locator('[data-testid="version-row"][data-version="1"] [data-stage]').textContent()) === 'production', 'v1 in production');
    // Promoting v2 archives v1 in the same step.
    await page.locator('[data-testid="version-row"][data-version="2"] [data-testid="stage-select"]').selectOption('production');
    await page.getByLabel(/^Reason/).fill('better accuracy');
    await page.getByTestId('confirm-stage').click();
    await until(async () => (await page.locator('[data-testid="version-row"][data-version="1"] [data-stage]').textContent()) === 'archived', 'v1 archived');
    expect(await page.locator('[data-testid="version-row"][data-version="2"] [data-stage]').textContent()).toBe('production');
    await until(async () => ((await page.getByTestId('audit-trail').textContent()) ?? '').includes('better accuracy'), 'the reason in the audit trail');
    // The archived version cannot jump straight back to production: the menu does not offer it.
    const options = await page.locator('[data-testid="version-row"][data-version="1"] [data-testid="stage-select"] option').allTextContents();
    expect(options.some((o) => o.includes('production'))).toBe(false);
    await expectAccessible(page, 'model page');
  });

  test('alias, card, lineage links, comparison and the ZIP export', async () => {
    await page.getByRole('button', { name: 'set an alias on version 2' }).click();
    await page.getByTestId('confirm-alias').click();
    await until(async () => ((await page.locator('[data-testid="version-row"][data-version="2"]').textContent()) ?? '').includes('champion'), 'the alias');

    await page.getByTestId('edit-card').click();
    await page.getByLabel('model card (markdown)').fill('# Fraud classifier\nScores card transactions.');
    await page.getByTestId('save-card').click();
    await until(async () => ((await page.getByTestId('model-card').textContent().catch(() => '')) ?? '').includes('Scores card transactions'), 'the card');

    await page.getByTestId('edit-version-card').click();
    await page.getByLabel('card of version 2 (markdown)').fill('Trained on October data.');
    await page.getByTestId('save-version-card').click();
    await until(async () => ((await page.getByTestId('version-card').textContent().catch(() => '')) ?? '').includes('October'), 'the version card');
    expect((await apiCall<{ card: string }>(server, 'GET', '/models/fraud-classifier/versions/2')).card).toBe('Trained on October data.');

    const lineage = await page.getByTestId('lineage').textContent();
    expect(lineage).toContain('fraud/run-2');
    expect(await page.getByTestId('lineage').getByRole('link').first().getAttribute('href')).toBe(`/runs/${runIds[1]}`);

    await page.getByTestId('compare-table').waitFor();
    const cmp = await page.getByTestId('compare-table').textContent();
    expect(cmp).toContain('val_accuracy');
    expect(cmp).toContain('0.81');
    expect(cmp).toContain('0.88');

    const download = page.waitForEvent('download');
    await page.locator('[data-testid="version-row"][data-version="2"] [data-testid="export-zip"]').click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('fraud-classifier-v2.zip');
  });

  test('second-person approval: the policy toggle, a request asked in the CLI, approved on the page by someone else', async () => {
    await apiCall(server, 'POST', '/models', { runId: runIds[1], artifact: 'model.onnx', name: 'fraud-classifier' });
    await page.reload();
    await until(async () => (await page.getByTestId('version-row').count()) === 3, 'version 3');
    // The project's rule, switched on from the page.
    await page.getByTestId('require-approval').click();
    await until(async () => page.getByTestId('require-approval').isChecked(), 'the box checked once saved');
    await until(async () => (await apiCall<{ requireApprovalForProduction: boolean }>(server, 'GET', '/projects/fraud/model-policy')).requireApprovalForProduction, 'the policy on');

    // Alice asks in the terminal; the version stays a draft.
    const asked = wb(home, ['--as', 'alice', 'model', 'promote', 'fraud-classifier', '3', '--to', 'production', '--reason', 'recall up on fresh data']);
    expect(asked).toContain('approval requested');
    const row3 = page.locator('[data-testid="version-row"][data-version="3"]');
    await until(async () => (await row3.getByTestId('pending-approval').count()) === 1, 'the pending request on version 3', 20_000);
    expect(await row3.getByTestId('pending-approval').textContent()).toContain('by alice');
    expect(await row3.locator('[data-stage]').textContent()).toBe('draft');
    await expectAccessible(page, 'model page with a pending approval');

    // Acting as alice, the page refuses her own approval with the reason.
    await row3.getByTestId('approve-request').click();
    await page.locator('#decision-actor').fill('alice');
    await page.getByTestId('confirm-approve').click();
    await until(async () => ((await page.getByRole('alert').first().textContent().catch(() => '')) ?? '').includes('cannot also approve'), 'the self-approval refusal');
    expect(await row3.locator('[data-stage]').textContent()).toBe('draft');

    // Acting as bob, the approval promotes it and archives the previous production version.
    await page.locator('#decision-actor').fill('bob');
    await page.getByTestId('confirm-approve').click();
    await until(async () => (await row3.locator('[data-stage]').textContent()) === 'production', 'v3 in production');
    expect(await page.locator('[data-testid="version-row"][data-version="2"] [data-stage]').textContent()).toBe('archived');
    expect(await row3.getByTestId('pending-approval').count()).toBe(0);
    await until(async () => ((await page.getByTestId('approval-requests').textContent()) ?? '').includes('approved by bob'), 'the decided request listed');
    const history = await apiCall<{ events: Array<{ type: string; actor: string; payload: { approval?: { requestedBy: string } } }> }>(server, 'GET', '/models/fraud-classifier/history');
    const promoted = history.events.filter((e) => e.type === 'model.stage_changed').at(-1)!;
    expect(promoted).toMatchObject({ actor: 'api:bob', payload: { approval: { requestedBy: 'alice' } } });
    // The name is kept for the next visit, and the CLI sees the same decision.
    expect(await page.evaluate(() => localStorage.getItem('wb-acting-as'))).toBe('bob');
    expect(wb(home, ['model', 'approvals', 'fraud-classifier'])).toMatch(/fraud-classifier@3.*alice.*approved.*bob/);

    // Rejecting asks for a confirmation with a reason; the version stays where it was.
    wb(home, ['--as', 'alice', 'model', 'promote', 'fraud-classifier', '1', '--to', 'staging']);
    wb(home, ['--as', 'alice', 'model', 'promote', 'fraud-classifier', '1', '--to', 'production', '--reason', 'back to the baseline']);
    const row1 = page.locator('[data-testid="version-row"][data-version="1"]');
    await until(async () => (await row1.getByTestId('pending-approval').count()) === 1, 'the pending request on version 1', 20_000);
    await row1.getByTestId('reject-request').click();
    expect(await page.getByTestId('confirm-reject').isDisabled()).toBe(true);
    await page.getByLabel('Reason (required)').fill('v3 is better');
    await page.getByTestId('confirm-reject').click();
    await until(async () => (await row1.getByTestId('pending-approval').count()) === 0, 'the request rejected');
    expect(await row1.locator('[data-stage]').textContent()).toBe('staging');

    // Switched off again: the stage menu promotes directly.
    await page.getByTestId('require-approval').click();
    await until(async () => !(await page.getByTestId('require-approval').isChecked()), 'the box cleared once saved');
    await until(async () => !(await apiCall<{ requireApprovalForProduction: boolean }>(server, 'GET', '/projects/fraud/model-policy')).requireApprovalForProduction, 'the policy off');
  });
});
