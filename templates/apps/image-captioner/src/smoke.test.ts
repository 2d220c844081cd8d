import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LlmServerError, load } from '@workbench/sdk/llm';
import { RED_PIXEL_PNG, caption } from './caption.js';
import { settings } from './config.js';

test('captions an image, or says clearly that the server cannot', async () => {
  const { endpoint, model: name } = await settings();
  const model = await load(name, { endpoint });
  if (model.kind === 'workbench') {
    // wb llm serve's built-in engine has no vision support: the request must fail plainly.
    await assert.rejects(caption(model, RED_PIXEL_PNG, { maxTokens: 8 }), (e: unknown) => e instanceof LlmServerError && /no vision support/.test(e.message));
    return;
  }
  const r = await caption(model, RED_PIXEL_PNG, { maxTokens: 16 });
  assert.ok(r.text.trim().length > 0, 'empty caption');
});
