import { exchange, tryJson, type Exchange } from './http.js';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  id: string;
  api: 'ollama' | 'openai';
  title: string;
  status: CheckStatus;
  /** What was wrong (fail), why it did not run (skip), or what was seen (pass). */
  detail: string;
}

export interface ConformReport {
  url: string;
  model: string | undefined;
  apis: { ollama: boolean; openai: boolean };
  results: CheckResult[];
  passed: number;
  failed: number;
  skipped: number;
}

export interface ConformOptions {
  /** Model to exercise; default the first one the server lists. */
  model?: string;
  /** Per request. Default 120 s (first loads). */
  timeoutMs?: number;
  /** Tokens to ask for in generation checks. Default 8. */
  maxTokens?: number;
  /** Skip the unload/load check (it evicts the model). */
  skipUnload?: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** A failed expectation inside a check: its message becomes the report's detail. */
class Wrong extends Error {}
function expect(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Wrong(message);
}
class Skip extends Error {}

const NS_COUNTERS = ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration'] as const;

/**
 * Durations must be nanoseconds: integers no longer than the request took as seen from here,
 * and not a thousand or a million times too small (milliseconds or seconds).
 */
function checkDurations(final: Obj, wallNs: number): string {
  for (const k of NS_COUNTERS) if (k in final) expect(isInt(final[k]), `${k} must be a non-negative integer of nanoseconds, got ${JSON.stringify(final[k])}`);
  for (const k of ['total_duration', 'eval_duration'] as const) expect(k in final, `${k} is missing from the final object`);
  const total = final.total_duration as number;
  expect(total <= wallNs * 1.05 + 5e6, `total_duration ${total} ns is longer than the whole request took (${wallNs} ns): not nanoseconds?`);
  if (total < wallNs / 50) {
    const ratio = wallNs / Math.max(total, 1e-9);
    const unit = ratio < 3e4 ? 'microseconds' : ratio < 3e7 ? 'milliseconds' : 'seconds';
    throw new Wrong(`total_duration ${total} is far below the ${(wallNs / 1e6).toFixed(1)} ms the request took: it looks like ${unit}, Ollama's unit is nanoseconds`);
  }
  const parts = ((final.prompt_eval_duration as number) ?? 0) + ((final.eval_duration as number) ?? 0);
  expect(parts <= total * 1.01 + 1e6, `prompt_eval_duration + eval_duration (${parts}) exceed total_duration (${total})`);
  if (isInt(final.eval_count) && final.eval_count > 1) expect((final.eval_duration as number) > 0, 'eval_duration is 0 although tokens were generated');
  return `total ${(total / 1e6).toFixed(1)} ms of ${(wallNs / 1e6).toFixed(1)} ms wall`;
}

function parseNdjson(x: Exchange): Obj[] {
  const lines = x.text.split('\n').filter((l) => l.trim() !== '');
  expect(lines.length > 0, 'the stream is empty');
  return lines.map((l, i) => {
    const v = tryJson(l);
    expect(isObj(v), `line ${i + 1} is not a JSON object: ${l.slice(0, 80)}`);
    return v;
  });
}

function checkNdjsonStream(objs: Obj[], field: (o: Obj) => unknown): Obj {
  const last = objs.at(-1)!;
  expect(!('error' in last), `the stream ended with an error: ${JSON.stringify(last.error)}`);
  objs.slice(0, -1).forEach((o, i) => expect(o.done === false, `line ${i + 1}: every line before the last needs done: false, got ${JSON.stringify(o.done)}`));
  expect(last.done === true, `the last line needs done: true, got ${JSON.stringify(last.done)}`);
  expect(last.done_reason === 'stop' || last.done_reason === 'length', `done_reason must be "stop" or "length", got ${JSON.stringify(last.done_reason)}`);
  objs.forEach((o, i) => expect(typeof field(o) === 'string', `line ${i + 1}: the text field is not a string`));
  expect(isInt(last.prompt_eval_count) || last.prompt_eval_count === undefined, 'prompt_eval_count must be an integer');
  expect(isInt(last.eval_count), `eval_count must be an integer, got ${JSON.stringify(last.eval_count)}`);
  return last;
}

function parseSse(x: Exchange): { events: Obj[]; done: boolean } {
  const blocks = x.text.split(/\r?\n\r?\n/).filter((b) => b.trim() !== '');
  expect(blocks.length > 0, 'the event stream is empty');
  const events: Obj[] = [];
  let done = false;
  for (const [i, b] of blocks.entries()) {
    const data = b
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n');
    if (!data) continue; // comments and keep-alives
    expect(!done, 'events follow data: [DONE]');
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    const v = tryJson(data);
    expect(isObj(v), `event ${i + 1} is not a JSON object: ${data.slice(0, 80)}`);
    expect(!('error' in v), `the stream carried an error: ${JSON.stringify(v.error)}`);
    events.push(v);
  }
  return { events, done };
}

function checkUsage(u: unknown, where: string): Obj {
  expect(isObj(u), `${where}: usage is missing`);
  for (const k of ['prompt_tokens', 'completion_tokens', 'total_tokens']) expect(isInt(u[k]), `${where}: usage.${k} must be an integer, got ${JSON.stringify(u[k])}`);
  expect((u.total_tokens as number) === (u.prompt_tokens as number) + (u.completion_tokens as number), `${where}: usage.total_tokens is not prompt_tokens + completion_tokens`);
  return u;
}

function checkToolCalls(calls: unknown, api: 'ollama' | 'openai', offered: Record<string, Obj>): string[] {
  expect(Array.isArray(calls), 'tool_calls must be a list');
  const names: string[] = [];
  for (const c of calls as unknown[]) {
    expect(isObj(c) && isObj(c.function), 'each tool call needs a function object');
    const f = c.function as Obj;
    expect(typeof f.name === 'string', 'tool call function.name must be a string');
    const schema = offered[f.name];
    expect(schema, `the call names '${f.name}', which is not one of the tools offered (${Object.keys(offered).join(', ')})`);
    let args: unknown = f.arguments;
    if (api === 'ollama') expect(isObj(args), `Ollama tool call arguments must be an object, got ${JSON.stringify(args)?.slice(0, 60)}`);
    else {
      expect(typeof args === 'string', `OpenAI tool call arguments must be a JSON string, got ${typeof args}`);
      args = tryJson(args as string);
      expect(isObj(args), 'OpenAI tool call arguments must be a JSON object in a string');
      expect(typeof c.id === 'string' && c.type === 'function', 'OpenAI tool calls need an id and type "function"');
    }
    const why = schemaMismatch(schema, args, 'arguments');
    expect(!why, `tool call '${f.name}': ${why}`);
    names.push(f.name);
  }
  return names;
}

/**
 * Why a value does not match a schema, for the small subset the checks' own schemas use
 * (object with properties/required/additionalProperties, enum, boolean, string); '' when it does.
 */
function schemaMismatch(schema: Obj, v: unknown, at: string): string {
  if (Array.isArray(schema.enum)) return schema.enum.includes(v) ? '' : `${at} must be one of ${JSON.stringify(schema.enum)}, got ${JSON.stringify(v)}`;
  if (schema.type === 'boolean') return typeof v === 'boolean' ? '' : `${at} must be a boolean, got ${JSON.stringify(v)}`;
  if (schema.type === 'string') return typeof v === 'string' ? '' : `${at} must be a string, got ${JSON.stringify(v)}`;
  if (schema.type === 'object') {
    if (!isObj(v)) return `${at} must be an object, got ${JSON.stringify(v)?.slice(0, 60)}`;
    const props = (schema.properties ?? {}) as Record<string, Obj>;
    for (const k of (schema.required ?? []) as string[]) if (!(k in v)) return `${at}.${k} is missing`;
    for (const [k, val] of Object.entries(v)) {
      if (props[k]) {
        const why = schemaMismatch(props[k], val, `${at}.${k}`);
        if (why) return why;
      } else if (schema.additionalProperties === false) return `${at} has a property '${k}' the schema does not allow`;
    }
  }
  return '';
}

const WEATHER_TOOL = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

/** A tool whose arguments are all bounded choices, so a forced call closes within a few tokens. */
// Short schemas and descriptions: the checks must fit small test models' contexts too.
const LIGHTS_PARAMS = { type: 'object', properties: { room: { enum: ['kitchen', 'hall'] }, on: { type: 'boolean' } }, required: ['room', 'on'] };
const LIGHTS_TOOL = { type: 'function', function: { name: 'set_lights', description: 'Switch lights', parameters: LIGHTS_PARAMS } };
const FAN_PARAMS = { type: 'object', properties: { speed: { enum: [0, 1, 2] } }, required: ['speed'] };
const FAN_TOOL = { type: 'function', function: { name: 'set_fan', description: 'Set fan speed', parameters: FAN_PARAMS } };
const OFFERED: Record<string, Obj> = { get_weather: WEATHER_TOOL.function.parameters, set_lights: LIGHTS_PARAMS, set_fan: FAN_PARAMS };

/** The structured-output checks' schema: bounded values, so any model can close it quickly. */
const ANSWER_SCHEMA = { type: 'object', properties: { answer: { enum: ['yes', 'no'] }, sure: { type: 'boolean' } }, required: ['answer', 'sure'], additionalProperties: false };
/** Enough for the JSON above with room for whitespace; a model that cannot close it fails. */
const STRUCTURED_TOKENS = 256;

/** A structured reply: 4xx means the server refuses the feature (skip); 200 must be valid JSON of the schema. */
function checkStructured(x: Exchange, content: (v: Obj) => unknown, finish: (v: Obj) => unknown, schema: Obj | undefined): string {
  if (x.status >= 400 && x.status < 500) throw new Skip(`the server refuses structured output (HTTP ${x.status}: ${x.text.slice(0, 100)})`);
  expect(x.status === 200, `HTTP ${x.status}: ${x.text.slice(0, 120)}`);
  const v = tryJson(x.text);
  expect(isObj(v), 'the response is not a JSON object');
  const text = content(v);
  expect(typeof text === 'string', 'the reply has no text content');
  expect(finish(v) === 'stop', `the JSON did not close within ${STRUCTURED_TOKENS} tokens (finish ${JSON.stringify(finish(v))})`);
  const parsed = tryJson(text);
  expect(parsed !== undefined, `the reply is not JSON: ${text.slice(0, 80)}`);
  if (!schema) {
    expect(isObj(parsed), `the reply is JSON but not an object: ${text.slice(0, 80)}`);
    return text.slice(0, 60);
  }
  const why = schemaMismatch(schema, parsed, 'reply');
  expect(!why, why);
  return text.slice(0, 60);
}

/** Run every check that applies and report what the server gets wrong. */
export async function runConformance(url: string, opts: ConformOptions = {}): Promise<ConformReport> {
  const base = url.replace(/\/+$/, '').replace(/\/v1$/, '');
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const n = opts.maxTokens ?? 8;
  const results: CheckResult[] = [];
  const call = (method: 'GET' | 'POST', path: string, body?: unknown) => exchange(base, method, path, body, timeoutMs);

  const version = await call('GET', '/api/version').catch(() => undefined);
  const models = await call('GET', '/v1/models').catch(() => undefined);
  const apis = { ollama: version?.status === 200, openai: models?.status === 200 };
  if (!version && !models) throw Object.assign(new Error(`nothing answers at ${base}`), { code: 'UNAVAILABLE', exitCode: 9, hint: 'start the server, or check the URL' });

  let model = opts.model;
  let showCaps: string[] | undefined;
  const check = async (api: 'ollama' | 'openai', id: string, title: string, body: () => Promise<string>) => {
    try {
      results.push({ id, api, title, status: 'pass', detail: await body() });
    } catch (err) {
      if (err instanceof Skip) results.push({ id, api, title, status: 'skip', detail: err.message });
      else results.push({ id, api, title, status: 'fail', detail: err instanceof Wrong ? err.message : `request failed: ${(err as Error).message}` });
    }
  };
  const needModel = () => {
    if (!model) throw new Skip('no model to exercise (the server lists none; pass --model)');
    return model;
  };

  if (apis.ollama) {
    await check('ollama', 'version', '/api/version returns a version string', async () => {
      const v = tryJson(version!.text);
      expect(isObj(v) && typeof v.version === 'string', `expected {"version": "..."}, got ${version!.text.slice(0, 80)}`);
      return String(v.version);
    });
    await check('ollama', 'tags', '/api/tags lists models with name, size, digest, modified_at', async () => {
      const x = await call('GET', '/api/tags');
      expect(x.status === 200, `HTTP ${x.status}`);
      const v = tryJson(x.text);
      expect(isObj(v) && Array.isArray(v.models), 'expected {"models": [...]}');
      for (const m of v.models as unknown[]) {
        expect(isObj(m) && typeof m.name === 'string', 'each model needs a name');
        expect(isInt(m.size), `model ${m.name}: size must be an integer of bytes`);
        expect(typeof m.digest === 'string', `model ${m.name}: digest must be a string`);
        expect(typeof m.modified_at === 'string' && !Number.isNaN(Date.parse(m.modified_at)), `model ${m.name}: modified_at must be a timestamp`);
      }
      model ??= ((v.models as Obj[])[0]?.name as string | undefined) ?? undefined;
      return `${(v.models as unknown[]).length} model(s)`;
    });
    await check('ollama', 'show', '/api/show gives model_info with the context length', async () => {
      const x = await call('POST', '/api/show', { model: needModel() });
      expect(x.status === 200, `HTTP ${x.status}: ${x.text.slice(0, 120)}`);
      const v = tryJson(x.text);
      expect(isObj(v) && isObj(v.model_info), 'model_info is missing');
      const arch = v.model_info['general.architecture'];
      expect(typeof arch === 'string', 'model_info["general.architecture"] is missing');
      expect(isInt(v.model_info[`${arch}.context_length`]), `model_info["${arch}.context_length"] is missing`);
      if (Array.isArray(v.capabilities)) showCaps = v.capabilities as string[];
      return `${arch}, context ${v.model_info[`${arch}.context_length`]}`;
    });
    await check('ollama', 'generate-stream', '/api/generate streams NDJSON ending in done/done_reason', async () => {
      const x = await call('POST', '/api/generate', { model: needModel(), prompt: 'Say hello.', options: { num_predict: n, temperature: 0 } });
      expect(x.status === 200, `HTTP ${x.status}: ${x.text.slice(0, 120)}`);
      expect(/json/.test(x.contentType), `content-type should be application/x-ndjson, got ${x.contentType || 'none'}`);
      const objs = parseNdjson(x);
      const last = checkNdjsonStream(objs, (o) => o.response);
      return `${objs.length} lines, done_reason ${last.done_reason}`;
    });
    await check('ollama', 'durations', 'durations are nanoseconds, consistent with wall time', async () => {
      const x = await call('POST', '/api/generate', { model: needModel(), prompt: 'Count to three.', stream: false, options: { num_predict: n } });
      expect(x.status === 200, `HTTP ${x.status}`);
      const v = tryJson(x.text);
      expect(isObj(v) && v.done === true, 'stream: false must answer one object with done: true');
      return checkDurations(v, x.wallNs);
    });
    await check('ollama', 'num-predict', 'num_predict caps the tokens and sets done_reason "length"', async () => {
      const x = await call('POST', '/api/generate', { model: needModel(), prompt: 'Write a long story about the sea.', stream: false, raw: true, options: { num_predict: 3, temperature: 0 } });
      const v = tryJson(x.text);
      expect(isObj(v), `HTTP ${x.status}: not JSON`);
      expect(isInt(v.eval_count) && v.eval_count <= 3, `eval_count ${JSON.stringify(v.eval_count)} exceeds num_predict 3`);
      if (v.eval_count === 3) expect(v.done_reason === 'length', `stopping at num_predict should say done_reason "length", got ${JSON.stringify(v.done_reason)}`);
      return `eval_count ${v.eval_count}, done_reason ${v.done_reason}`;
    });
    await check('ollama', 'chat-stream', '/api/chat streams assistant messages', async () => {
      const x = await call('POST', '/api/chat', { model: needModel(), messages: [{ role: 'user', content: 'Hi!' }], options: { num_predict: n } });
      expect(x.status === 200, `HTTP ${x.status}: ${x.text.slice(0, 120)}`);
      const objs = parseNdjson(x);
      objs.forEach((o, i) => expect(isObj(o.message) && o.message.role === 'assistant', `line ${i + 1}: message.role must be "assistant"`));
      const last = checkNdjsonStream(objs, (o) => (o.message as Obj).content);
      return checkDurations(last, x.wallNs);
    });
    await check('ollama', 'ps', '/api/ps shows the loaded model with size, size_vram, expires_at', async () => {
      const x = await call('GET', '/api/ps');
      const v = tryJson(x.text);
      expect(isObj(v) && Array.isArray(v.models), 'expected {"models": [...]}');
      const m = (v.models as Obj[]).find((e) => e.name === model || e.model === model);
      expect(m, `the model just used (${model}) is not listed as loaded`);
      expect(isInt(m.size), 'size must be an integer of bytes');
      expect(isInt(m.size_vram), 'size_vram must be an integer of bytes');
      expect(typeof m.expires_at === 'string' && !Number.isNaN(Date.parse(m.expires_at)), 'expires_at must be a timestamp');
      return m.context_length === undefined ? 'no context_length (newer Ollama reports it)' : `context_length ${m.context_length}`;
    });
    if (!opts.skipUnload)
      await check('ollama', 'keep-alive', 'keep_alive 0 unloads, an empty request loads again', async () => {
        const m = needModel();
        const u = tryJson((await call('POST', '/api/generate', { model: m, keep_alive: 0 })).text);
        expect(isObj(u) && u.done === true && u.done_reason === 'unload', `expected done_reason "unload", got ${JSON.stringify(isObj(u) ? u.done_reason : u)}`);
        let listed = true;
        for (let i = 0; i < 50 && listed; i++) {
          const ps = tryJson((await call('GET', '/api/ps')).text) as { models?: Obj[] };
          listed = (ps.models ?? []).some((e) => e.name === m || e.model === m);
          if (listed) await new Promise((r) => setTimeout(r, 100));
        }
        expect(!listed, 'the model is still loaded 5 s after keep_alive: 0');
        const l = tryJson((await call('POST', '/api/generate', { model: m })).text);
        expect(isObj(l) && l.done === true && l.done_reason === 'load', `expected done_reason "load", got ${JSON.stringify(isObj(l) ? l.done_reason : l)}`);
        const ps = tryJson((await call('GET', '/api/ps')).text) as { models?: Obj[] };
        expect((ps.models ?? []).some((e) => e.name === m || e.model === m), 'the model is not listed after loading it');
        return 'unload and load';
      });
    await check('ollama', 'format-schema', '/api/chat with format as a JSON schema answers JSON of that schema', async () => {
      const x = await call('POST', '/api/chat', { model: needModel(), stream: false, format: ANSWER_SCHEMA, messages: [{ role: 'user', content: 'Is the sky blue? Answer in JSON.' }], options: { num_predict: STRUCTURED_TOKENS, temperature: 0 } });
      return checkStructured(x, (v) => (v.message as Obj | undefined)?.content, (v) => v.done_reason, ANSWER_SCHEMA);
    });
    await check('ollama', 'format-json', '/api/generate with format "json" answers a JSON object', async () => {
      const x = await call('POST', '/api/generate', { model: needModel(), stream: false, format: 'json', prompt: 'Describe the sea as a JSON object.', options: { num_predict: STRUCTURED_TOKENS, temperature: 0 } });
      return checkStructured(x, (v) => v.response, (v) => v.done_reason, undefined);
    });
    await check('ollama', 'tools', 'tool calls have Ollama\'s shape (when the model claims tools)', async () => {
      needModel();
      if (!showCaps?.includes('tools')) throw new Skip('the server does not claim tools for this model');
      const x = await call('POST', '/api/chat', { model, stream: false, messages: [{ role: 'user', content: 'What is the weather in Paris?' }], tools: [WEATHER_TOOL], options: { num_predict: STRUCTURED_TOKENS } });
      const v = tryJson(x.text);
      expect(isObj(v) && isObj(v.message), `HTTP ${x.status}: no message`);
      if (v.message.tool_calls === undefined || v.message.tool_calls === null) return 'no tool call made (shape not exercised)';
      return `called ${checkToolCalls(v.message.tool_calls, 'ollama', OFFERED).join(', ')}`;
    });
    await check('ollama', 'tools-forced', 'a requested tool call is well formed and its arguments match the schema', async () => {
      needModel();
      if (!showCaps?.includes('tools')) throw new Skip('the server does not claim tools for this model');
      // Ollama has no tool_choice and lets the model decide; servers that read one (Workbench) force the call.
      const x = await call('POST', '/api/chat', {
        model,
        stream: false,
        messages: [{ role: 'user', content: 'Turn the kitchen lights on. Use the set_lights tool.' }],
        tools: [LIGHTS_TOOL],
        tool_choice: 'required',
        options: { num_predict: STRUCTURED_TOKENS, temperature: 0 },
      });
      const v = tryJson(x.text);
      expect(isObj(v) && isObj(v.message), `HTTP ${x.status}: no message`);
      if (v.message.tool_calls === undefined || v.message.tool_calls === null) return 'the model answered in text (Ollama lets it decide)';
      const names = checkToolCalls(v.message.tool_calls, 'ollama', { set_lights: LIGHTS_PARAMS });
      return `called ${names.join(', ')}`;
    });
    await check('ollama', 'tool-result', 'a tool result sent back (role "tool") is accepted', async () => {
      needModel();
      if (!showCaps?.includes('tools')) throw new Skip('the server does not claim tools for this model');
      const x = await call('POST', '/api/chat', {
        model,
        stream: false,
        messages: [
          { role: 'user', content: 'Turn the kitchen lights on.' },
          { role: 'assistant', content: '', tool_calls: [{ function: { name: 'set_lights', arguments: { room: 'kitchen', on: true } } }] },
          { role: 'tool', content: '{"ok": true}', tool_name: 'set_lights' },
        ],
        tools: [LIGHTS_TOOL],
        options: { num_predict: n },
      });
      expect(x.status === 200, `HTTP ${x.status}: ${x.text.slice(0, 120)}`);
      const v = tryJson(x.text);
      expect(isObj(v) && isObj(v.message) && v.message.role === 'assistant' && v.done === true, 'expected one assistant message with done: true');
      return `done_reason ${v.done_reason}`;
    });
  }

  if (apis.openai) {
    await check('openai', 'models', '/v1/models is a list of model objects', async () => {
      const v = tryJson(models!.text);
      expect(isObj(v) && v.object === 'list' && Array.isArray(v.data), 'expected {"object": "list", "data": [...]}');
      for (const m of v.data as unknown[]) expect(isObj(m) && typeof m.id === 'string' && m.object === 'model', 'each entry needs id and object "model"');
      model ??= ((v.data as Obj[])[0]?.id as string | undefined) ?? undefined;
      return `${(v.data as unknown[]).length} model(s)`;
    });
    await check('openai', 'chat', '/v1/chat/completions answers with choices and usage', async () => {
      const x = await call('POST', '/v1/chat/completions', { model: needModel(), messages: [{ role: 'user', content: 'Hi!' }], max_tokens: n });
      expect(x.status === 200, `HTTP ${x.status}: ${x.text.slice(0, 120)}`);
      const v = tryJson(x.text);
      expect(isObj(v) && v.object === 'chat.completion', 'object must be "chat.completion"');
      expect(typeof v.id === 'string' && isInt(v.created), 'id and created (seconds) are required');
      const c = (v.choices as Obj[] | undefined)?.[0];
      expect(isObj(c) && isObj(c.message) && c.message.role === 'assistant' && typeof c.message.content === 'string', 'choices[0].message must be an assistant message');
      expect(c.finish_reason === 'stop' || c.finish_reason === 'length', `finish_reason must be "stop" or "length", got ${JSON.stringify(c.finish_reason)}`);
      const u = checkUsage(v.usage, 'response');
      expect((u.completion_tokens as number) <= n, `completion_tokens ${u.completion_tokens} exceed max_tokens ${n}`);
      return `${u.completion_tokens} tokens, ${c.finish_reason}`;
    });
    await check('openai', 'chat-stream', 'streaming is SSE chunks ending in data: [DONE], usage on request', async () => {
      const x = await call('POST', '/v1/chat/completions', { model: needModel(), messages: [{ role: 'user', content: 'Hi!' }], max_tokens: n, stream: true, stream_options: { include_usage: true } });
      expect(x.status === 200, `HTTP ${x.status}: ${x.text.slice(0, 120)}`);
      expect(x.contentType.startsWith('text/event-stream'), `content-type must be text/event-stream, got ${x.contentType || 'none'}`);
      const { events, done } = parseSse(x);
      expect(done, 'the stream does not end with data: [DONE]');
      events.forEach((e, i) => expect(e.object === 'chat.completion.chunk', `event ${i + 1}: object must be "chat.completion.chunk", got ${JSON.stringify(e.object)}`));
      const finishes = events.flatMap((e) => ((e.choices as Obj[]) ?? []).map((c) => c.finish_reason)).filter((f) => f !== null && f !== undefined);
      expect(finishes.length === 1, `exactly one chunk should carry a finish_reason, ${finishes.length} did`);
      const usage = events.filter((e) => e.usage !== undefined && e.usage !== null);
      expect(usage.length >= 1, 'stream_options.include_usage asked for a usage chunk; none came');
      checkUsage(usage.at(-1)!.usage, 'usage chunk');
      return `${events.length} chunks`;
    });
    await check('openai', 'max-tokens', 'max_tokens caps the tokens and sets finish_reason "length"', async () => {
      const x = await call('POST', '/v1/completions', { model: needModel(), prompt: 'Write a long story about the sea.', max_tokens: 3, temperature: 0 });
      expect(x.status === 200, `HTTP ${x.status}: ${x.text.slice(0, 120)}`);
      const v = tryJson(x.text);
      expect(isObj(v) && v.object === 'text_completion', 'object must be "text_completion"');
      const u = checkUsage(v.usage, 'response');
      const c = (v.choices as Obj[])[0]!;
      expect((u.completion_tokens as number) <= 3, `completion_tokens ${u.completion_tokens} exceed max_tokens 3`);
      if (u.completion_tokens === 3) expect(c.finish_reason === 'length', `finish_reason should be "length" at max_tokens, got ${JSON.stringify(c.finish_reason)}`);
      return `${u.completion_tokens} tokens, ${c.finish_reason}`;
    });
    await check('openai', 'embeddings', '/v1/embeddings returns vectors and usage', async () => {
      const x = await call('POST', '/v1/embeddings', { model: needModel(), input: ['one', 'two'] });
      if (x.status >= 400 && x.status < 500 && x.status !== 422) throw new Skip(`the server does not embed with this model (HTTP ${x.status})`);
      const v = tryJson(x.text);
      expect(isObj(v) && Array.isArray(v.data) && v.data.length === 2, 'expected two embeddings in data');
      for (const e of v.data as Obj[]) expect(Array.isArray(e.embedding) && e.embedding.every((f) => typeof f === 'number'), 'each embedding must be a list of numbers');
      return `${((v.data as Obj[])[0]!.embedding as unknown[]).length} dimensions`;
    });
    await check('openai', 'response-format', 'response_format json_schema answers JSON of that schema', async () => {
      const x = await call('POST', '/v1/chat/completions', {
        model: needModel(),
        messages: [{ role: 'user', content: 'Is the sky blue? Answer in JSON.' }],
        response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: ANSWER_SCHEMA, strict: true } },
        max_tokens: STRUCTURED_TOKENS,
        temperature: 0,
      });
      const first = (v: Obj) => (v.choices as Obj[] | undefined)?.[0];
      return checkStructured(x, (v) => (first(v)?.message as Obj | undefined)?.content, (v) => first(v)?.finish_reason, ANSWER_SCHEMA);
    });
    const toolsClaimed = () => {
      needModel();
      if (!showCaps?.includes('tools')) throw new Skip(apis.ollama ? 'the server does not claim tools for this model' : 'cannot tell whether the model has tools (no /api/show)');
    };
    await check('openai', 'tools', 'tool calls have OpenAI\'s shape (when the model claims tools)', async () => {
      toolsClaimed();
      const x = await call('POST', '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'What is the weather in Paris?' }], tools: [WEATHER_TOOL], max_tokens: STRUCTURED_TOKENS });
      const v = tryJson(x.text);
      const c = isObj(v) ? (v.choices as Obj[] | undefined)?.[0] : undefined;
      const msg = c?.message as Obj | undefined;
      expect(isObj(msg), `HTTP ${x.status}: no message`);
      if (msg.tool_calls === undefined || msg.tool_calls === null) return 'no tool call made (shape not exercised)';
      const names = checkToolCalls(msg.tool_calls, 'openai', OFFERED);
      expect(c!.finish_reason === 'tool_calls', `finish_reason must be "tool_calls" with a call, got ${JSON.stringify(c!.finish_reason)}`);
      return `called ${names.join(', ')}`;
    });
    await check('openai', 'tools-required', 'tool_choice "required" returns a call whose arguments match the schema', async () => {
      toolsClaimed();
      const x = await call('POST', '/v1/chat/completions', {
        model,
        messages: [{ role: 'user', content: 'Kitchen lights on.' }],
        tools: [FAN_TOOL, LIGHTS_TOOL],
        tool_choice: 'required',
        max_tokens: STRUCTURED_TOKENS,
        temperature: 0,
      });
      expect(x.status === 200, `HTTP ${x.status}: ${x.text.slice(0, 120)}`);
      const v = tryJson(x.text);
      const c = isObj(v) ? (v.choices as Obj[] | undefined)?.[0] : undefined;
      const msg = c?.message as Obj | undefined;
      expect(isObj(msg), 'no message');
      expect(Array.isArray(msg.tool_calls) && msg.tool_calls.length > 0, `tool_choice "required" must produce a call; got content ${JSON.stringify(msg.content)?.slice(0, 80)} (finish ${JSON.stringify(c!.finish_reason)})`);
      const names = checkToolCalls(msg.tool_calls, 'openai', { set_fan: FAN_PARAMS, set_lights: LIGHTS_PARAMS });
      expect(c!.finish_reason === 'tool_calls', `finish_reason must be "tool_calls" with a call, got ${JSON.stringify(c!.finish_reason)}`);
      return `called ${names.join(', ')}`;
    });
    await check('openai', 'tools-stream', 'a streamed forced call comes as tool_calls deltas', async () => {
      toolsClaimed();
      const x = await call('POST', '/v1/chat/completions', {
        model,
        messages: [{ role: 'user', content: 'Turn the hall lights off.' }],
        tools: [LIGHTS_TOOL],
        tool_choice: { type: 'function', function: { name: 'set_lights' } },
        max_tokens: STRUCTURED_TOKENS,
        temperature: 0,
        stream: true,
      });
      expect(x.status === 200, `HTTP ${x.status}: ${x.text.slice(0, 120)}`);
      const { events, done } = parseSse(x);
      expect(done, 'the stream does not end with data: [DONE]');
      let name = '';
      let args = '';
      let id = '';
      let finish: unknown;
      for (const e of events)
        for (const c of (e.choices as Obj[] | undefined) ?? []) {
          for (const d of ((c.delta as Obj | undefined)?.tool_calls as Obj[] | undefined) ?? []) {
            expect(isInt(d.index), 'each tool_calls delta needs an index');
            if (typeof d.id === 'string') id ||= d.id;
            const f = (d.function ?? {}) as Obj;
            if (typeof f.name === 'string') name += f.name;
            if (typeof f.arguments === 'string') args += f.arguments;
          }
          if (c.finish_reason !== null && c.finish_reason !== undefined) finish = c.finish_reason;
        }
      expect(name !== '', 'no tool_calls deltas with a function name came');
      checkToolCalls([{ id, type: 'function', function: { name, arguments: args } }], 'openai', { set_lights: LIGHTS_PARAMS });
      expect(finish === 'tool_calls', `the last chunk's finish_reason must be "tool_calls", got ${JSON.stringify(finish)}`);
      return `${name}(${args})`;
    });
    await check('openai', 'tool-result', 'a tool result sent back (role "tool") is accepted', async () => {
      toolsClaimed();
      const x = await call('POST', '/v1/chat/completions', {
        model,
        messages: [
          { role: 'user', content: 'Turn the kitchen lights on.' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'set_lights', arguments: '{"room":"kitchen","on":true}' } }] },
          { role: 'tool', tool_call_id: 'call_1', content: '{"ok": true}' },
        ],
        tools: [LIGHTS_TOOL],
        max_tokens: n,
      });
      expect(x.status === 200, `HTTP ${x.status}: ${x.text.slice(0, 120)}`);
      const v = tryJson(x.text);
      const c = isObj(v) ? (v.choices as Obj[] | undefined)?.[0] : undefined;
      expect(isObj(c) && isObj(c.message) && c.message.role === 'assistant', 'choices[0].message must be an assistant message');
      return `finish ${c.finish_reason}`;
    });
  }

  return {
    url: base,
    model,
    apis,
    results,
    passed: results.filter((r) => r.status === 'pass').length,
    failed: results.filter((r) => r.status === 'fail').length,
    skipped: results.filter((r) => r.status === 'skip').length,
  };
}
