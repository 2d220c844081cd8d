import { FunctionaryChatWrapper, GeneralChatWrapper, Llama3_1ChatWrapper, Llama3_2LightweightChatWrapper, MistralChatWrapper, QwenChatWrapper, type ChatWrapper, type LlamaText } from 'node-llama-cpp';
import { describe, expect, test } from 'vitest';
import { availableFunctions, historyWithTools, readTemplateCalls, templateHandlesTools } from './template-tools.js';

// node-llama-cpp's own chat wrappers write the calls: what is read back must be what they wrote.
const wrappers: Array<[string, ChatWrapper]> = [
  ['Qwen', new QwenChatWrapper()],
  ['Llama 3.1', new Llama3_1ChatWrapper()],
  ['Llama 3.2 lightweight', new Llama3_2LightweightChatWrapper()],
  ['Mistral', new MistralChatWrapper()],
  ['Functionary', new FunctionaryChatWrapper()],
  ['General', new GeneralChatWrapper()],
];
const names = ['get_weather', 'get', 'set_lights'];

/** A LlamaText as the engine reads a reply: special-token text included, builtin tokens (EOS) not. */
function asReply(t: LlamaText): string {
  const json = t.toJSON();
  return typeof json === 'string' ? json : json.map((x) => (typeof x === 'string' ? x : x.type === 'specialTokensText' ? x.value : '')).join('');
}

describe('calls read in the chat wrapper\'s own syntax', () => {
  for (const [label, w] of wrappers)
    test(`${label}: a call the wrapper writes reads back, with the text before it`, () => {
      const call = asReply(w.generateFunctionCall('get_weather', { city: 'Oslo', days: [1, 2], nested: { q: 'a "quoted" } brace' } }));
      expect(readTemplateCalls(call, w, names)).toEqual({ calls: [{ name: 'get_weather', arguments: { city: 'Oslo', days: [1, 2], nested: { q: 'a "quoted" } brace' } } }], content: '' });
      // A name that is a prefix of another tool's name is not confused with it.
      expect(readTemplateCalls(asReply(w.generateFunctionCall('get', { id: 3 })), w, names)?.calls).toEqual([{ name: 'get', arguments: { id: 3 } }]);
      const withText = readTemplateCalls(`Let me check.\n${call}`, w, names);
      expect(withText?.calls.map((c) => c.name)).toEqual(['get_weather']);
      expect(withText?.content).toBe('Let me check.');
    });

  test('parallel calls: Qwen (one <tool_call> block each) and Mistral ([TOOL_CALLS][…, …])', () => {
    const qwen = new QwenChatWrapper();
    const a = asReply(qwen.generateFunctionCall('get_weather', { city: 'Oslo' }));
    const b = asReply(qwen.generateFunctionCall('set_lights', { on: true }));
    expect(readTemplateCalls(`${a}\n${b}`, qwen, names)?.calls).toEqual([
      { name: 'get_weather', arguments: { city: 'Oslo' } },
      { name: 'set_lights', arguments: { on: true } },
    ]);
    const mistral = new MistralChatWrapper();
    const m = readTemplateCalls('[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Oslo"}}, {"name": "get", "arguments": {}}]', mistral, names);
    expect(m).toEqual({ calls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }, { name: 'get', arguments: {} }], content: '' });
  });

  test('a suffix cut off by an end-of-generation token still reads (Llama 3.1 stops on <|eom_id|>)', () => {
    expect(readTemplateCalls('<function=get_weather>{"city": "Oslo"}', new Llama3_1ChatWrapper(), names)?.calls).toEqual([{ name: 'get_weather', arguments: { city: 'Oslo' } }]);
    expect(readTemplateCalls('<tool_call>\n{"name": "get", "arguments": {"id": 1}}', new QwenChatWrapper(), names)?.calls).toEqual([{ name: 'get', arguments: { id: 1 } }]);
  });

  test('anything else is text: no call, an unknown tool, parameters that do not parse or are not an object', () => {
    const qwen = new QwenChatWrapper();
    for (const reply of [
      'The weather in Oslo is mild.',
      '<tool_call>\n{"name": "delete_everything", "arguments": {}}\n</tool_call>',
      '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Os\n</tool_call>',
      '<tool_call>\n{"name": "get_weather", "arguments": [1, 2]}\n</tool_call>',
      '{"name": "get_weather", "arguments": {"city": "Oslo"}}', // JSON without the tag is not Qwen's call syntax
    ])
      expect(readTemplateCalls(reply, qwen, names), reply).toBeUndefined();
    // A second, broken call after a good one keeps the good one.
    const good = asReply(qwen.generateFunctionCall('get', { id: 1 }));
    expect(readTemplateCalls(`${good}\n<tool_call>\n{"name": "get", "arguments": {oops`, qwen, names)?.calls).toEqual([{ name: 'get', arguments: { id: 1 } }]);
  });
});

describe('definitions and history in the template\'s format', () => {
  test('a template has its own tool format only when it speaks of tools', () => {
    expect(templateHandlesTools('{% if tools %}{{ tools | tojson }}{% endif %}{% for m in messages %}…{% endfor %}')).toBe(true);
    expect(templateHandlesTools("{% for message in messages %}{{'<|im_start|>' + message['role']}}{% endfor %}")).toBe(false);
    expect(templateHandlesTools(undefined)).toBe(false);
  });

  test('Qwen: tools in <tools>, a past call in <tool_call> and its result in <tool_response>', () => {
    const qwen = new QwenChatWrapper();
    const history = historyWithTools([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'weather in Oslo?' },
      { role: 'assistant', content: '', toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] },
      { role: 'tool', content: '{"temp": 4}', toolName: 'get_weather' },
    ]);
    const state = qwen.generateContextState({
      chatHistory: [...history, { type: 'model', response: [] }],
      availableFunctions: availableFunctions([{ name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } }]),
    });
    const text = asReply(state.contextText);
    expect(text).toContain('<tools>\n{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city"');
    expect(text).toContain('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>');
    expect(text).toMatch(/<tool_response>\s*\{"temp": 4\}\s*<\/tool_response>/);
    expect(text.indexOf('be brief')).toBeLessThan(text.indexOf('weather in Oslo?'));
  });

  test('results pair with their calls by name, else in order; a result with no call is a labelled user turn', () => {
    const history = historyWithTools([
      { role: 'user', content: 'both' },
      { role: 'assistant', content: 'checking', toolCalls: [{ name: 'a', arguments: {} }, { name: 'b', arguments: { x: 1 } }] },
      { role: 'tool', content: 'B', toolName: 'b' },
      { role: 'tool', content: '"A"' },
      { role: 'tool', content: 'stray', toolName: 'c' },
    ]);
    expect(history).toEqual([
      { type: 'user', text: 'both' },
      {
        type: 'model',
        response: ['checking', { type: 'functionCall', name: 'a', params: {}, result: 'A', startsNewChunk: true }, { type: 'functionCall', name: 'b', params: { x: 1 }, result: 'B' }],
      },
      { type: 'user', text: 'Result of tool c: stray' },
    ]);
  });
});
