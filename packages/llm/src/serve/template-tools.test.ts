import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTinyServer, type TinyServer } from './testing.js';

/**
 * A chat template with its own tool format, in the style of Qwen 2.5's: tools listed in
 * <tools>, calls in <tool_call>, results in <tool_response>. node-llama-cpp reads the call
 * syntax out of the template itself.
 */
const TOOL_TEMPLATE = [
  "{%- if tools %}<|im_start|>system",
  "{% if messages[0]['role'] == 'system' %}{{ messages[0]['content'] }}",
  "",
  "{% endif %}You can call these tools:",
  "<tools>",
  "{%- for tool in tools %}",
  "{{ tool | tojson }}",
  "{%- endfor %}",
  "</tools>",
  "To call one, reply with <tool_call>",
  "{\"name\": <tool name>, \"arguments\": <arguments as JSON>}",
  "</tool_call><|im_end|>",
  "{% endif %}",
  "{%- for message in messages %}",
  "{%- if message.role == 'tool' %}<|im_start|>user",
  "<tool_response>",
  "{{ message.content }}",
  "</tool_response><|im_end|>",
  "{% elif message.role == 'assistant' and message.tool_calls %}<|im_start|>assistant",
  "{% if message.content %}{{ message.content }}",
  "{% endif %}",
  "{%- for call in message.tool_calls %}<tool_call>",
  "{\"name\": \"{{ call.function.name }}\", \"arguments\": {{ call.function.arguments | tojson }}}",
  "</tool_call>",
  "{% endfor %}<|im_end|>",
  "{% elif not (message.role == 'system' and tools) %}<|im_start|>{{ message.role }}",
  "{{ message.content }}<|im_end|>",
  "{% endif %}",
  "{%- endfor %}",
  "{%- if add_generation_prompt %}<|im_start|>assistant",
  "{% endif %}"
].join('\n');

