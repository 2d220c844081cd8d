import type { OutputConstraint } from '../engine/types.js';
import { badInput, type Body } from './http.js';

/** Ollama `format`: "json", or a JSON schema object; empty means free text. */
export function constraintFromOllamaFormat(format: unknown): OutputConstraint | undefined {
  if (format === undefined || format === null || format === '') return undefined;
  if (format === 'json') return { kind: 'json' };
  if (typeof format === 'object' && !Array.isArray(format)) return { kind: 'json-schema', schema: grammarSchema(format, 'format') };
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
    return { kind: 'json-schema', schema: grammarSchema(schema, 'response_format.json_schema.schema') };
  }
  throw badInput('response_format.type must be text, json_object or json_schema');
}

/** Keywords node-llama-cpp's grammar compiler enforces; anything else would silently loosen the grammar. */
const ENFORCED = new Set(['type', 'properties', 'required', 'additionalProperties', 'minProperties', 'maxProperties', 'items', 'prefixItems', 'minItems', 'maxItems', 'minLength', 'maxLength', 'format', 'enum', 'const', 'oneOf', '$defs', '$ref']);
/** Documentation only: dropped. */
const DOCS = new Set(['description', 'title', 'examples', 'default', '$schema', '$id', '$comment', 'deprecated', 'readOnly', 'writeOnly']);
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null', 'object', 'array']);
const FORMATS = new Set(['date-time', 'date', 'time']);

/**
 * A client's JSON schema in the form node-llama-cpp's grammar compiler reads: documentation
 * dropped, `anyOf` written as `oneOf` (any value the grammar then produces matches one
 * alternative, which is what `anyOf` asks) and `definitions` as `$defs`. A keyword the grammar
 * cannot enforce (pattern, minimum, allOf, …) is refused: ignoring it would produce JSON that
 * does not validate against the schema the client sent.
 */
export function grammarSchema(schema: object, at = 'schema'): object {
  if (Array.isArray(schema) || schema === null) throw badInput(`${at} must be a JSON schema object`);
  const out: Body = {};
  for (const [k, v] of Object.entries(schema)) {
    if (DOCS.has(k)) continue;
    const key = k === 'anyOf' ? 'oneOf' : k === 'definitions' ? '$defs' : k;
    if (!ENFORCED.has(key))
      throw badInput(`${at} uses '${k}', which structured output cannot enforce (it can: ${[...ENFORCED, 'anyOf'].join(', ')}; description and title are ignored)`);
    const where = `${at}.${k}`;
    if (key === 'type') {
      for (const t of Array.isArray(v) ? v : [v]) if (typeof t !== 'string' || !TYPES.has(t)) throw badInput(`${where} has an unknown type ${JSON.stringify(t)}`);
      out[key] = v;
    } else if (key === 'format') {
      if (typeof v !== 'string' || !FORMATS.has(v)) throw badInput(`${where} ${JSON.stringify(v)} cannot be enforced; formats: ${[...FORMATS].join(', ')}`);
      out[key] = v;
    } else if (key === '$ref') {
      const ref = typeof v === 'string' ? v.replace(/^#\/definitions\//, '#/$defs/') : undefined;
      if (!ref?.startsWith('#/$defs/')) throw badInput(`${where} must point into #/$defs/ (or #/definitions/)`);
      out[key] = ref;
    } else if (key === 'enum' || key === 'const' || key === 'required') out[key] = v;
    else if (key === 'properties' || key === '$defs') {
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw badInput(`${where} must be an object of schemas`);
      out[key] = Object.fromEntries(Object.entries(v as Body).map(([name, sub]) => [name, sub && typeof sub === 'object' ? grammarSchema(sub, `${where}.${name}`) : sub]));
    } else if (key === 'oneOf' || key === 'prefixItems') {
      if (!Array.isArray(v)) throw badInput(`${where} must be a list of schemas`);
      out[key] = v.map((sub, i) => grammarSchema(sub, `${where}[${i}]`));
    } else if (v && typeof v === 'object') out[key] = grammarSchema(v, where);
    else out[key] = v;
  }
  return out;
}
