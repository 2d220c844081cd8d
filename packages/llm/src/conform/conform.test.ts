import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTinyServer, type TinyServer } from '../serve/testing.js';
import { runConformance } from './suite.js';

let srv: TinyServer;
beforeAll(async () => {
  srv = await startTinyServer();
}, 60_000);
afterAll(async () => srv?.close());

/**
 * A deliberately broken server: the real engine behind a proxy that reports durations in
 * milliseconds, forgets the closing `data: [DONE]`, cuts the last character off Ollama replies
 * (so JSON replies no longer parse) and sends tool-call arguments in the other API's form.
 */
async function brokenProxy(target: string): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const upstream = await fetch(target + req.url, { method: req.method, headers: { 'content-type': 'application/json' }, ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}) });
    let text = await upstream.text();
    if (req.url!.startsWith('/api/'))
      text = text
        .split('\n')
        .map((line) => {
          if (!line.trim()) return line;
          const o = JSON.parse(line);
          for (const k of Object.keys(o)) if (k.endsWith('_duration')) o[k] = Math.round(o[k] / 1e6);
          if (o.message?.content) o.message.content = o.message.content.slice(0, -1);
          if (typeof o.response === 'string') o.response = o.response.slice(0, -1);
          for (const c of o.message?.tool_calls ?? []) c.function.arguments = JSON.stringify(c.function.arguments);
          return JSON.stringify(o);
        })
        .join('\n');
    if (req.url === '/v1/chat/completions' && text.startsWith('{')) {
      const o = JSON.parse(text);
      for (const c of o.choices?.[0]?.message?.tool_calls ?? []) c.function.arguments = JSON.parse(c.function.arguments);
      text = JSON.stringify(o);
    }
    text = text.replace('data: [DONE]\n\n', '');
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(text);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

describe('wb llm conform', () => {
  test("Workbench's own server passes", async () => {
    const report = await runConformance(srv.url, { maxTokens: 4 });
    const failures = report.results.filter((r) => r.status === 'fail');
    expect(failures).toEqual([]);
    expect(report.apis).toEqual({ ollama: true, openai: true });
    expect(report.passed).toBeGreaterThanOrEqual(24);
    // Workbench claims tools and structured output: those checks run and pass, none is skipped.
    for (const id of ['format-schema', 'format-json', 'response-format', 'tools', 'tools-forced', 'tools-required', 'tools-stream', 'tool-result'])
      for (const r of report.results.filter((x) => x.id === id)) expect(`${r.api}:${id} ${r.status}`).toBe(`${r.api}:${id} pass`);
    // With a forced choice the tiny model's call is real, not "no call made".
    expect(report.results.find((r) => r.api === 'ollama' && r.id === 'tools-forced')?.detail).toBe('called set_lights');
  }, 120_000);

  test('a server with millisecond durations, no [DONE], broken JSON and wrong tool-call shapes is caught', async () => {
    const broken = await brokenProxy(srv.url);
    try {
      const report = await runConformance(broken.url, { maxTokens: 4, skipUnload: true });
      const failed = Object.fromEntries(report.results.filter((r) => r.status === 'fail').map((r) => [`${r.api}:${r.id}`, r.detail]));
      expect(failed['ollama:durations']).toMatch(/looks like milliseconds/);
      expect(failed['openai:chat-stream']).toMatch(/does not end with data: \[DONE\]/);
      expect(failed['ollama:format-schema']).toMatch(/the reply is not JSON/);
      expect(failed['ollama:format-json']).toMatch(/the reply is not JSON/);
      expect(failed['ollama:tools-forced']).toMatch(/Ollama tool call arguments must be an object/);
      expect(failed['openai:tools-required']).toMatch(/OpenAI tool call arguments must be a JSON string/);
      expect(failed['openai:tools-stream']).toMatch(/does not end with data: \[DONE\]/);
      expect(report.failed).toBeGreaterThanOrEqual(7);
    } finally {
      broken.server.close();
    }
  }, 120_000);

  test('nothing listening is a clear error', async () => {
    await expect(runConformance('http://127.0.0.1:9')).rejects.toThrow(/nothing answers at/);
  });
});