const weatherParams = { type: 'object', properties: { city: { enum: ['Oslo', 'Lima'] } }, required: ['city'], additionalProperties: false } as const;
const tools = [{ type: 'function' as const, function: { name: 'get_weather', description: 'Weather for a city', parameters: weatherParams } }];
const history = [
  { role: 'system' as const, content: 'be brief' },
  { role: 'user' as const, content: 'weather in Oslo?' },
  { role: 'assistant' as const, content: null, tool_calls: [{ id: 'call_1', type: 'function' as const, function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
  { role: 'tool' as const, tool_call_id: 'call_1', content: '{"temp": 4}' },
];

let toolful: TinyServer;
let plain: TinyServer;
beforeAll(async () => {
  // The template's own tool text takes a few hundred byte-level tokens.
  toolful = await startTinyServer({ name: 'toolful', modelOptions: { contextLength: 2048, chatTemplate: TOOL_TEMPLATE } });
  plain = await startTinyServer({ modelOptions: { contextLength: 2048 } });
}, 60_000);
afterAll(async () => {
  await toolful?.close();
  await plain?.close();
});

const applyTemplate = async (srv: TinyServer, body: object) => {
  const res = await fetch(`${srv.url}/apply-template`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { prompt: string }).prompt;
};

describe('tools in the chat template\'s own format', () => {
  test('a template with a tool format writes the tools, past calls and results itself', async () => {
    const prompt = await applyTemplate(toolful, { messages: history, tools });
    expect(prompt).toContain('<tools>{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city", "parameters": {"type": "object"');
    // The OpenAI tool message names its call by id only: the result still reaches that call.
    expect(prompt).toContain('<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>');
    expect(prompt).toMatch(/<tool_response>\n\{"temp": 4\}\n<\/tool_response>/);
    expect(prompt).not.toContain('To call a tool, reply only'); // no generic description on top
    expect(prompt).toMatch(/<\|im_start\|>assistant\n\s*$/);
    // tool_choice none: no tools in the prompt; past calls then read as labelled text.
    const none = await applyTemplate(toolful, { messages: history, tools, tool_choice: 'none' });
    expect(none).not.toContain('<tools>');
    expect(none).toContain('Result of tool get_weather: {"temp": 4}');
  });

  test('a template without one gets the tools described in a system prompt, as before', async () => {
    const prompt = await applyTemplate(plain, { model: plain.model, messages: history, tools });
    expect(prompt).toContain('To call a tool, reply only {"name": <tool>, "arguments": {...}}. Tools: [{"name":"get_weather"');
    expect(prompt).toContain('{"name":"get_weather","arguments":{"city":"Oslo"}}');
    expect(prompt).not.toContain('<tools>');
  });

  test('generation evaluates exactly that prompt, in both APIs', async () => {
    const rendered = await toolful.engine.renderChat('toolful', {
      kind: 'chat',
      messages: [{ role: 'user', content: 'weather in Lima?' }],
      tools: [{ name: 'get_weather', description: 'Weather for a city', parameters: weatherParams }],
    });
    const ollama = new Ollama({ host: toolful.url });
    const r = await ollama.chat({ model: 'toolful', messages: [{ role: 'user', content: 'weather in Lima?' }], tools, options: { temperature: 0, num_predict: 4 } });
    expect(r.prompt_eval_count).toBe(rendered.tokens);
    const openai = new OpenAI({ baseURL: `${toolful.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const c = await openai.chat.completions.create({ model: 'toolful', messages: [{ role: 'user', content: 'weather in Lima?' }], tools, temperature: 0, max_tokens: 4 });
    expect(c.usage?.prompt_tokens).toBe(rendered.tokens);
    // Random weights write no call: the reply is text.
    expect(c.choices[0]!.message.tool_calls).toBeUndefined();
  });

  test('a forced call still comes back well formed, with the template\'s tool text in the prompt', async () => {
    const openai = new OpenAI({ baseURL: `${toolful.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const c = await openai.chat.completions.create({ model: 'toolful', messages: history, tools, tool_choice: 'required', temperature: 0, max_tokens: 200 });
    expect(c.choices[0]!.finish_reason).toBe('tool_calls');
    const call = c.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.function.name).toBe('get_weather');
    expect(['Oslo', 'Lima']).toContain(JSON.parse(call.function.arguments).city);
    const ollama = new Ollama({ host: toolful.url });
    const r = await ollama.chat({ model: 'toolful', messages: [{ role: 'user', content: 'weather?' }], tools, tool_choice: 'required', options: { temperature: 0, num_predict: 200 } } as never);
    expect(r.message.tool_calls?.[0]?.function).toMatchObject({ name: 'get_weather', arguments: { city: expect.stringMatching(/^(Oslo|Lima)$/) } });
  });

  test('calls the engine read in the template\'s syntax come back in each API\'s shape, streamed or not', async () => {
    // Random weights cannot write a call, so the real generation runs and its result is given the
    // calls the engine's reader finds in such a reply (that reader is tested on its own).
    const engine = toolful.engine;
    const generate = engine.generate.bind(engine);
    engine.generate = async (req) => ({
      ...(await generate(req)),
      toolCalls: { calls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }, { name: 'get_weather', arguments: { city: 'Lima' } }], content: 'Checking both.' },
    });
    try {
      const openai = new OpenAI({ baseURL: `${toolful.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const c = await openai.chat.completions.create({ model: 'toolful', messages: [{ role: 'user', content: 'Oslo and Lima?' }], tools, max_tokens: 2 });
      expect(c.choices[0]!.finish_reason).toBe('tool_calls');
      expect(c.choices[0]!.message.content).toBe('Checking both.');
      expect(c.choices[0]!.message.tool_calls!.map((t) => (t as OpenAI.ChatCompletionMessageFunctionToolCall).function)).toEqual([
        { name: 'get_weather', arguments: '{"city":"Oslo"}' },
        { name: 'get_weather', arguments: '{"city":"Lima"}' },
      ]);
      const s = await openai.chat.completions.create({ model: 'toolful', messages: [{ role: 'user', content: 'Oslo and Lima?' }], tools, max_tokens: 2, stream: true });
      const deltas: Array<{ index: number; name?: string }> = [];
      let finish: string | null | undefined;
      for await (const ch of s) {
        for (const d of ch.choices[0]?.delta.tool_calls ?? []) deltas.push({ index: d.index, name: d.function?.name });
        finish = ch.choices[0]?.finish_reason ?? finish;
      }
      expect(deltas).toEqual([{ index: 0, name: 'get_weather' }, { index: 1, name: 'get_weather' }]);
      expect(finish).toBe('tool_calls');
      const ollama = new Ollama({ host: toolful.url });
      const r = await ollama.chat({ model: 'toolful', messages: [{ role: 'user', content: 'Oslo and Lima?' }], tools, options: { num_predict: 2 } });
      expect(r.message.content).toBe('Checking both.');
      expect(r.message.tool_calls).toEqual([{ function: { name: 'get_weather', arguments: { city: 'Oslo' } } }, { function: { name: 'get_weather', arguments: { city: 'Lima' } } }]);
    } finally {
      engine.generate = generate;
    }
  });

  test('apply-template refuses what chat refuses', async () => {
    const res = await fetch(`${toolful.url}/apply-template`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'wizard', content: 'x' }] }) });
    expect(res.status).toBe(400);
    const noModel = await fetch(`${toolful.url}/apply-template`, { method: 'POST', body: JSON.stringify({ model: 'nope', messages: [] }) });
    expect(noModel.status).toBe(404);
  });
});
