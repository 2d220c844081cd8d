import { createInterface } from 'node:readline/promises';
import { load, type ChatMessage, type LlmResult } from '@workbench/sdk/llm';
import { settings } from './config.js';

/** One line with the figures and where each comes from. */
export function describeTimings(r: LlmResult): string {
  const t = r.timings;
  const fig = (f: { value: number; source: string } | null, unit: string) => (f ? `${f.value.toFixed(1)} ${unit} (${f.source})` : 'n/a');
  return `decode ${fig(t.decodeTokensPerSec, 'tok/s')}, prefill ${fig(t.prefillTokensPerSec, 'tok/s')}, first token ${fig(t.timeToFirstTokenMs, 'ms')}`;
}

async function main(): Promise<void> {
  const { endpoint, model: name } = await settings();
  const model = await load(name, { endpoint });
  console.log(`chatting with ${model.name} at ${model.endpoint} (context ${model.contextLength ?? 'unknown'}); an empty line quits`);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const history: ChatMessage[] = [];
  for (;;) {
    const line = (await rl.question('> ')).trim();
    if (!line) break;
    history.push({ role: 'user', content: line });
    const stream = model.chatStream(history, { maxTokens: 512 });
    for await (const piece of stream) process.stdout.write(piece);
    const result = await stream.result;
    history.push({ role: 'assistant', content: result.text });
    console.log(`\n  [${describeTimings(result)}]`);
  }
  rl.close();
}

if (import.meta.url === `file://${process.argv[1]}`) main().catch((e: Error & { hint?: string }) => {
  console.error(`error: ${e.message}${e.hint ? `\nhint: ${e.hint}` : ''}`);
  process.exitCode = 1;
});
