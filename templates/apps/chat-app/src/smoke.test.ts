import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from '@workbench/sdk/llm';
import { settings } from './config.js';
import { describeTimings } from './main.js';

test('chats with the configured model and reports timings', async () => {
  const { endpoint, model: name } = await settings();
  const model = await load(name, { endpoint });
  const stream = model.chatStream([{ role: 'user', content: 'Say hello.' }], { maxTokens: 8, temperature: 0 });
  let streamed = '';
  for await (const piece of stream) streamed += piece;
  const r = await stream.result;
  assert.equal(streamed, r.text);
  assert.ok((r.completionTokens ?? 0) > 0, 'no tokens generated');
  assert.ok(r.timings.totalMs.value > 0);
  assert.match(describeTimings(r), /decode /);
});
