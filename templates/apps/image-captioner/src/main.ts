import { readFile } from 'node:fs/promises';
import { load } from '@workbench/sdk/llm';
import { caption } from './caption.js';
import { settings } from './config.js';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: npm start -- IMAGE.png');
  const { endpoint, model: name } = await settings();
  const model = await load(name, { endpoint });
  const r = await caption(model, await readFile(file));
  console.log(r.text.trim());
}

main().catch((e: Error & { hint?: string }) => {
  console.error(`error: ${e.message}${e.hint ? `\nhint: ${e.hint}` : ''}`);
  process.exitCode = 1;
});
