import { mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GgufError } from './errors.js';
import { GgmlTypeId, tensorBytes } from './ggml-types.js';
import { archKey, archNumber, architecture, metaNumber, metaString, metadataToJson } from './meta.js';
import { parseGguf, readGguf } from './reader.js';
import { RawGguf } from './testing/raw.js';
import { writeGguf } from './writer.js';

// gguf has no dependencies, so its tests make their own temporary folder rather than import core's helper.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wb-gguf-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof GgufError) return e.code;
    throw e;
  }
  return 'no error';
}

async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<GgufError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof GgufError) return e;
    throw e;
  }
  throw new Error('expected a GgufError');
}

describe('write then read', () => {
  test('every metadata value type comes back with its value and type', async () => {
    const file = path.join(dir, 'values.gguf');
    await writeGguf(file, {
      metadata: {
        'general.architecture': 'llama',
        u8: { type: 'u8', value: 255 },
        i8: { type: 'i8', value: -128 },
        u16: { type: 'u16', value: 65535 },
        i16: { type: 'i16', value: -32768 },
        u32: 4_000_000_000,
        i32: -5,
        f32: { type: 'f32', value: 10000 },
        f32frac: 0.25,
        bool: true,
        str: 'héllo ▁wörld',
        empty: '',
        u64: { type: 'u64', value: 2n ** 64n - 1n },
        u64small: { type: 'u64', value: 7 },
        i64: -(2n ** 63n),
        f64: { type: 'f64', value: Math.PI },
        strs: ['a', 'bb', ''],
        ints: [1, -2, 3],
        floats: new Float32Array([0.5, -1.5]),
        bools: [true, false],
        u64s: new BigUint64Array([1n, 2n ** 63n]),
        nested: [[1, 2], ['x', 'y'], []],
        deep: { type: 'array', elementType: 'array', value: [{ type: 'array', elementType: 'u8', value: [9] }] },
        'llama.block_count': { type: 'u32', value: 3 },
      },
      tensors: [],
    });
    const g = await readGguf(file);
    expect(g.version).toBe(3);
    expect(g.metadata).toEqual({
      'general.architecture': 'llama',
      u8: 255, i8: -128, u16: 65535, i16: -32768, u32: 4_000_000_000, i32: -5, f32: 10000, f32frac: 0.25, bool: true,
      str: 'héllo ▁wörld', empty: '', u64: 2n ** 64n - 1n, u64small: 7, i64: -(2n ** 63n), f64: Math.PI,
      strs: ['a', 'bb', ''], ints: [1, -2, 3], floats: [0.5, -1.5], bools: [true, false], u64s: [1, 2n ** 63n],
      nested: [[1, 2], ['x', 'y'], []], deep: [[9]], 'llama.block_count': 3,
    });
    expect(g.metadataTypes).toMatchObject({
      u8: 'u8', i8: 'i8', u16: 'u16', i16: 'i16', u32: 'u32', i32: 'i32', f32: 'f32', f32frac: 'f32', bool: 'bool', str: 'str',
      u64: 'u64', i64: 'i64', f64: 'f64', strs: 'array<str>', ints: 'array<i32>', floats: 'array<f32>', bools: 'array<bool>',
      u64s: 'array<u64>', nested: 'array<array>', deep: 'array<array>',
    });
    expect(architecture(g.metadata)).toBe('llama');
    expect(archKey(g.metadata, 'block_count')).toBe(3);
    expect(archNumber(g.metadata, 'block_count')).toBe(3);
    expect(metaString(g.metadata, 'str')).toBe('héllo ▁wörld');
    expect(metaNumber(g.metadata, 'f64')).toBe(Math.PI);
    expect(metaNumber(g.metadata, 'missing')).toBeUndefined();
    expect(await codeOf(() => metaNumber(g.metadata, 'str'))).toBe('GGUF_INVALID');
    expect(await codeOf(() => metaNumber(g.metadata, 'u64'))).toBe('GGUF_LIMIT');
    expect(await codeOf(() => metaString(g.metadata, 'u8'))).toBe('GGUF_INVALID');
    const json = JSON.parse(JSON.stringify(metadataToJson(g.metadata))) as Record<string, unknown>;
    expect(json.u64).toBe('18446744073709551615');
    expect(json.u64s).toEqual([1, '9223372036854775808']);
    expect(json.str).toBe('héllo ▁wörld');
  });

  test('tensor infos, offsets and padding: the file is dataOffset + padded tensor bytes', async () => {
    const file = path.join(dir, 'tensors.gguf');
    const a = new Float32Array([1, 2, 3]); // 12 bytes, padded to 32
    const q = new Uint8Array(tensorBytes('Q8_0', [64, 2])).fill(7); // 136 bytes, padded to 160
    const w = await writeGguf(file, {
      metadata: { 'general.name': 'x' },
      tensors: [
        { name: 'a', type: 'F32', dims: [3], data: a },
        { name: 'q', type: GgmlTypeId.Q8_0, dims: [64, 2], data: [q.subarray(0, 100), q.subarray(100)] },
        { name: 'z', type: 'Q4_K', dims: [256, 4], data: null },
      ],
    });
    const g = await readGguf(file);
    expect(g.tensors).toEqual([
      { name: 'a', type: 0, typeName: 'F32', dims: [3], offset: 0, elements: 3, bytes: 12 },
      { name: 'q', type: 8, typeName: 'Q8_0', dims: [64, 2], offset: 32, elements: 128, bytes: 136 },
      { name: 'z', type: 12, typeName: 'Q4_K', dims: [256, 4], offset: 192, elements: 1024, bytes: 576 },
    ]);
    expect(g.alignment).toBe(32);
    expect(g.dataOffset % 32).toBe(0);
    expect(g.dataOffset).toBe(w.dataOffset);
    expect(g.fileSize).toBe((await stat(file)).size);
    expect(g.fileSize).toBe(g.dataOffset + 32 + 160 + 576);
    expect(g.totalTensorBytes).toBe(12 + 136 + 576);
    const raw = new Uint8Array(await (await import('node:fs/promises')).readFile(file));
    expect(Array.from(raw.subarray(g.dataOffset, g.dataOffset + 12))).toEqual(Array.from(new Uint8Array(a.buffer)));
    expect(raw[g.dataOffset + 32 + 135]).toBe(7);
    expect(raw[g.dataOffset + 32 + 136]).toBe(0);
  });

  test('a custom alignment is written as general.alignment and honoured', async () => {
    const file = path.join(dir, 'align.gguf');
    await writeGguf(file, { metadata: {}, alignment: 64, tensors: [{ name: 't', type: 'F16', dims: [5], data: new Uint8Array(10) }, { name: 'u', type: 'F32', dims: [1], data: new Uint8Array(4) }] });
    const g = await readGguf(file);
    expect(g.alignment).toBe(64);
    expect(g.metadata['general.alignment']).toBe(64);
    expect(g.metadataTypes['general.alignment']).toBe('u32');
    expect(g.dataOffset % 64).toBe(0);
    expect(g.tensors.map((t) => t.offset)).toEqual([0, 64]);
    expect(g.fileSize).toBe(g.dataOffset + 128);
  });

  test('a large file streams from a generator and its zero tensors stay holes', async () => {
    const file = path.join(dir, 'large.gguf');
    const chunk = new Uint8Array(1 << 20);
    let chunks = 0;
    function* gen(): Iterable<Uint8Array> {
      for (let i = 0; i < 64; i++) {
        chunk.fill(i); // the same buffer every time: the writer must not keep it
        chunks++;
        yield chunk;
      }
    }
    await writeGguf(file, {
      metadata: {},
      tensors: [
        { name: 'streamed', type: 'I8', dims: [1 << 20, 64], data: gen },
        { name: 'hole', type: 'F32', dims: [1 << 20, 256], data: null }, // 1 GiB of zeros, never written
      ],
    });
    expect(chunks).toBe(64);
    const g = await readGguf(file);
    expect(g.fileSize).toBe(g.dataOffset + 64 * 2 ** 20 + 2 ** 30);
    const fh = await (await import('node:fs/promises')).open(file);
    const b = new Uint8Array(1);
    await fh.read(b, 0, 1, g.dataOffset + 5 * 2 ** 20 + 17);
    expect(b[0]).toBe(5);
    await fh.close();
    const st = await stat(file);
    expect(st.blocks * 512).toBeLessThan(st.size / 2); // the hole takes no disk
    await rm(file);
  });

  test('long arrays are summarised unless asked for, and then come back whole', async () => {
    const file = path.join(dir, 'vocab.gguf');
    const tokens = Array.from({ length: 150_000 }, (_, i) => `tok${i}`);
    await writeGguf(file, {
      metadata: { 'tokenizer.ggml.tokens': tokens, 'tokenizer.ggml.scores': new Float32Array(150_000), 'short': [1, 2, 3], 'nested': [[1], [2]] },
      tensors: [],
    });
    const summary = await readGguf(file);
    expect(summary.metadata['tokenizer.ggml.tokens']).toEqual({ skipped: true, elementType: 'str', length: 150_000 });
    expect(summary.metadata['tokenizer.ggml.scores']).toEqual({ skipped: true, elementType: 'f32', length: 150_000 });
    expect(summary.metadata.short).toEqual([1, 2, 3]);
    const small = await readGguf(file, { skipArraysLongerThan: 1 });
    expect(small.metadata.nested).toEqual({ skipped: true, elementType: 'array', length: 2 });
    const full = await readGguf(file, { skipArraysLongerThan: Infinity });
    expect(full.metadata['tokenizer.ggml.tokens']).toEqual(tokens);
    expect((full.metadata['tokenizer.ggml.scores'] as number[]).length).toBe(150_000);
  });

  test('parseGguf reads a header in memory; only the beginning of a file needs fileSize', async () => {
    const file = path.join(dir, 'parse.gguf');
    await writeGguf(file, { metadata: { k: 'v' }, tensors: [{ name: 't', type: 'F32', dims: [1000], data: new Float32Array(1000) }] });
    const bytes = new Uint8Array(await (await import('node:fs/promises')).readFile(file));
    const full = parseGguf(bytes);
    expect(full.metadata.k).toBe('v');
    expect(full.fileSize).toBeUndefined();
    const head = bytes.subarray(0, full.dataOffset);
    expect(parseGguf(head, { fileSize: bytes.length }).tensors[0]!.bytes).toBe(4000);
    expect(await codeOf(() => parseGguf(head, { fileSize: full.dataOffset + 100 }))).toBe('GGUF_TRUNCATED');
    expect(await codeOf(() => parseGguf(head.subarray(0, 40)))).toBe('GGUF_TRUNCATED');
  });

  test('a failed write leaves no file and no partial file behind', async () => {
    const sub = await mkdtemp(path.join(dir, 'fail-'));
    const file = path.join(sub, 'bad.gguf');
    expect(await codeOf(writeGguf(file, { metadata: {}, tensors: [{ name: 't', type: 'F32', dims: [4], data: new Uint8Array(15) }] }))).toBe('GGUF_INVALID');
    async function* boom(): AsyncIterable<Uint8Array> {
      yield new Uint8Array(4);
      throw new Error('source failed');
    }
    await expect(writeGguf(file, { metadata: {}, tensors: [{ name: 't', type: 'F32', dims: [4], data: boom }] })).rejects.toThrow('source failed');
    expect(await readdir(sub)).toEqual([]);
  });

  test('the writer refuses what llama.cpp would refuse', async () => {
    const file = path.join(dir, 'refused.gguf');
    const t = (over: object) => writeGguf(file, { metadata: {}, tensors: [{ name: 't', type: 'F32', dims: [32], data: null, ...over }] });
    expect(await codeOf(t({ type: 'Q4_K' }))).toBe('GGUF_INVALID'); // ne[0] = 32 is not a multiple of 256
    expect(await codeOf(t({ dims: [0] }))).toBe('GGUF_INVALID');
    expect(await codeOf(t({ dims: [1, 1, 1, 1, 1] }))).toBe('GGUF_INVALID');
    expect(await codeOf(t({ name: 'x'.repeat(64) }))).toBe('GGUF_INVALID');
    expect(await codeOf(t({ type: 'Q9' }))).toBe('GGUF_UNKNOWN_TYPE');
    expect(await codeOf(writeGguf(file, { metadata: {}, tensors: [{ name: 'a', type: 0, dims: [1], data: null }, { name: 'a', type: 0, dims: [1], data: null }] }))).toBe('GGUF_DUPLICATE');
    expect(await codeOf(writeGguf(file, { metadata: { x: { type: 'u8', value: 256 } }, tensors: [] }))).toBe('GGUF_INVALID');
    expect(await codeOf(writeGguf(file, { metadata: { x: { type: 'u32', value: 1.5 } }, tensors: [] }))).toBe('GGUF_INVALID');
    expect(await codeOf(writeGguf(file, { metadata: { x: { type: 'nope' as 'u8', value: 1 } }, tensors: [] }))).toBe('GGUF_UNKNOWN_TYPE');
    expect(await codeOf(writeGguf(file, { metadata: { x: { skipped: true, elementType: 'str', length: 3 } as never }, tensors: [] }))).toBe('GGUF_INVALID');
    expect(await codeOf(writeGguf(file, { metadata: {}, alignment: 24, tensors: [] }))).toBe('GGUF_INVALID');
    expect(await codeOf(writeGguf(file, { metadata: { 'general.alignment': 64 }, alignment: 32, tensors: [] }))).toBe('GGUF_INVALID');
    expect(await codeOf(writeGguf(path.join(dir, 'no', 'such', 'folder.gguf'), { metadata: {}, tensors: [] }))).toBe('GGUF_IO');
  });

  test('writing over an existing file replaces it whole', async () => {
    const file = path.join(dir, 'replace.gguf');
    await writeGguf(file, { metadata: { v: 1 }, tensors: [{ name: 'big', type: 'F32', dims: [4096], data: null }] });
    await writeGguf(file, { metadata: { v: 2 }, tensors: [] });
    const g = await readGguf(file);
    expect(g.metadata).toEqual({ v: 2 });
    expect(g.fileSize).toBe(g.dataOffset);
  });
});

