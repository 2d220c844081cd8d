import { describe, expect, test } from 'vitest';
import { parseEventLine } from './protocol.js';

const ok = (line: string) => {
  const r = parseEventLine(line);
  if (!r.ok) throw new Error(r.error);
  return r.event;
};
const err = (line: string) => {
  const r = parseEventLine(line);
  if (r.ok) throw new Error('accepted: ' + line);
  return r.error;
};

describe('event protocol', () => {
  test('the fast metric path and the general path agree', () => {
    const lines = [
      '{"type":"metric","key":"loss","value":0.5,"step":1,"ts":1700000000.5}',
      '{"type":"metric","key":"loss","value":-1.5e-7,"step":0}',
      '{"type":"metric","key":"loss","value":"NaN","step":2}',
      '{"type":"metric","key":"loss","value":"-Infinity","step":3}',
      '{"type":"metric","key":"a/b c","value":3,"step":4,"ts":1}',
    ];
    for (const line of lines) {
      const fast = ok(line);
      // A space after the first comma defeats the fast path: same answer from JSON.parse.
      const general = ok(line.replace(',"key"', ', "key"'));
      expect(fast).toEqual(general);
    }
    expect(ok(lines[0]!)).toEqual({ type: 'metric', points: [{ key: 'loss', value: 0.5, step: 1 }], attempt: null, ts: 1700000000500 });
    expect(Number.isNaN((ok(lines[2]!) as { points: Array<{ value: number }> }).points[0]!.value)).toBe(true);
  });

  test('every event type', () => {
    expect(ok('{"type":"metrics","values":{"a":1,"b":"Infinity"},"step":3}')).toMatchObject({ type: 'metric', points: [{ key: 'a', value: 1, step: 3 }, { key: 'b', value: Infinity, step: 3 }] });
    expect(ok('{"type":"metric","key":"x","value":1}')).toMatchObject({ points: [{ step: null }] });
    expect(ok('{"type":"log","level":"warning","message":"hi"}')).toEqual({ type: 'log', level: 'WARN', message: 'hi', ts: null });
    expect(ok('{"type":"log","level":"loud","message":"hi","ts":"2026-01-01T00:00:00Z"}')).toEqual({ type: 'log', level: 'INFO', message: 'hi', ts: Date.parse('2026-01-01T00:00:00Z') });
    expect(ok('{"type":"param","key":"lr","value":0.1}')).toEqual({ type: 'params', values: { lr: 0.1 } });
    expect(ok('{"type":"params","values":{"a":[1,2],"b":{"c":null}}}')).toEqual({ type: 'params', values: { a: [1, 2], b: { c: null } } });
    expect(ok('{"type":"tag","key":"k","value":"v"}')).toEqual({ type: 'tags', values: { k: 'v' } });
    expect(ok('{"type":"progress","current":3,"total":10}')).toEqual({ type: 'progress', current: 3, total: 10 });
    expect(ok('{"type":"progress","current":3}')).toEqual({ type: 'progress', current: 3, total: null });
    expect(ok(`{"type":"artifact","path":"m.onnx","sha256":"${'A'.repeat(64)}","kind":"model"}`)).toEqual({ type: 'artifact', path: 'm.onnx', name: null, kind: 'model', sha256: 'a'.repeat(64) });
    expect(ok('{"type":"status","state":"failed","message":"diverged"}')).toEqual({ type: 'status', state: 'failed', message: 'diverged' });
  });

  test('bare NaN and Infinity as Python writes them, but not inside strings', () => {
    expect(ok('{"type":"metric","key":"x","value":NaN,"step":1}')).toMatchObject({ points: [{ step: 1 }] });
    expect(ok('{"type":"metrics","values":{"a":Infinity,"b":-Infinity}}')).toMatchObject({ points: [{ value: Infinity }, { value: -Infinity }] });
    expect(ok('{"type":"log","message":"NaN loss at Infinity","level":"INFO"}')).toMatchObject({ message: 'NaN loss at Infinity' });
  });

  test('each bad line says what is wrong', () => {
    expect(err('nope')).toBe('not valid JSON');
    expect(err('42')).toBe('not a JSON object');
    expect(err('[]')).toBe('not a JSON object');
    expect(err('{}')).toBe('missing "type"');
    expect(err('{"type":"dance"}')).toBe('unknown type "dance"');
    expect(err('{"type":"metric","key":"x","value":"1"}')).toMatch(/value must be a number/);
    expect(err('{"type":"metric","key":"x","value":1,"step":-1}')).toMatch(/step must be an integer >= 0/);
    expect(err('{"type":"metric","key":"x","value":1,"step":1.5}')).toMatch(/step must be an integer/);
    expect(err('{"type":"metric","key":"x","value":1,"step":"3"}')).toMatch(/step must be an integer/);
    expect(err('{"type":"metric","key":"x","value":1,"step":1e300}')).toMatch(/step must be an integer/);
    expect(err('{"type":"metric","key":"","value":1}')).toMatch(/non-empty/);
    expect(err(`{"type":"metric","key":"${'k'.repeat(300)}","value":1}`)).toMatch(/longer than 256/);
    expect(err('{"type":"metric","key":"a\\nb","value":1}')).toMatch(/control characters/);
    expect(err('{"type":"metrics","values":{"ok":1,"t\\tab":2}}')).toMatch(/control characters/);
    expect(err('{"type":"param","key":"x\\u0000","value":1}')).toMatch(/control characters/);
    expect(err('{"type":"metric","key":"x","value":1,"ts":"yesterday"}')).toMatch(/unreadable ts/);
    expect(err('{"type":"metrics","values":[1]}')).toMatch(/values/);
    expect(err('{"type":"progress","current":"half"}')).toMatch(/current/);
    expect(err('{"type":"artifact"}')).toMatch(/path/);
    expect(err('{"type":"artifact","path":"x","sha256":"abc"}')).toMatch(/64 hex/);
    expect(err('{"type":"status","state":"meh"}')).toMatch(/succeeded/);
    expect(err('{"type":"tag","key":"k","value":3}')).toMatch(/string/);
  });
});
