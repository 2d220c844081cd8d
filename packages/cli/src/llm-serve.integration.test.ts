import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@workbench/core';
import { writeTestModel } from '@workbench/llm/testing';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawnWb, wb } from './testing/wb.js';

// `wb llm serve` as users run it: the bundled CLI in a child process, driven by the official
// ollama and openai clients.
describe('wb llm serve', () => {
  let home: { dir: string; dispose: () => Promise<void> };
  let child: ReturnType<typeof spawnWb>;
  let url: string;

  beforeAll(async () => {
    home = await tempDir('wb-llm-serve-');
    const file = await writeTestModel(home.dir, 'tiny');
    child = spawnWb(home.dir, ['llm', 'serve', file, '--port', '0', '--threads', '1', '--json', '--keep-alive', '10m']);
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))).url);
      });
      child.once('exit', (code) => reject(new Error(`wb llm serve exited ${code}`)));
    });
  }, 60_000);
  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await home?.dispose();
  });

  test('the ollama client streams a generation with nanosecond counters', async () => {
    const ollama = new Ollama({ host: url });
    let last: any;
    let text = '';
    for await (const c of await ollama.generate({ model: 'tiny', prompt: 'hello', stream: true, options: { num_predict: 6, temperature: 0 } })) {
      text += c.response;
      last = c;
    }
    expect(last.done).toBe(true);
    expect(last.eval_count).toBeGreaterThan(0);
    expect(last.eval_count).toBeLessThanOrEqual(6);
    expect(last.eval_duration).toBeGreaterThan(1000); // nanoseconds: a token takes more than a microsecond
    expect(text.length).toBeGreaterThan(0);
    const ps = await ollama.ps();
    const left = new Date(ps.models[0]!.expires_at).getTime() - Date.now();
    expect(left).toBeGreaterThan(9 * 60_000); // --keep-alive 10m
  });

  test('the openai client streams a chat completion with usage', async () => {
    const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
    let usage: any;
    let chunks = 0;
    for await (const c of await openai.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, temperature: 0, stream: true, stream_options: { include_usage: true } })) {
      chunks++;
      if (c.usage) usage = c.usage;
    }
    expect(chunks).toBeGreaterThan(1);
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBeLessThanOrEqual(5);
  });

  test('wb llm conform passes it, with a table and --json', async () => {
    const r = await wb(home.dir, ['llm', 'conform', url, '--max-tokens', '4', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.failed).toBe(0);
    expect(report.passed).toBeGreaterThan(10);
    const t = await wb(home.dir, ['llm', 'conform', url, '--max-tokens', '4', '--no-unload']);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/ok\s+ollama\s+durations/);
    expect(t.stdout).toMatch(/\d+ passed, 0 failed/);
  }, 120_000);

  test('SIGTERM stops the server cleanly', async () => {
    child.kill('SIGTERM');
    const r = await child.result;
    expect(r.code).toBe(0);
    await expect(fetch(`${url}/api/version`)).rejects.toThrow();
  });
});

describe('wb llm serve and conform: bad input', () => {
  test('a missing file, a folder, a bad port and nothing to conform say what to do', async () => {
    const home = await tempDir('wb-llm-bad-');
    try {
      const missing = await wb(home.dir, ['llm', 'serve', 'no-such.gguf']);
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain("GGUF file, registered model or cache entry 'no-such.gguf' not found");
      expect(missing.stderr).toContain('hint:');
      const folder = await wb(home.dir, ['llm', 'serve', home.dir]);
      expect(folder.code).toBe(2);
      expect(folder.stderr).toContain('is a folder');
      const file = await writeTestModel(home.dir, 'tiny');
      const port = await wb(home.dir, ['llm', 'serve', file, '--port', '99999']);
      expect(port.code).toBe(2);
      expect(port.stderr).toContain('--port must be a whole number');
      const nothing = await wb(home.dir, ['llm', 'conform', 'http://127.0.0.1:9']);
      expect(nothing.code).toBe(9);
      expect(nothing.stderr).toContain('nothing answers at');
    } finally {
      await home.dispose();
    }
  });
});

describe('wb llm serve by cache entry', () => {
  test('a GGUF model in the Hugging Face cache is served by its name', async () => {
    const home = await tempDir('wb-llm-cache-');
    try {
      const snapshot = path.join(home.dir, 'hub', 'models--acme--tiny-chat', 'snapshots', 'abc123');
      await mkdir(snapshot, { recursive: true });
      await mkdir(path.join(home.dir, 'hub', 'models--acme--tiny-chat', 'refs'), { recursive: true });
      await rename(await writeTestModel(home.dir, 'tiny'), path.join(snapshot, 'tiny-chat.gguf'));
      const env = { HOME: home.dir, HF_HUB_CACHE: path.join(home.dir, 'hub'), OLLAMA_MODELS: path.join(home.dir, 'ollama'), LLAMA_CACHE: path.join(home.dir, 'llama') };
      const child = spawnWb(home.dir, ['llm', 'serve', 'acme/tiny-chat', '--port', '0', '--threads', '1', '--json'], { env });
      const info = await new Promise<{ url: string; models: { name: string; path: string }[] }>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))));
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      expect(info.models[0]!.path).toContain(path.join('snapshots', 'abc123', 'tiny-chat.gguf'));
      const tags = await (await fetch(`${info.url}/api/tags`)).json();
      expect(tags.models[0].name).toBe(info.models[0]!.name);
      child.kill('SIGTERM');
      expect((await child.result).code).toBe(0);
    } finally {
      await home.dispose();
    }
  }, 60_000);
});
