import Ajv from 'ajv';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTinyServer, type TinyServer } from './testing.js';

// The tiny model has random weights: whatever it "wants" to write, the grammar decides what it may.
// Schemas here use bounded values (enums, booleans, consts) so the JSON closes well within the
// token limit; free strings run on with random weights, and that case is checked to end as 'length'.
const weather = {
  type: 'object',
  properties: { unit: { enum: ['celsius', 'fahrenheit'] }, rainy: { type: 'boolean' }, level: { enum: [1, 2, 3] }, where: { type: 'object', properties: { zone: { const: 'eu' } } } },
  required: ['unit', 'rainy', 'level', 'where'],
  additionalProperties: false,
} as const;
const lookupParams = { type: 'object', properties: { table: { enum: ['runs', 'models'] }, latest: { type: 'boolean' } }, required: ['table', 'latest'], additionalProperties: false } as const;
const pingParams = { type: 'object', properties: { loud: { type: 'boolean' } }, required: ['loud'], additionalProperties: false } as const;
const tools = [
  { type: 'function' as const, function: { name: 'lookup', description: 'find rows', parameters: lookupParams } },
  { type: 'function' as const, function: { name: 'ping', description: 'check the server', parameters: pingParams } },
];
const paramsOf: Record<string, object> = { lookup: lookupParams, ping: pingParams };

const ajv = new Ajv({ strict: false });
function expectValid(schema: object, value: unknown): void {
  const validate = ajv.compile(schema);
  expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
}

let srv: TinyServer;
beforeAll(async () => {
  // Tool descriptions take a few hundred byte-level tokens: room beyond the usual 512.
  srv = await startTinyServer({ modelOptions: { contextLength: 2048 } });
}, 60_000);
afterAll(async () => srv?.close());
const ollama = () => new Ollama({ host: srv.url });
const openai = () => new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'x', maxRetries: 0 });
const greedy = { temperature: 0, num_predict: 300 };

