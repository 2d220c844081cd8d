import { describe, expect, test } from 'vitest';
import { forcedCallConstraint, parseToolCall, readToolChoice, readTools, withToolPrompt } from './tools.js';

const tools = readTools([
  { type: 'function', function: { name: 'lookup', description: 'find rows', parameters: { type: 'object', properties: { q: { type: 'string', description: 'query' } } } } },
  { type: 'function', function: { name: 'ping' } },
]);

describe('tool calls read from a reply', () => {
  test('exactly one call JSON naming an offered tool, bare or fenced', () => {
    expect(parseToolCall('{"name": "lookup", "arguments": {"q": "runs"}}', tools)).toEqual({ name: 'lookup', arguments: { q: 'runs' } });
    expect(parseToolCall('```json\n{"name": "ping", "arguments": {}}\n```', tools)).toEqual({ name: 'ping', arguments: {} });
    expect(parseToolCall(' {"name": "ping"} ', tools)).toEqual({ name: 'ping', arguments: {} });
  });
  test('anything else stays text', () => {
    for (const text of ['hello', '{"name": "nope", "arguments": {}}', '{"name": "ping", "arguments": [1]}', '{"name": "ping", "arguments": "x"}', 'Sure: {"name": "ping"}', '{"name": "ping"', '[]', 'null'])
      expect(parseToolCall(text, tools), text).toBeUndefined();
  });
});

describe('tool requests', () => {
  test('a forced choice is a grammar over the allowed tools, without documentation keywords', () => {
    expect(forcedCallConstraint(tools, { kind: 'named', name: 'ping' })).toEqual({ kind: 'json-schema', schema: { type: 'object', properties: { name: { const: 'ping' }, arguments: { type: 'object', properties: {} } } } });
    const both = forcedCallConstraint(tools, { kind: 'required' }) as { schema: { oneOf: { properties: { arguments: object } }[] } };
    expect(both.schema.oneOf).toHaveLength(2);
    expect(both.schema.oneOf[0]!.properties.arguments).toEqual({ type: 'object', properties: { q: { type: 'string' } } });
    expect(forcedCallConstraint(tools, { kind: 'auto' })).toBeUndefined();
  });
  test('the tool list joins the conversation system prompt', () => {
    const m = withToolPrompt([{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }], tools);
    expect(m).toHaveLength(2);
    expect(m[0]!.content).toMatch(/^be brief\n\nTo call a tool/);
    expect(m[0]!.content).toContain('"name":"lookup"');
    expect(withToolPrompt([{ role: 'user', content: 'hi' }], tools)[0]!.role).toBe('system');
  });
  test('malformed tools and choices are input errors', () => {
    expect(() => readTools({})).toThrow(/tools must be a list/);
    expect(() => readTools([{ type: 'retrieval' }])).toThrow(/tools\[0\]/);
    expect(() => readTools([{ type: 'function', function: { name: '../etc' } }])).toThrow(/function.name/);
    expect(() => readTools([{ type: 'function', function: { name: 'a', parameters: 'x' } }])).toThrow(/parameters must be a JSON schema object/);
    expect(() => readToolChoice('sometimes', tools)).toThrow(/tool_choice must be/);
    expect(readToolChoice({ type: 'function', function: { name: 'ping' } }, tools)).toEqual({ kind: 'named', name: 'ping' });
  });
});
