import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { GgufError } from './errors.js';
import { parseGguf, readGguf, type GgufReadOptions } from './reader.js';
import { writeTinyModel } from './tiny-model.js';

// Random damage to a real model file must only ever end in a GgufError (or a clean read):
// never a RangeError from a huge allocation, never a TypeError from a half-read structure.
let dir: string;
let bytes: Uint8Array;
let headerEnd: number;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wb-gguf-fuzz-'));
  const file = path.join(dir, 'model.gguf');
  const m = await writeTinyModel(file, { nLayer: 1, nEmbd: 32, nHead: 2, nFf: 32, nVocab: 300, weightType: 'q8_0' });
  bytes = new Uint8Array(await readFile(file));
  headerEnd = m.dataOffset;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function outcome(f: () => unknown, what: string): 'ok' | string {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof GgufError) return e.code;
    throw new Error(`${what}: threw ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
  }
}

test('byte flips in the header give a clean read or a GgufError, in memory', () => {
  const next = rng(20261123);
  const codes = new Map<string, number>();
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < 3000; i++) {
    const damaged = bytes.slice(0, headerEnd);
    const flips = 1 + Math.floor(next() * 4);
    for (let f = 0; f < flips; f++) {
      const at = Math.floor(next() * headerEnd);
      // Half the flips write 0xff, which turns a length or count into something enormous.
      damaged[at] = next() < 0.5 ? 0xff : Math.floor(next() * 256);
    }
    const opts: GgufReadOptions & { fileSize: number } = { fileSize: bytes.length, skipArraysLongerThan: i % 2 ? Infinity : 16 };
    const code = outcome(() => parseGguf(damaged, opts), `flip case ${i}`);
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }
  // The damage must have been noticed most of the time, through several different checks.
  expect(codes.get('ok') ?? 0).toBeLessThan(3000);
  expect([...codes.keys()].filter((c) => c !== 'ok').length).toBeGreaterThanOrEqual(3);
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(512 * 2 ** 20);
});

test('random truncations and flips of the file on disk give a GgufError through readGguf', async () => {
  const next = rng(7);
  const file = path.join(dir, 'damaged.gguf');
  const seen = new Set<string>();
  for (let i = 0; i < 150; i++) {
    let damaged: Uint8Array;
    if (i % 2 === 0) {
      damaged = bytes.subarray(0, Math.floor(next() * bytes.length));
    } else {
      damaged = bytes.slice();
      for (let f = 0; f < 3; f++) damaged[Math.floor(next() * headerEnd)] = Math.floor(next() * 256);
    }
    await writeFile(file, damaged);
    try {
      await readGguf(file);
      seen.add('ok');
    } catch (e) {
      if (!(e instanceof GgufError)) throw new Error(`case ${i}: threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
      seen.add(e.code);
    }
  }
  expect(seen.has('GGUF_TRUNCATED')).toBe(true);
  expect(seen.size).toBeGreaterThanOrEqual(3);
});
