import { readFile } from 'node:fs/promises';
import { load } from '@workbench/sdk/llm';
import { analyze } from './analyze.js';
import { settings } from './config.js';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: npm start -- FILE.txt');
  const text = await readFile(file, 'utf8');
  const { endpoint, model: name } = await settings();
  const model = await load(name, { endpoint, contextGuard: 'error' });
  const a = await analyze(model, text);
  console.log(`${file}: ${a.chunks} part(s) for a ${model.contextLength ?? '?'}-token context\n\n${a.summary}\n`);
  const decode = a.results.map((r) => r.timings.decodeTokensPerSec).filter((f) => f !== null);
  if (decode.length) console.log(`decode: ${(decode.reduce((s, f) => s + f.value, 0) / decode.length).toFixed(1)} tok/s (${decode[0]!.source})`);
}

main().catch((e: Error & { hint?: string }) => {
  console.error(`error: ${e.message}${e.hint ? `\nhint: ${e.hint}` : ''}`);
  process.exitCode = 1;
});
