import { describe, expect, test } from 'vitest';
import type { ModelSignature } from '@workbench/api';
import { jsonRowsPlan, readJsonRows } from '../bundle/json-rows.mjs';
import { MAX_ROWS, buildFeeds } from '../bundle/predictor.mjs';

// The one-pass JSON reader must agree with JSON.parse + the full validation: it either
// returns exactly the tensor the full path builds, or null (and the full path decides).

class Tensor {
  constructor(
    readonly type: string,
    readonly data: Float32Array | Float64Array,
    readonly dims: number[],
  ) {}
}

const columns = ['a', 'b', 'c', 'dé'];
const signature = (dtype: 'float32' | 'float64'): ModelSignature => ({ inputs: [{ name: 'features', dtype, shape: [null, 4], columns }], outputs: [] });

function fullPath(sig: ModelSignature, text: string): { ok: true; data: Float32Array | Float64Array; batch: number } | { ok: false } {
  try {
    const { feeds, batch } = buildFeeds(sig, JSON.parse(text), Tensor);
    return { ok: true, data: (feeds.features as Tensor).data, batch };
  } catch {
    return { ok: false };
  }
}

function expectAgreement(sig: ModelSignature, text: string): 'fast' | 'fallback' {
  const fast = readJsonRows(jsonRowsPlan(sig), Buffer.from(text), MAX_ROWS);
  if (fast === null) return 'fallback';
  const full = fullPath(sig, text);
  expect(full.ok, `the reader accepted what the full path rejects: ${text}`).toBe(true);
  if (!full.ok) return 'fast';
  expect(fast.batch).toBe(full.batch);
  expect(fast.data.constructor).toBe(full.data.constructor);
  expect(Array.from(fast.data).map((x) => (Object.is(x, -0) ? '-0' : x)), text).toEqual(Array.from(full.data).map((x) => (Object.is(x, -0) ? '-0' : x)));
  return 'fast';
}

