/**
 * Parsing of the run event protocol (docs/run-protocol.md). Hand-written rather than a schema
 * library: a training loop can send hundreds of thousands of lines a second, and every
 * rejection must say exactly what was wrong so it can be kept as a readable warning.
 */
import { hasControlCharacters, MAX_KEY_LENGTH } from '@workbench/core';
export type RunEvent =
  | { type: 'log'; level: string; message: string; ts: number | null }
  | { type: 'metric'; points: Array<{ key: string; value: number; step: number | null }>; attempt: number | null; ts: number | null }
  | { type: 'params'; values: Record<string, unknown> }
  | { type: 'tags'; values: Record<string, string> }
  | { type: 'progress'; current: number; total: number | null }
  | { type: 'artifact'; path: string; name: string | null; kind: string; sha256: string | null }
  | { type: 'status'; state: 'succeeded' | 'failed'; message: string | null };

export type ParseResult = { ok: true; event: RunEvent } | { ok: false; error: string };

const LEVELS = new Set(['TRACE', 'DEBUG', 'INFO', 'WARN', 'WARNING', 'ERROR', 'CRITICAL', 'FATAL']);

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity' || v === '+Infinity' || v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity' || v === '-inf') return Number.NEGATIVE_INFINITY;
  return undefined;
}

/** Returns ms since epoch, null when absent, undefined when unreadable. */
function parseTs(v: unknown): number | null | undefined {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v * 1000;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

function parseStep(v: unknown): number | null | string {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER) return `step must be an integer >= 0, got ${JSON.stringify(v)?.slice(0, 40)}`;
  return v;
}

function checkKey(k: unknown): string | null {
  if (typeof k !== 'string' || k.length === 0) return 'key must be a non-empty string';
  if (k.length > MAX_KEY_LENGTH) return `key is longer than ${MAX_KEY_LENGTH} characters`;
  if (hasControlCharacters(k)) return `key must not contain control characters (newline, tab, …), got ${JSON.stringify(k).slice(0, 60)}`;
  return null;
}

/** Python's json module writes bare NaN/Infinity; turn them into strings outside of strings. */
function parseLenient(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    if (!/NaN|Infinity/.test(line)) throw err;
    let out = '';
    let inString = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (inString) {
        out += ch;
        if (ch === '\\') out += line[++i] ?? '';
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') {
        inString = true;
        out += ch;
        continue;
      }
      const rest = line.slice(i, i + 9);
      const m = /^(-?Infinity|NaN)/.exec(rest);
      if (m) {
        out += `"${m[1]}"`;
        i += m[1]!.length - 1;
      } else out += ch;
    }
    return JSON.parse(out);
  }
}

// The line every training loop sends most, as the clients write it. Matching it directly is
// about twice as fast as JSON.parse; anything else takes the general path below.
const FAST_METRIC = /^\{"type":"metric","key":"([^"\\\x00-\x1f\x7f]{1,256})","value":(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|"NaN"|"-?Infinity"),"step":(\d{1,15})(?:,"ts":(\d+(?:\.\d+)?))?\}$/;

function fastMetric(line: string): ParseResult | null {
  const m = FAST_METRIC.exec(line);
  if (!m) return null;
  const raw = m[2]!;
  const value = raw.charCodeAt(0) === 34 ? num(raw.slice(1, -1))! : Number(raw);
  const ts = m[4] === undefined ? null : Number(m[4]) * 1000;
  return { ok: true, event: { type: 'metric', points: [{ key: m[1]!, value, step: Number(m[3]) }], attempt: null, ts } };
}

