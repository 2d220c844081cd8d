import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startTinyServer, type TinyServer } from '@workbench/llm/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LlmImagesUnsupportedError, LlmInvalidImageError, LlmServerError, load } from './index.js';

// A 1×1 PNG, and the first bytes of a JPEG (servers sniff the header; so does the client).
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01]);

interface Recorded {
  path: string;
  body: any;
}

/** A real HTTP server that speaks enough of Ollama's or OpenAI's API and records every request. */
async function recordingServer(kind: 'ollama' | 'openai', opts: { capabilities?: Record<string, string[]>; refuse?: { status: number; body: object } } = {}) {
  const seen: Recorded[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    for await (const c of req) text += c;
    const body = text ? JSON.parse(text) : undefined;
    seen.push({ path: req.url ?? '', body });
    const json = (status: number, v: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));
    if (kind === 'ollama') {
      if (req.url === '/api/version') return json(200, { version: '0.9.0' });
      if (req.url === '/api/tags') return json(200, { models: [{ name: 'llava:latest', size: 1 }, { name: 'text:latest', size: 1 }] });
      if (req.url === '/api/ps') return json(200, { models: [] });
      if (req.url === '/api/show') {
        const caps = opts.capabilities?.[String(body.model).replace(/:latest$/, '')];
        return json(200, { model_info: {}, ...(caps ? { capabilities: caps } : {}) });
      }
      if (opts.refuse) return json(opts.refuse.status, opts.refuse.body);
      const piece = req.url === '/api/chat' ? { message: { role: 'assistant', content: 'a cat' } } : { response: 'a cat' };
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(JSON.stringify({ model: body.model, ...piece, done: false }) + '\n');
      return res.end(JSON.stringify({ model: body.model, done: true, done_reason: 'stop', prompt_eval_count: 3, eval_count: 1, eval_duration: 1e6, prompt_eval_duration: 1e6 }) + '\n');
    }
    if (req.url === '/v1/models') return json(200, { object: 'list', data: [{ id: 'vision', object: 'model' }, { id: 'text-only', object: 'model' }] });
    if (body?.model === 'text-only' || opts.refuse) return json(opts.refuse?.status ?? 500, opts.refuse?.body ?? { error: { code: 500, message: 'image input is not supported - hint: if this is unexpected, you may need to provide the mmproj', type: 'server_error' } });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'a cat' }, finish_reason: null }] })}\n\n`);
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    seen,
    /** Requests that asked for generation (not probes or model lists). */
    generations: () => seen.filter((r) => /\/(generate|chat|completions)$/.test(r.path)),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const decode = (b64: string) => Buffer.from(b64, 'base64');

let dir: string;
let pngFile: string;
let noExtension: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wb-sdk-images-'));
  pngFile = path.join(dir, 'cat.png');
  noExtension = path.join(dir, 'photo');
  await writeFile(pngFile, PNG);
  await writeFile(noExtension, JPEG);
});
afterAll(async () => dir && rm(dir, { recursive: true, force: true }));

describe('images on the wire', () => {
  test('Ollama: generate and chat send base64 `images` for bytes, Buffer, file path, { path }, base64 and data: URLs', async () => {
    const srv = await recordingServer('ollama', { capabilities: { llava: ['completion', 'vision'] } });
    try {
      const m = await load('llava', { endpoint: srv.url });
      expect(m.kind).toBe('ollama');
      const r = await m.generate('what is this?', { images: [PNG, JPEG, pngFile, { path: noExtension }, PNG.toString('base64'), `data:image/png;base64,${PNG.toString('base64')}`, JPEG.buffer] });
      expect(r.text).toBe('a cat');
      const gen = srv.generations()[0]!;
      expect(gen.path).toBe('/api/generate');
      expect(gen.body.images).toHaveLength(7);
      expect(gen.body.images.every((x: string) => !x.startsWith('data:'))).toBe(true); // Ollama wants bare base64
      expect(gen.body.images.map(decode)).toEqual([PNG, Buffer.from(JPEG), PNG, Buffer.from(JPEG), PNG, PNG, Buffer.from(JPEG)]);

      await m.chat([{ role: 'system', content: 'be brief' }, { role: 'user', content: 'and this?', images: [pngFile] }], { images: [JPEG] });
      const chat = srv.generations()[1]!;
      expect(chat.path).toBe('/api/chat');
      expect(chat.body.messages[0]).toEqual({ role: 'system', content: 'be brief' });
      expect(chat.body.messages[1].images.map(decode)).toEqual([PNG, Buffer.from(JPEG)]);
    } finally {
      await srv.close();
    }
  });

  test('OpenAI-compatible: image_url content parts with data: URLs of each image\'s own type', async () => {
    const srv = await recordingServer('openai');
    try {
      const m = await load('vision', { endpoint: `${srv.url}/v1` });
      expect(m.kind).toBe('openai');
      await m.generate('what is this?', { system: 'be brief', images: [PNG, JPEG] });
      const body = srv.generations()[0]!.body;
      expect(body.messages[0]).toEqual({ role: 'system', content: 'be brief' });
      expect(body.messages[1]).toEqual({
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } },
          { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${Buffer.from(JPEG).toString('base64')}` } },
        ],
      });
      const pieces: string[] = [];
      for await (const t of m.chatStream([{ role: 'user', content: 'describe', images: [pngFile] }])) pieces.push(t);
      expect(pieces.join('')).toBe('a cat');
      expect(srv.generations()[1]!.body.messages[0].content[1].image_url.url).toBe(`data:image/png;base64,${PNG.toString('base64')}`);
      // Text-only messages stay plain strings.
      await m.chat([{ role: 'user', content: 'hi' }]);
      expect(srv.generations()[2]!.body.messages[0]).toEqual({ role: 'user', content: 'hi' });
    } finally {
      await srv.close();
    }
  });
});

