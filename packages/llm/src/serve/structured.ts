import type { OutputConstraint } from '../engine/types.js';
import { badInput, type Body } from './http.js';

/** Ollama `format`: "json", or a JSON schema object; empty means free text. */
export function constraintFromOllamaFormat(format: unknown): OutputConstraint | undefined {
  if (format === undefined || format === null || format === '') return undefined;
  if (format === 'json') return { kind: 'json' };
  if (typeof format === 'object' && !Array.isArray(format)) return { kind: 'json-schema', schema: grammarSchema(format) };
  throw badInput('format must be "json" or a JSON schema object');
}

/** OpenAI `response_format`: text, json_object, or json_schema with its schema. */
export function constraintFromResponseFormat(v: unknown): OutputConstraint | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw badInput('response_format must be an object');
  const rf = v as Body;
  if (rf.type === 'text') return undefined;
  if (rf.type === 'json_object') return { kind: 'json' };
  if (rf.type === 'json_schema') {
    const js = rf.json_schema as Body | undefined;
    const schema = js?.schema;
    if (!schema || typeof schema !== 'object' || Array.isArray(schema)) throw badInput('response_format.json_schema.schema must be a JSON schema object');
    return { kind: 'json-schema', schema: grammarSchema(schema) };
  }
  throw badInput('response_format.type must be text, json_object or json_schema');
}

/**
 * A client's JSON schema in the form node-llama-cpp's grammar compiler reads: documentation
 * keywords dropped, and `anyOf` written as `oneOf` (the compiler knows only the latter, and any value
 * it then produces matches one alternative, which is what `anyOf` asks).
 */
export function grammarSchema(schema: object): object {
  if (Array.isArray(schema)) return schema.map((s: unknown) => (s && typeof s === 'object' ? grammarSchema(s) : s));
  const out: Body = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'description' || k === 'title' || k === 'examples' || k === '$schema' || k === 'default') continue;
    const key = k === 'anyOf' ? 'oneOf' : k;
    if (!v || typeof v !== 'object' || k === 'enum' || k === 'const') out[key] = v;
    else if (k === 'properties' || k === '$defs' || k === 'definitions')
      out[key] = Object.fromEntries(Object.entries(v as Body).map(([name, s]) => [name, s && typeof s === 'object' ? grammarSchema(s) : s]));
    else out[key] = grammarSchema(v);
  }
  return out;
}
