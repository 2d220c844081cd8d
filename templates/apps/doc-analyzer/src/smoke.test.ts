import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from '@workbench/sdk/llm';
import { analyze, chunk } from './analyze.js';
import { settings } from './config.js';

const doc = Array.from({ length: 40 }, (_, i) => `Paragraph ${i + 1}. The harbour was quiet in the morning, and the boats came back before noon with the catch of the day.`).join('\n\n');

test('pieces fit the context with room for the answer', () => {
  const pieces = chunk(doc, 512, 128);
  assert.ok(pieces.length > 1);
  for (const p of pieces) assert.ok(Math.ceil(p.length / 3) <= 512 - 128, `a piece of about ${Math.ceil(p.length / 3)} tokens`);
  assert.equal(pieces.join('\n\n').replace(/\s+/g, ' '), doc.replace(/\s+/g, ' '));
});

test('summarises a document longer than the context, part by part', async () => {
  const { endpoint, model: name } = await settings();
  const model = await load(name, { endpoint, contextGuard: 'error' });
  const a = await analyze(model, doc.repeat(Math.ceil(((model.contextLength ?? 4096) * 4) / doc.length)), { maxTokens: 8, maxChunks: 2 });
  assert.ok(a.chunks >= 2, 'the document should need more than one part');
  assert.equal(a.notes.length, 2);
  assert.equal(typeof a.summary, 'string');
  assert.ok(a.results.every((r) => r.timings.totalMs.value > 0));
});