describe('hostile and broken files', () => {
  const write = async (name: string, bytes: Uint8Array): Promise<string> => {
    const file = path.join(dir, name);
    await writeFile(file, bytes);
    return file;
  };

  test('bad magic, unsupported versions and a big-endian file', async () => {
    expect(await codeOf(readGguf(await write('magic.gguf', Buffer.from('GGML and then some more bytes here'))))).toBe('GGUF_BAD_MAGIC');
    expect(await codeOf(readGguf(await write('empty.gguf', new Uint8Array(0))))).toBe('GGUF_TRUNCATED');
    expect(await codeOf(readGguf(await write('v1.gguf', new RawGguf().header(0, 0, 1).bytes())))).toBe('GGUF_UNSUPPORTED_VERSION');
    const be = await errorOf(readGguf(await write('be.gguf', new RawGguf().header(0, 0, 0x03000000).bytes())));
    expect(be.code).toBe('GGUF_UNSUPPORTED_VERSION');
    expect(be.message).toMatch(/big-endian/);
    expect(await codeOf(readGguf(path.join(dir, 'no-such.gguf')))).toBe('GGUF_IO');
    expect(await codeOf(readGguf(dir))).toBe('GGUF_IO');
  });

  test('version 2 files read like version 3', async () => {
    const g = await readGguf(await write('v2.gguf', new RawGguf().header(0, 1, 2).kvU32('a', 5).bytes()));
    expect(g.version).toBe(2);
    expect(g.metadata).toEqual({ a: 5 });
  });

  test('counts and lengths of 2^63 are refused before anything is allocated', async () => {
    const cases: [string, RawGguf, string][] = [
      ['tensor count 2^63', new RawGguf().header(2n ** 63n, 0), 'GGUF_LIMIT'],
      ['metadata count 2^63', new RawGguf().header(0, 2n ** 63n), 'GGUF_LIMIT'],
      ['metadata count 2^40', new RawGguf().header(0, 2n ** 40n), 'GGUF_LIMIT'],
      ['metadata count beyond the file', new RawGguf().header(0, 1000), 'GGUF_TRUNCATED'],
      ['key length 2^63', new RawGguf().header(0, 1).u64(2n ** 63n).zeros(32), 'GGUF_LIMIT'],
      ['key length beyond the file', new RawGguf().header(0, 1).u64(1000).zeros(20), 'GGUF_TRUNCATED'],
      ['string value 2^64-1', new RawGguf().header(0, 1).str('k').u32(8).u64(2n ** 64n - 1n).zeros(32), 'GGUF_LIMIT'],
      ['array length 2^63', new RawGguf().header(0, 1).str('k').u32(9).u32(0).u64(2n ** 63n).zeros(32), 'GGUF_LIMIT'],
      ['array length beyond the file', new RawGguf().header(0, 1).str('k').u32(9).u32(4).u64(1_000_000).zeros(64), 'GGUF_TRUNCATED'],
      ['string array beyond the file', new RawGguf().header(0, 1).str('k').u32(9).u32(8).u64(100_000).zeros(64), 'GGUF_TRUNCATED'],
      ['dimension 2^63', new RawGguf().header(1, 0).tensor('t', [2n ** 63n], 0, 0), 'GGUF_LIMIT'],
      ['elements beyond 2^53', new RawGguf().header(1, 0).tensor('t', [2 ** 30, 2 ** 30, 2 ** 30], 0, 0), 'GGUF_LIMIT'],
      ['five dimensions', new RawGguf().header(1, 0).tensor('t', [1, 1, 1, 1, 1], 0, 0), 'GGUF_LIMIT'],
      ['offset 2^63', new RawGguf().header(1, 0).tensor('t', [8], 0, 2n ** 63n), 'GGUF_LIMIT'],
    ];
    for (const [what, raw, code] of cases) {
      const err = await errorOf(readGguf(await write('hostile.gguf', raw.bytes())));
      expect(err.code, what).toBe(code);
      expect(err.message, what).toMatch(/offset \d+/);
    }
  });

  test('unknown value and tensor types, bad bools, duplicates', async () => {
    const unknownValue = await errorOf(readGguf(await write('uv.gguf', new RawGguf().header(0, 1).str('some.key').u32(13).u32(0).bytes())));
    expect(unknownValue.code).toBe('GGUF_UNKNOWN_TYPE');
    expect(unknownValue.message).toMatch(/some\.key/);
    const unknownElem = await errorOf(readGguf(await write('ue.gguf', new RawGguf().header(0, 1).str('arr').u32(9).u32(99).u64(0).bytes())));
    expect(unknownElem.code).toBe('GGUF_UNKNOWN_TYPE');
    const unknownTensor = await errorOf(readGguf(await write('ut.gguf', new RawGguf().header(1, 0).tensor('blk.0.w', [32], 4, 0).pad().zeros(64).bytes())));
    expect(unknownTensor.code).toBe('GGUF_UNKNOWN_TYPE');
    expect(unknownTensor.message).toMatch(/blk\.0\.w/);
    expect(await codeOf(readGguf(await write('bool.gguf', new RawGguf().header(0, 1).str('b').u32(7).u8(2).bytes())))).toBe('GGUF_INVALID');
    const dupKey = await errorOf(readGguf(await write('dk.gguf', new RawGguf().header(0, 2).kvU32('a.b', 1).kvU32('a.b', 2).bytes())));
    expect(dupKey.code).toBe('GGUF_DUPLICATE');
    expect(dupKey.message).toMatch(/a\.b/);
    const dupTensor = new RawGguf().header(2, 0).tensor('w', [8], 0, 0).tensor('w', [8], 0, 32).pad().zeros(64);
    expect(await codeOf(readGguf(await write('dt.gguf', dupTensor.bytes())))).toBe('GGUF_DUPLICATE');
  });

  test('tensor data past the end of the file, misaligned or overlapping', async () => {
    const past = new RawGguf().header(1, 0).tensor('w', [1024], 0, 0).pad().zeros(100);
    const err = await errorOf(readGguf(await write('past.gguf', past.bytes())));
    expect(err.code).toBe('GGUF_TRUNCATED');
    expect(err.message).toMatch(/'w' ends at byte \d+, past the end of the file/);
    const farOffset = new RawGguf().header(1, 0).tensor('w', [8], 0, 2 ** 40).pad().zeros(64);
    expect(await codeOf(readGguf(await write('far.gguf', farOffset.bytes())))).toBe('GGUF_TRUNCATED');
    const misaligned = new RawGguf().header(1, 0).tensor('w', [8], 0, 4).pad().zeros(64);
    expect(await codeOf(readGguf(await write('mis.gguf', misaligned.bytes())))).toBe('GGUF_INVALID');
    const overlap = new RawGguf().header(2, 0).tensor('a', [16], 0, 0).tensor('b', [8], 0, 32).pad().zeros(128);
    expect(await codeOf(readGguf(await write('overlap.gguf', overlap.bytes())))).toBe('GGUF_INVALID');
    const badBlock = new RawGguf().header(1, 0).tensor('q', [100], GgmlTypeId.Q4_K, 0).pad().zeros(512);
    expect(await codeOf(readGguf(await write('block.gguf', badBlock.bytes())))).toBe('GGUF_INVALID');
    const badAlign = new RawGguf().header(0, 1).kvU32('general.alignment', 24);
    expect(await codeOf(readGguf(await write('align.gguf', badAlign.bytes())))).toBe('GGUF_INVALID');
  });

  test('limits: header size, nesting depth, string size', async () => {
    let nested = new RawGguf().header(0, 1).str('deep').u32(9);
    for (let i = 0; i < 20; i++) nested = nested.u32(9).u64(1);
    nested = nested.u32(4).u64(0);
    expect(await codeOf(readGguf(await write('nest.gguf', nested.bytes())))).toBe('GGUF_LIMIT');
    const file = path.join(dir, 'big-header.gguf');
    await writeGguf(file, { metadata: { s: 'x'.repeat(100_000) }, tensors: [] });
    expect(await codeOf(readGguf(file, { maxHeaderBytes: 50_000 }))).toBe('GGUF_LIMIT');
    expect(await codeOf(readGguf(file, { maxStringBytes: 1000 }))).toBe('GGUF_LIMIT');
    expect((await readGguf(file)).metadata.s).toHaveLength(100_000);
  });

  test('a file cut anywhere in its header is GGUF_TRUNCATED', async () => {
    const file = path.join(dir, 'cut.gguf');
    await writeGguf(file, {
      metadata: { a: 'abc', arr: [1, 2, 3], strs: ['x', 'y'], n: [[1]], f: { type: 'f64', value: 1 } },
      tensors: [{ name: 't', type: 'F32', dims: [8], data: new Float32Array(8) }],
    });
    const g = await readGguf(file);
    const bytes = new Uint8Array(await (await import('node:fs/promises')).readFile(file));
    for (let n = 0; n < g.fileSize; n++) {
      const cut = path.join(dir, 'cut-n.gguf');
      await writeFile(cut, bytes.subarray(0, n));
      const code = await codeOf(readGguf(cut));
      expect(code, `cut at ${n}`).toBe('GGUF_TRUNCATED');
    }
    await truncate(file, g.fileSize);
    expect((await readGguf(file)).tensors).toHaveLength(1);
  });
});
