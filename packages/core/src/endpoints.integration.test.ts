import { afterEach, expect, test } from 'vitest';
import { LlmEndpoints } from './endpoints.js';
import { listEvents } from './events.js';
import { tempWorkspace } from './testing/temp-workspace.js';

const disposers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (disposers.length) await disposers.pop()!();
});

test('add, list and remove endpoints; each change is an event', async () => {
  const { ws, dispose } = await tempWorkspace();
  disposers.push(dispose);
  const eps = new LlmEndpoints(ws);
  await eps.add({ name: 'studio', kind: 'openai', url: 'http://127.0.0.1:1234' });
  await eps.add({ name: 'box', kind: 'ollama', url: 'http://127.0.0.1:11500' });
  expect((await eps.list()).map((e) => `${e.name} ${e.kind} ${e.url}`)).toEqual(['box ollama http://127.0.0.1:11500', 'studio openai http://127.0.0.1:1234']);
  await expect(eps.add({ name: 'box', kind: 'ollama', url: 'http://127.0.0.1:1' })).rejects.toMatchObject({ code: 'NAME_TAKEN' });
  await eps.remove('box');
  expect((await eps.list()).map((e) => e.name)).toEqual(['studio']);
  await expect(eps.remove('box')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  const types = (await listEvents(ws.db, {})).map((e) => e.type).filter((t) => t.startsWith('llm_endpoint'));
  expect(types).toEqual(['llm_endpoint.added', 'llm_endpoint.added', 'llm_endpoint.removed']);
});

test('bad names, kinds and URLs are refused and nothing is stored', async () => {
  const { ws, dispose } = await tempWorkspace();
  disposers.push(dispose);
  const eps = new LlmEndpoints(ws);
  for (const bad of [
    { name: '../x', kind: 'ollama', url: 'http://127.0.0.1:1' },
    { name: 'a'.repeat(64), kind: 'ollama', url: 'http://127.0.0.1:1' },
    { name: 'ok', kind: 'tgi', url: 'http://127.0.0.1:1' },
    { name: 'ok', kind: 'ollama', url: 'not a url' },
    { name: 'ok', kind: 'ollama', url: 'file:///etc/passwd' },
  ]) {
    await expect(eps.add(bad)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  }
  expect(await eps.list()).toEqual([]);
});
