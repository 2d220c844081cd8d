import { GgufError } from './errors.js';
import type { GgufValue } from './values.js';

type Meta = Record<string, GgufValue>;

/** A string metadata value, or undefined when absent; GGUF_INVALID when present with another type. */
export function metaString(meta: Meta, key: string): string | undefined {
  const v = meta[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new GgufError('GGUF_INVALID', `metadata '${key}' is not a string`);
  return v;
}

/**
 * A numeric metadata value as a JS number (64-bit integers beyond 2^53 are GGUF_LIMIT), or
 * undefined when absent; GGUF_INVALID when present with a non-numeric type.
 */
export function metaNumber(meta: Meta, key: string): number | undefined {
  const v = meta[key];
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') throw new GgufError('GGUF_LIMIT', `metadata '${key}' = ${v} does not fit in a JS number`);
  throw new GgufError('GGUF_INVALID', `metadata '${key}' is not a number`);
}

/** `general.architecture` (e.g. 'llama', 'qwen2'); GGUF_INVALID when missing. */
export function architecture(meta: Meta): string {
  const arch = metaString(meta, 'general.architecture');
  if (arch === undefined) throw new GgufError('GGUF_INVALID', `metadata 'general.architecture' is missing`);
  return arch;
}

/** The value of an architecture-scoped key: `archKey(meta, 'block_count')` is `meta['llama.block_count']` for a llama model. */
export function archKey(meta: Meta, key: string): GgufValue | undefined {
  return meta[`${architecture(meta)}.${key}`];
}

/** `archKey` as a number (see `metaNumber`). */
export function archNumber(meta: Meta, key: string): number | undefined {
  return metaNumber(meta, `${architecture(meta)}.${key}`);
}

/** A JSON value: what `metadataToJson` produces. */
export type GgufJsonValue = number | string | boolean | GgufJsonValue[] | { skipped: true; elementType: string; length: number };

/**
 * Metadata made safe for `JSON.stringify` (for an API response or `--json`): 64-bit integers
 * beyond 2^53 become decimal strings, non-finite floats become 'NaN' / 'Infinity' / '-Infinity'.
 */
export function metadataToJson(meta: Meta): Record<string, GgufJsonValue> {
  const conv = (v: GgufValue): GgufJsonValue => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    if (Array.isArray(v)) return v.map(conv);
    return v as GgufJsonValue;
  };
  const out: Record<string, GgufJsonValue> = {};
  for (const [k, v] of Object.entries(meta)) out[k] = conv(v);
  return out;
}