describe('a model that cannot see', () => {
  test('Ollama capabilities without vision: refused before the image is sent', async () => {
    const srv = await recordingServer('ollama', { capabilities: { text: ['completion', 'tools'] } });
    try {
      const m = await load('text', { endpoint: srv.url });
      const err = await m.generate('what is this?', { images: [PNG] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LlmImagesUnsupportedError);
      expect(err).toMatchObject({ model: 'text:latest', message: expect.stringContaining('no vision support (its capabilities: completion, tools)'), hint: expect.stringContaining('vision model') });
      expect(srv.generations()).toHaveLength(0);
      // Text still works.
      expect((await m.generate('hello')).text).toBe('a cat');
    } finally {
      await srv.close();
    }
  });

  test('a server that says nothing of capabilities: its refusal becomes the typed error (Ollama, llama.cpp server)', async () => {
    const ollama = await recordingServer('ollama', { refuse: { status: 500, body: { error: 'Failed to create new sequence: failed to process inputs: this model is missing data required for image input' } } });
    const openai = await recordingServer('openai');
    try {
      const a = await load('llava', { endpoint: ollama.url });
      await expect(a.chat([{ role: 'user', content: 'x', images: [PNG] }])).rejects.toMatchObject({ name: 'LlmImagesUnsupportedError', status: 500, message: expect.stringContaining('missing data required for image input') });
      const b = await load('text-only', { endpoint: `${openai.url}/v1` });
      await expect(b.generate('x', { images: [PNG] })).rejects.toBeInstanceOf(LlmImagesUnsupportedError);
      // The same refusal without images is an ordinary server error.
      const plain = await b.generate('x').catch((e: unknown) => e);
      expect(plain).toBeInstanceOf(LlmServerError);
      expect(plain).not.toBeInstanceOf(LlmImagesUnsupportedError);
    } finally {
      await ollama.close();
      await openai.close();
    }
  });
});

describe('bad image input fails before anything is sent', () => {
  test('not an image, empty, missing file, a folder, non-base64 data: URL, no user message', async () => {
    const srv = await recordingServer('ollama', { capabilities: { llava: ['completion', 'vision'] } });
    try {
      const m = await load('llava', { endpoint: srv.url });
      const cases: Array<[unknown, RegExp]> = [
        [Buffer.from('just some text, not an image'), /images\[0\] is not a PNG, JPEG, GIF or WebP image/],
        [new Uint8Array(0), /images\[0\] is empty/],
        [path.join(dir, 'missing.png'), /cannot read image file .*missing\.png: no such file/],
        [{ path: dir }, /it is a folder/],
        ['data:image/png,rawbytes', /not base64-encoded/],
        ['aGVsbG8gd29ybGQ=', /is not a PNG, JPEG, GIF or WebP image/], // base64 of "hello world"
        [42, /must be bytes/],
      ];
      for (const [input, message] of cases) {
        const err = await m.generate('x', { images: [input as never] }).catch((e: unknown) => e);
        expect(err, String(input)).toBeInstanceOf(LlmInvalidImageError);
        expect((err as Error).message).toMatch(message);
        expect((err as LlmInvalidImageError).hint).toBeTruthy();
      }
      await expect(m.chat([{ role: 'system', content: 'only a system turn' }], { images: [PNG] })).rejects.toThrow(/images go with a user message/);
      await expect(m.chat([{ role: 'user', content: 'x', images: [PNG, Buffer.from('nope')] }])).rejects.toThrow(/messages\[0\]\.images\[1\] is not a PNG/);
      expect(srv.generations()).toHaveLength(0);
    } finally {
      await srv.close();
    }
  });
});

describe('against wb llm serve', () => {
  let wb: TinyServer;
  beforeAll(async () => {
    wb = await startTinyServer();
  }, 60_000);
  afterAll(async () => wb?.close());

  test('native API: the model lists no vision, so images are refused before sending', async () => {
    const m = await load(wb.model, { endpoint: wb.url });
    expect(m.kind).toBe('workbench');
    const before = wb.engine.counters.promptTokens;
    const err = await m.chat([{ role: 'user', content: 'what is this?', images: [PNG] }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmImagesUnsupportedError);
    expect(err).toBeInstanceOf(LlmServerError); // what callers caught before the typed error existed
    expect((err as Error).message).toMatch(/cannot read images: no vision support \(its capabilities: completion, tools\)/);
    expect(wb.engine.counters.promptTokens).toBe(before);
  });

  test('OpenAI API: the server\'s 400 becomes the typed error, with its reason', async () => {
    const m = await load(wb.model, { endpoint: `${wb.url}/v1` });
    const err = await m.generate('what is this?', { images: [pngFile], maxTokens: 4 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmImagesUnsupportedError);
    expect(err).toMatchObject({ status: 400, message: expect.stringContaining('the built-in engine has no vision support') });
    // Text through the same model still works.
    expect((await m.generate('hello', { maxTokens: 2, temperature: 0 })).completionTokens).toBeGreaterThan(0);
  });
});