describe('the one-pass JSON rows reader', () => {
  test('reads the common shapes itself, with the values JSON.parse gives', () => {
    const sig = signature('float32');
    const bodies = [
      '{"rows": [{"a": 1, "b": 2.5, "c": -3e2, "dé": null}, {"dé": 4, "c": 0.1, "b": -0, "a": 1e-7}]}',
      '{"rows":[[1,2,3,4],[0.30000000000000004,0.1234567890123456789,1.7976931348623157e308,4.9e-324]]}',
      '{"rows": [[1, 2, 3, 4], {"a": 5, "b": 6, "c": 7, "dé": 8}]}',
      ' {\n\t"inputs" : { "features" : [ [ 1 , 2 , 3 , 4 ] ] } }\r\n',
      '{"rows":[[16777217,16777216.999999999,0.10000000149011612,3.4028234663852886e38]]}',
    ];
    for (const text of bodies.slice(0, 1).concat(bodies.slice(2))) expect(expectAgreement(sig, text), text).toBe('fast');
    // 1.7976931348623157e308 is finite as a double but not as a float32: the full path names it.
    expect(expectAgreement(sig, bodies[1]!)).toBe('fallback');
    expect(fullPath(sig, bodies[1]!).ok).toBe(false);
    expect(expectAgreement(signature('float64'), bodies[1]!)).toBe('fast');
  });

  test('leaves everything unusual to the full path', () => {
    const sig = signature('float32');
    const plan = jsonRowsPlan(sig);
    const others = [
      '{"rows": []}',
      '{"rows": [{"a": 1, "b": 2, "c": 3}]}', // missing column
      '{"rows": [{"a": 1, "b": 2, "c": 3, "dé": 4, "e": 5}]}', // unknown column
      '{"rows": [{"a": 1, "a": 2, "c": 3, "dé": 4}]}', // duplicate
      '{"rows": [{"\\u0061": 1, "b": 2, "c": 3, "dé": 4}]}', // escaped key
      '{"rows": [[1, 2, 3]]}',
      '{"rows": [[1, 2, 3, "4"]]}',
      '{"rows": [[1, 2, 3, true]]}',
      '{"rows": [[1, 2, 3, 1e400]]}',
      '{"rows": [[1, 2, 3, 01]]}',
      '{"rows": [[1, 2, 3, .5]]}',
      '{"rows": [[1, 2, 3, 5.]]}',
      '{"rows": [[1, 2, 3, NaN]]}',
      '{"rows": [[1, 2, 3, 4]], "x": 1}',
      '{"rows": [[1, 2, 3, 4]]} x',
      '{"rows": [[1, 2, 3, 4]]',
      '\ufeff{"rows": [[1, 2, 3, 4]]}',
      '{"inputs": {"other": [[1, 2, 3, 4]]}}',
      '[[1, 2, 3, 4]]',
    ];
    for (const text of others) expect(readJsonRows(plan, Buffer.from(text), MAX_ROWS), text).toBeNull();
    expect(readJsonRows(plan, Buffer.from(`{"rows": [${'[1,2,3,4],'.repeat(10)}[1,2,3,4]]}`), 5)).toBeNull(); // over the row limit
    expect(jsonRowsPlan({ inputs: [{ name: 'x', dtype: 'int64', shape: [null, 2] }], outputs: [] })).toBeNull();
  });

  test('numbers halfway between two float32s round as JSON.parse + Float32Array round them', () => {
    const plan = jsonRowsPlan({ inputs: [{ name: 'x', dtype: 'float32', shape: [null, 1] }], outputs: [] });
    let seed = 3;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const wrong: string[] = [];
    for (let t = 0; t < 20_000; t++) {
      const f = new Float32Array([(rnd() - 0.5) * 10 ** Math.floor(rnd() * 20 - 10)]);
      const lower = f[0]!;
      new Int32Array(f.buffer)[0]! += 1;
      const m = (lower + f[0]!) / 2;
      for (const text of [String(m), m.toPrecision(17), m.toPrecision(18), m.toPrecision(19)]) {
        const r = readJsonRows(plan, Buffer.from(`{"rows": [[${text}]]}`), 10);
        if (r === null || r.data[0] !== Math.fround(Number(text))) wrong.push(text);
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  test('agrees with JSON.parse + validation on random bodies (numbers near float32 rounding boundaries included)', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T,>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const midpoint = () => {
      // Halfway between two neighbouring float32s: only exact rounding gets these right.
      const f = new Float32Array([(rnd() - 0.5) * 10 ** Math.floor(rnd() * 20 - 10)]);
      const lower = f[0]!;
      new Int32Array(f.buffer)[0]! += 1;
      const m = (lower + f[0]!) / 2;
      return pick([String(m), m.toPrecision(16), m.toPrecision(17), m.toPrecision(18), m.toPrecision(19), String(m + Math.abs(m) * 2 ** -52), String(m - Math.abs(m) * 2 ** -52), m.toExponential(18)]);
    };
    const number = () => {
      const x = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20);
      if (rnd() < 0.85) return pick([String(x), x.toExponential(Math.floor(rnd() * 20)), x.toFixed(Math.floor(rnd() * 25)), String(Math.fround(x)), 'null', (rnd() * 100).toFixed(1), midpoint()]);
      return pick(['-0', '0', '1e400', '1e-400', '01', '.5', '5.', '1E5', '1e+5', '-', '"1"', 'true', '3.4028235e38', '-3.5e38', '9007199254740993', '123456789012345678901234567890', '0.' + '0'.repeat(30) + '17']);
    };
    const space = () => pick(['', '', '', ' ', '\n', '\t ']);
    const body = () => {
      const rows: string[] = [];
      for (let i = pick([0, 1, 2, 3]); i > 0; i--) {
        if (rnd() < 0.5) {
          const keys = [...columns];
          if (rnd() < 0.3) keys.sort(() => rnd() - 0.5);
          if (rnd() < 0.05) keys.pop();
          if (rnd() < 0.05) keys.push('a');
          rows.push('{' + keys.map((k) => `${space()}"${k}"${space()}:${space()}${number()}`).join(',') + space() + '}');
        } else {
          rows.push('[' + Array.from({ length: rnd() < 0.9 ? 4 : 5 }, () => space() + number()).join(',') + ']');
        }
      }
      const list = `[${rows.join(',' + space())}]`;
      return rnd() < 0.7 ? `{"rows":${space()}${list}}` : `{"inputs": {"features": ${list}}}`;
    };
    const seen = { fast: 0, fallback: 0 };
    for (const dtype of ['float32', 'float64'] as const) {
      const sig = signature(dtype);
      for (let t = 0; t < 5_000; t++) seen[expectAgreement(sig, body())]++;
    }
    expect(seen.fast).toBeGreaterThan(500); // the reader did the work, not only the fallback
  });
});