export function parseEventLine(line: string): ParseResult {
  if (line.startsWith('{"type":"metric","key":"')) {
    const fast = fastMetric(line);
    if (fast) return fast;
  }
  let obj: unknown;
  try {
    obj = parseLenient(line);
  } catch {
    return { ok: false, error: 'not valid JSON' };
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return { ok: false, error: 'not a JSON object' };
  const o = obj as Record<string, unknown>;
  const ts = parseTs(o.ts);
  if (ts === undefined) return { ok: false, error: `unreadable ts ${JSON.stringify(o.ts)?.slice(0, 40)}` };
  switch (o.type) {
    case 'metric': {
      const e = checkKey(o.key);
      if (e) return { ok: false, error: `metric ${e}` };
      const value = num(o.value);
      if (value === undefined) return { ok: false, error: `metric '${String(o.key)}' value must be a number, got ${JSON.stringify(o.value)?.slice(0, 40)}` };
      const step = parseStep(o.step);
      if (typeof step === 'string') return { ok: false, error: `metric '${String(o.key)}' ${step}` };
      const attempt = o.attempt === undefined ? null : o.attempt;
      if (attempt !== null && (typeof attempt !== 'number' || !Number.isInteger(attempt) || attempt < 0 || attempt > 2 ** 31)) return { ok: false, error: 'attempt must be a small integer' };
      return { ok: true, event: { type: 'metric', points: [{ key: o.key as string, value, step }], attempt: attempt as number | null, ts } };
    }
    case 'metrics': {
      if (typeof o.values !== 'object' || o.values === null || Array.isArray(o.values)) return { ok: false, error: 'metrics needs a "values" object' };
      const step = parseStep(o.step);
      if (typeof step === 'string') return { ok: false, error: `metrics ${step}` };
      const points: Array<{ key: string; value: number; step: number | null }> = [];
      for (const [key, raw] of Object.entries(o.values as Record<string, unknown>)) {
        const e = checkKey(key);
        if (e) return { ok: false, error: `metrics ${e}` };
        const value = num(raw);
        if (value === undefined) return { ok: false, error: `metric '${key}' value must be a number, got ${JSON.stringify(raw)?.slice(0, 40)}` };
        points.push({ key, value, step });
      }
      const attempt = o.attempt === undefined ? null : o.attempt;
      if (attempt !== null && (typeof attempt !== 'number' || !Number.isInteger(attempt) || attempt < 0)) return { ok: false, error: 'attempt must be a small integer' };
      return { ok: true, event: { type: 'metric', points, attempt: attempt as number | null, ts } };
    }
    case 'log': {
      if (typeof o.message !== 'string') return { ok: false, error: 'log needs a "message" string' };
      const level = typeof o.level === 'string' && LEVELS.has(o.level.toUpperCase()) ? o.level.toUpperCase().replace('WARNING', 'WARN') : 'INFO';
      return { ok: true, event: { type: 'log', level, message: o.message, ts } };
    }
    case 'param': {
      const e = checkKey(o.key);
      if (e) return { ok: false, error: `param ${e}` };
      return { ok: true, event: { type: 'params', values: { [o.key as string]: o.value ?? null } } };
    }
    case 'params': {
      if (typeof o.values !== 'object' || o.values === null || Array.isArray(o.values)) return { ok: false, error: 'params needs a "values" object' };
      for (const k of Object.keys(o.values)) {
        const e = checkKey(k);
        if (e) return { ok: false, error: `param ${e}` };
      }
      return { ok: true, event: { type: 'params', values: o.values as Record<string, unknown> } };
    }
    case 'tag': {
      const e = checkKey(o.key);
      if (e) return { ok: false, error: `tag ${e}` };
      if (typeof o.value !== 'string' || o.value.length > 4096) return { ok: false, error: 'tag value must be a string of at most 4096 characters' };
      return { ok: true, event: { type: 'tags', values: { [o.key as string]: o.value } } };
    }
    case 'progress': {
      const current = o.current;
      const total = o.total ?? null;
      if (typeof current !== 'number' || !Number.isFinite(current)) return { ok: false, error: 'progress needs a finite "current" number' };
      if (total !== null && (typeof total !== 'number' || !Number.isFinite(total) || total < 0)) return { ok: false, error: 'progress "total" must be a finite number >= 0' };
      return { ok: true, event: { type: 'progress', current, total: total as number | null } };
    }
    case 'artifact': {
      if (typeof o.path !== 'string' || o.path.length === 0 || o.path.length > 4096) return { ok: false, error: 'artifact needs a "path" string' };
      if (o.name !== undefined && o.name !== null && typeof o.name !== 'string') return { ok: false, error: 'artifact "name" must be a string' };
      if (o.sha256 !== undefined && o.sha256 !== null && (typeof o.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(o.sha256))) return { ok: false, error: 'artifact "sha256" must be 64 hex digits' };
      const kind = typeof o.kind === 'string' && o.kind.length > 0 ? o.kind.slice(0, 64) : 'file';
      return { ok: true, event: { type: 'artifact', path: o.path, name: (o.name as string | undefined) ?? null, kind, sha256: (o.sha256 as string | undefined)?.toLowerCase() ?? null } };
    }
    case 'status': {
      if (o.state !== 'succeeded' && o.state !== 'failed') return { ok: false, error: 'status "state" must be "succeeded" or "failed"' };
      return { ok: true, event: { type: 'status', state: o.state, message: typeof o.message === 'string' ? o.message.slice(0, 4096) : null } };
    }
    default:
      return { ok: false, error: o.type === undefined ? 'missing "type"' : `unknown type ${JSON.stringify(o.type).slice(0, 40)}` };
  }
}
