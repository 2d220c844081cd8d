import type { LlmEngine } from '../engine/engine.js';
import { templateHandlesTools } from '../engine/template-tools.js';
import type { ChatMessageIn, GenerateResult, GenerationInput, OutputConstraint } from '../engine/types.js';
import { badInput, type Body } from './http.js';
import { modelFacts } from './model-info.js';
import { grammarSchema } from './structured.js';

/** A function the client offers the model, as both APIs describe it. */
export interface ToolDef {
  name: string;
  description?: string;
  parameters: object;
}

export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

/**
 * How the model may use the tools: `auto` lets it choose (the chat template writes the tools in
 * the model's own format where it has one, else they are described in a system prompt; a reply
 * in the template's call syntax, or that is exactly a call JSON, is read as calls); `required`
 * and a named tool constrain the output with a grammar to a call; `none` leaves the tools out.
 */
export type ToolChoice = { kind: 'auto' } | { kind: 'none' } | { kind: 'required' } | { kind: 'named'; name: string };

export function readTools(v: unknown): ToolDef[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badInput('tools must be a list');
  const names = new Set<string>();
  return v.map((t: Body, i) => {
    const fn = t?.function as Body | undefined;
    if (!t || typeof t !== 'object' || (t.type !== undefined && t.type !== 'function') || !fn || typeof fn !== 'object') throw badInput(`tools[${i}] must be {type: "function", function: {name, parameters}}`);
    if (typeof fn.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(fn.name)) throw badInput(`tools[${i}].function.name must be 1-64 letters, digits, _ . or -`);
    if (names.has(fn.name)) throw badInput(`tools[${i}].function.name '${fn.name}' is given twice`);
    names.add(fn.name);
    const params = fn.parameters ?? { type: 'object', properties: {} };
    if (typeof params !== 'object' || Array.isArray(params)) throw badInput(`tools[${i}].function.parameters must be a JSON schema object`);
    return { name: fn.name, ...(typeof fn.description === 'string' ? { description: fn.description } : {}), parameters: params as object };
  });
}

export function readToolChoice(v: unknown, tools: ToolDef[]): ToolChoice {
  if (v === undefined || v === null || v === 'auto') return { kind: 'auto' };
  if (v === 'none') return { kind: 'none' };
  if (v === 'required') return { kind: 'required' };
  const name = ((v as Body)?.function as Body | undefined)?.name;
  if (typeof name !== 'string') throw badInput('tool_choice must be "auto", "none", "required" or {type: "function", function: {name}}');
  if (!tools.some((t) => t.name === name)) throw badInput(`tool_choice names '${name}', which is not among the tools`);
  return { kind: 'named', name };
}

/** The grammar that forces a call: `{"name": <a tool>, "arguments": <its parameters>}`. */
export function forcedCallConstraint(tools: ToolDef[], choice: ToolChoice): OutputConstraint | undefined {
  if (choice.kind !== 'required' && choice.kind !== 'named') return undefined;
  const allowed = choice.kind === 'named' ? tools.filter((t) => t.name === choice.name) : tools;
  const alternatives = allowed.map((t) => ({ type: 'object', properties: { name: { const: t.name }, arguments: grammarSchema(t.parameters, `the parameters of tool '${t.name}'`) } }));
  return { kind: 'json-schema', schema: alternatives.length === 1 ? alternatives[0]! : { oneOf: alternatives } };
}

/** The tools described to the model, in front of the conversation's own system prompt. */
export function withToolPrompt(messages: ChatMessageIn[], tools: ToolDef[]): ChatMessageIn[] {
  // Kept short: it comes before every turn, and small models have small contexts.
  const list = tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters }));
  const text = `To call a tool, reply only {"name": <tool>, "arguments": {...}}. Tools: ${JSON.stringify(list)}`;
  const [first, ...rest] = messages;
  if (first?.role === 'system') return [{ role: 'system', content: `${first.content}\n\n${text}` }, ...rest];
  return [{ role: 'system', content: text }, ...messages];
}

/** The reply read as a call when it is exactly one call JSON naming an offered tool. */
export function parseToolCall(text: string, tools: ToolDef[]): ToolCall | undefined {
  // Models often fence JSON in Markdown even when told not to.
  const t = text.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, '$1');
  if (!t.startsWith('{')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch {
    return undefined;
  }
  const o = v as Body;
  if (!o || typeof o !== 'object' || typeof o.name !== 'string' || !tools.some((x) => x.name === o.name)) return undefined;
  const args = o.arguments ?? {};
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return undefined;
  return { name: o.name, arguments: args as Record<string, unknown> };
}

/** A past call as the model would have written it, for the history. */
export function callAsText(calls: ToolCall[]): string {
  return calls.map((c) => JSON.stringify({ name: c.name, arguments: c.arguments })).join('\n');
}

export function toolResultText(content: string, name: string | undefined): string {
  return name ? `Result of tool ${name}: ${content}` : `Tool result: ${content}`;
}

/** Past calls and tool results as labelled text, for prompts without the template's tool format. */
export function flattenToolTurns(messages: ChatMessageIn[]): ChatMessageIn[] {
  return messages.map((m) => {
    if (m.role === 'assistant' && m.toolCalls?.length) return { role: m.role, content: [m.content, callAsText(m.toolCalls)].filter(Boolean).join('\n') };
    if (m.role === 'tool') return { role: m.role, content: toolResultText(m.content, m.toolName) };
    return m;
  });
}

/**
 * The chat input for a request: with tools, in the template's own tool format when the model's
 * template has one, else described in a system prompt; past calls and results likewise.
 */
export async function chatInput(engine: LlmEngine, model: string, messages: ChatMessageIn[], tools: ToolDef[], useTools: boolean): Promise<Extract<GenerationInput, { kind: 'chat' }>> {
  // Read from the file's metadata, not the loaded model: asking must not load it with another context.
  if (useTools && templateHandlesTools((await modelFacts(engine.resolve(model)).catch(() => undefined))?.chatTemplate)) return { kind: 'chat', messages, tools };
  const flat = flattenToolTurns(messages);
  return { kind: 'chat', messages: useTools ? withToolPrompt(flat, tools) : flat };
}

/** The calls a reply makes: read in the template's syntax by the engine, else a whole-reply call JSON. */
export function repliedCalls(r: GenerateResult, tools: ToolDef[]): { calls: ToolCall[]; content: string } | undefined {
  if (r.toolCalls?.calls.length) return r.toolCalls;
  const call = parseToolCall(r.text, tools);
  return call ? { calls: [call], content: '' } : undefined;
}