describe('structured output', () => {
  test('Ollama format with a JSON schema: the reply parses and validates', async () => {
    const r = await ollama().chat({ model: srv.model, messages: [{ role: 'user', content: 'weather?' }], format: weather, stream: false, options: greedy });
    expect(r.done_reason).toBe('stop');
    expectValid(weather, JSON.parse(r.message.content));
  });

  test('Ollama format "json" streamed: the pieces join into one JSON object', async () => {
    const stream = await ollama().generate({ model: srv.model, prompt: 'give json', format: 'json', stream: true, options: greedy });
    let text = '';
    let last: any;
    for await (const c of stream) {
      text += c.response;
      last = c;
    }
    expect(last.done_reason).toBe('stop');
    const v = JSON.parse(text);
    expect(typeof v).toBe('object');
    expect(Array.isArray(v)).toBe(false);
  });

  test('a reply cut short by num_predict is reported as length, not passed off as complete', async () => {
    const schema = { type: 'object', properties: { note: { type: 'string' } } };
    const r = await ollama().generate({ model: srv.model, prompt: 'note', format: schema, stream: false, options: { temperature: 0, num_predict: 20 } });
    expect(r.done_reason).toBe('length');
    expect(r.eval_count).toBe(20);
    expect(r.response.replace(/\s/g, '')).toMatch(/^\{"note":"/);
  });

  test('OpenAI response_format json_schema and json_object', async () => {
    const c = await openai().chat.completions.create({
      model: srv.model,
      messages: [{ role: 'user', content: 'weather?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'weather', schema: weather, strict: true } },
      temperature: 0,
      max_tokens: 300,
    });
    expect(c.choices[0]!.finish_reason).toBe('stop');
    expectValid(weather, JSON.parse(c.choices[0]!.message.content!));

    const s = await openai().chat.completions.create({ model: srv.model, messages: [{ role: 'user', content: 'json please' }], response_format: { type: 'json_object' }, temperature: 0, max_tokens: 300, stream: true });
    let text = '';
    let finish: string | null = null;
    for await (const ch of s) {
      text += ch.choices[0]?.delta.content ?? '';
      finish = ch.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('stop');
    expect(typeof JSON.parse(text)).toBe('object');
  });

  test('malformed formats are refused with 400', async () => {
    await expect(ollama().chat({ model: srv.model, messages: [{ role: 'user', content: 'x' }], format: 42 as any })).rejects.toMatchObject({ status_code: 400, error: expect.stringContaining('format must be') });
    await expect(openai().chat.completions.create({ model: srv.model, messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_schema' } as any })).rejects.toMatchObject({ status: 400 });
    await expect(openai().chat.completions.create({ model: srv.model, messages: [{ role: 'user', content: 'x' }], response_format: { type: 'yaml' } as any })).rejects.toMatchObject({ status: 400 });
  });

  test('schemas the grammar cannot enforce are refused, not silently loosened', async () => {
    const refused = async (format: object, message: RegExp) =>
      expect(ollama().generate({ model: srv.model, prompt: 'x', format, stream: false, options: { num_predict: 4 } })).rejects.toMatchObject({ status_code: 400, error: expect.stringMatching(message) });
    await refused({ type: 'object', properties: { code: { type: 'string', pattern: '^[A-Z]{3}$' } } }, /format\.properties\.code uses 'pattern', which structured output cannot enforce/);
    await refused({ type: 'object', properties: { n: { type: 'integer', minimum: 1 } } }, /uses 'minimum'/);
    await refused({ allOf: [{ type: 'object' }] }, /uses 'allOf'/);
    await refused({ type: 'object', properties: { a: { type: 'nonsense' } } }, /unknown type "nonsense"/);
    await refused({ $ref: 'https://example.com/schema.json' }, /must point into #\/\$defs\//);
    let deep: object = { type: 'boolean' };
    for (let i = 0; i < 600; i++) deep = { type: 'object', properties: { a: deep } };
    await refused(deep, /cannot be turned into a grammar: Maximum nesting/);
    await expect(
      openai().chat.completions.create({ model: srv.model, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { s: { type: 'string', format: 'email' } } } } }], tool_choice: 'required' }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringContaining("the parameters of tool 'f'.properties.s.format") });
  });

  test('anyOf, $defs/definitions refs, arrays and nullable types are enforced; /v1/completions takes response_format', async () => {
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      title: 'Pick',
      type: 'object',
      properties: { pick: { $ref: '#/definitions/choice' }, extra: { anyOf: [{ type: 'null' }, { type: 'boolean' }] }, tags: { type: 'array', items: { enum: ['x', 'y'] }, maxItems: 2 } },
      required: ['pick', 'extra', 'tags'],
      definitions: { choice: { enum: ['left', 'right'], description: 'a side' } },
    };
    const r = await ollama().chat({ model: srv.model, messages: [{ role: 'user', content: 'pick' }], format: schema, stream: false, options: greedy });
    expect(r.done_reason, r.message.content).toBe('stop');
    expectValid(schema, JSON.parse(r.message.content));

    const c = await openai().completions.create({ model: srv.model, prompt: 'data:', max_tokens: 200, temperature: 0, response_format: { type: 'json_schema', json_schema: { name: 'w', schema: weather } } } as any);
    expect(c.choices[0]!.finish_reason, c.choices[0]!.text).toBe('stop');
    expectValid(weather, JSON.parse(c.choices[0]!.text));
  });
});

describe('tool calling', () => {
  test('OpenAI tool_choice required: a well-formed call to one of the tools', async () => {
    const c = await openai().chat.completions.create({ model: srv.model, messages: [{ role: 'user', content: 'look it up' }], tools, tool_choice: 'required', temperature: 0, max_tokens: 300 });
    const choice = c.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.type).toBe('function');
    expect(call.id).toMatch(/^call_/);
    expect(Object.keys(paramsOf)).toContain(call.function.name);
    expectValid(paramsOf[call.function.name]!, JSON.parse(call.function.arguments));
  });

  test('OpenAI named tool, streamed as tool_calls deltas; the result goes back as a tool message', async () => {
    const s = await openai().chat.completions.create({ model: srv.model, messages: [{ role: 'user', content: 'ping' }], tools, tool_choice: { type: 'function', function: { name: 'ping' } }, temperature: 0, max_tokens: 300, stream: true });
    let name = '';
    let args = '';
    let id = '';
    let finish: string | null = null;
    for await (const ch of s) {
      for (const d of ch.choices[0]?.delta.tool_calls ?? []) {
        expect(d.index).toBe(0);
        id ||= d.id ?? '';
        name += d.function?.name ?? '';
        args += d.function?.arguments ?? '';
      }
      finish = ch.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(name).toBe('ping');
    expectValid(pingParams, JSON.parse(args));

    const next = await openai().chat.completions.create({
      model: srv.model,
      messages: [
        { role: 'user', content: 'ping' },
        { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name, arguments: args } }] },
        { role: 'tool', tool_call_id: id, content: '{"ok": true}' },
      ],
      tools,
      temperature: 0,
      max_tokens: 4,
    });
    expect(['stop', 'length', 'tool_calls']).toContain(next.choices[0]!.finish_reason);
    expect(next.usage!.prompt_tokens).toBeGreaterThan(0);
  });

  test('Ollama tools: forced through tool_choice, arguments as an object; tool results accepted', async () => {
    const req = { model: srv.model, messages: [{ role: 'user', content: 'find the latest runs' }], tools, tool_choice: 'required', options: greedy } as const;
    const r = await ollama().chat({ ...req, stream: false } as any);
    const call = r.message.tool_calls![0]!;
    expect(Object.keys(paramsOf)).toContain(call.function.name);
    expect(typeof call.function.arguments).toBe('object');
    expectValid(paramsOf[call.function.name]!, call.function.arguments);
    expect(r.message.content).toBe('');

    const stream = await ollama().chat({ ...req, stream: true } as any);
    const streamed: any[] = [];
    for await (const c of stream) streamed.push(...(c.message.tool_calls ?? []));
    expect(streamed).toEqual(r.message.tool_calls);

    const back = await ollama().chat({
      model: srv.model,
      messages: [...req.messages, { role: 'assistant', content: '', tool_calls: r.message.tool_calls }, { role: 'tool', content: '[{"id": 1}]', tool_name: call.function.name } as any],
      tools,
      stream: false,
      options: { temperature: 0, num_predict: 4 },
    });
    expect(back.done).toBe(true);
    expect(back.prompt_eval_count).toBeGreaterThan(0);
  });

  test('with tools and no forcing the model decides; random weights answer in text', async () => {
    const c = await openai().chat.completions.create({ model: srv.model, messages: [{ role: 'user', content: 'hello' }], tools, temperature: 0, max_tokens: 6 });
    expect(c.choices[0]!.finish_reason).toBe('length');
    expect(typeof c.choices[0]!.message.content).toBe('string');
    expect(c.choices[0]!.message.tool_calls).toBeUndefined();
  });

  test('a forced call cut short by max_tokens comes back as text with finish_reason length, not as a broken call', async () => {
    const note = { type: 'function' as const, function: { name: 'note', parameters: { type: 'object', properties: { text: { type: 'string' } } } } };
    const c = await openai().chat.completions.create({ model: srv.model, messages: [{ role: 'user', content: 'x' }], tools: [note], tool_choice: 'required', temperature: 0, max_tokens: 80 });
    expect(c.choices[0]!.finish_reason).toBe('length');
    expect(c.choices[0]!.message.tool_calls).toBeUndefined();
    expect(c.choices[0]!.message.content!.replace(/\s/g, '')).toMatch(/^\{"name":"note","arguments":\{"text":"/);
  });

  test('tool_choice none leaves the tools out', async () => {
    const withNone = await openai().chat.completions.create({ model: srv.model, messages: [{ role: 'user', content: 'hi' }], tools, tool_choice: 'none', temperature: 0, max_tokens: 3 });
    const without = await openai().chat.completions.create({ model: srv.model, messages: [{ role: 'user', content: 'hi' }], temperature: 0, max_tokens: 3 });
    const auto = await openai().chat.completions.create({ model: srv.model, messages: [{ role: 'user', content: 'hi' }], tools, temperature: 0, max_tokens: 3 });
    expect(withNone.usage!.prompt_tokens).toBe(without.usage!.prompt_tokens);
    expect(auto.usage!.prompt_tokens).toBeGreaterThan(without.usage!.prompt_tokens + 100);
  });

  test('bad tool requests are refused with 400', async () => {
    const base = { model: srv.model, messages: [{ role: 'user' as const, content: 'x' }] };
    await expect(openai().chat.completions.create({ ...base, tools, tool_choice: { type: 'function', function: { name: 'nope' } } })).rejects.toMatchObject({ status: 400, message: expect.stringContaining("'nope'") });
    await expect(openai().chat.completions.create({ ...base, tools: [tools[0]!, tools[0]!] })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('twice') });
    await expect(
      openai().chat.completions.create({ ...base, tools, tool_choice: 'required', response_format: { type: 'json_object' } }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringContaining('cannot be combined') });
    await expect(
      openai().chat.completions.create({ model: srv.model, messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'ping', arguments: '{oops' } }] }, { role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringContaining('not valid JSON') });
  });
});
