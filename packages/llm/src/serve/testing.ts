import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeTinyModel } from '@workbench/gguf';
import { LlmEngine, type EngineOptions } from '../engine/engine.js';
import { createLlmServer } from './server.js';

/** Options of the tiny random-weight model the tests serve: generation is fast on 2 cores. */
export const TINY = { nLayer: 2, nEmbd: 64, nHead: 4, nFf: 128, nVocab: 300, contextLength: 512, weightType: 'f16', seed: 7 } as const;

/** Write a tiny llama model into `dir` (gibberish text, real llama.cpp inference). */
export type TestModelOptions = Partial<typeof TINY> & { chatTemplate?: string };

export async function writeTestModel(dir: string, name = 'tiny', opts: TestModelOptions = {}): Promise<string> {
  const file = path.join(dir, `${name}.gguf`);
  await writeTinyModel(file, { ...TINY, ...opts, name });
  return file;
}

export interface TinyServer {
  url: string;
  engine: LlmEngine;
  model: string;
  dir: string;
  close(): Promise<void>;
}

/** The built-in engine serving a tiny model in-process on a free loopback port. */
export async function startTinyServer(opts: EngineOptions & { name?: string; modelOptions?: TestModelOptions } = {}): Promise<TinyServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wb-llm-'));
  const { name, modelOptions, ...engineOptions } = opts;
  const model = name ?? 'tiny';
  const file = await writeTestModel(dir, model, modelOptions);
  // One thread: on a busy 2-core machine two spinning llama.cpp threads run hundreds of times slower.
  const engine = new LlmEngine({ threads: 1, ...engineOptions });
  await engine.addModel(file, { name: model });
  const app = createLlmServer({ engine, version: '0.0.0-test' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    engine,
    model,
    dir,
    async close() {
      await app.close();
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
