import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelFunctions, ChatWrapper, GbnfJsonSchema, LlamaText } from 'node-llama-cpp';
import type { ChatMessageIn, ToolCallOut, ToolSpec } from './types.js';

/**
 * Tools in the model's own chat-template format: node-llama-cpp's chat wrapper for the model
 * (a specialised one such as Qwen's or Llama 3.1's, or the Jinja template itself) writes the
 * tool definitions and past calls the way the model was trained to read them, and its call
 * syntax (`settings.functions.call`) is how a call is read back out of the reply.
 */

/** Whether the model's chat template speaks of tools at all; if not, there is no own format to use. */
export function templateHandlesTools(chatTemplate: string | undefined): boolean {
  return typeof chatTemplate === 'string' && /\btools\b/.test(chatTemplate);
}

export function availableFunctions(tools: readonly ToolSpec[]): ChatModelFunctions {
  return Object.fromEntries(tools.map((t) => [t.name, { ...(t.description ? { description: t.description } : {}), params: t.parameters as GbnfJsonSchema }]));
}

/**
 * The conversation as node-llama-cpp chat history: an assistant turn's tool calls become
 * function-call items carrying the results of the tool turns that follow (matched by name,
 * else in order), so the template renders calls and results in its own syntax.
 */
export function historyWithTools(messages: readonly ChatMessageIn[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.role === 'system') history.push({ type: 'system', text: m.content });
    else if (m.role === 'user') history.push({ type: 'user', text: m.content });
    else if (m.role === 'assistant') {
      const response: Array<string | ChatModelFunctionCall> = m.content ? [m.content] : [];
      const calls = m.toolCalls ?? [];
      const results: ChatMessageIn[] = [];
      while (calls.length > 0 && messages[i + 1]?.role === 'tool') results.push(messages[++i]!);
      // Results that name their tool go to its call; the rest to the remaining calls in order.
      const paired: Array<ChatMessageIn | undefined> = calls.map((c) => {
        const k = results.findIndex((r) => r.toolName === c.name);
        return k >= 0 ? results.splice(k, 1)[0] : undefined;
      });
      calls.forEach((c, k) => {
        const r = paired[k] ?? results.splice(Math.max(0, results.findIndex((x) => !x.toolName || !calls.some((o) => o.name === x.toolName))), 1)[0];
        response.push({ type: 'functionCall', name: c.name, params: c.arguments, result: r === undefined ? null : resultValue(r.content), ...(k === 0 ? { startsNewChunk: true } : {}) });
      });
      history.push({ type: 'model', response });
      // Results with no call to belong to read as user turns, labelled.
      for (const r of results) history.push({ type: 'user', text: toolResultLabel(r) });
    } else history.push({ type: 'user', text: toolResultLabel(m) });
  }
  return history;
}

function toolResultLabel(m: ChatMessageIn): string {
  return m.toolName ? `Result of tool ${m.toolName}: ${m.content}` : `Tool result: ${m.content}`;
}

/** A tool result as a value: JSON when it is JSON, so the template can print it as the model expects. */
function resultValue(content: string): unknown {
  try {
    return JSON.parse(content);
  } catch {
    return content;
  }
}

/** Plain text of a wrapper setting (special-token text included, as the reply is read with it). */
function textOf(v: string | LlamaText | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  const json = v.toJSON();
  if (typeof json === 'string') return json;
  // Builtin special tokens (BOS, EOS) have no text in a reply; special-token text does.
  return json.map((x) => (typeof x === 'string' ? x : x.type === 'specialTokensText' ? x.value : '')).join('');
}

export interface TemplateCalls {
  calls: ToolCallOut[];
  /** Text the model wrote before its first call. */
  content: string;
}

/**
 * The calls in a reply written in the wrapper's call syntax, or undefined when the reply holds
 * none (or one that does not parse: then the reply is text). The closing suffix may be missing
 * at the end, where an end-of-generation token (Llama 3.1's <|eom_id|>) stopped the reply.
 */
export function readTemplateCalls(raw: string, wrapper: ChatWrapper, toolNames: readonly string[]): TemplateCalls | undefined {
  const f = wrapper.settings.functions;
  const prefixes = [textOf(f.call.prefix), ...(f.call.prefixAlternateMatches ?? []).map(textOf)].filter((p) => p.trim() !== '');
  if (f.call.optionalPrefixSpace) prefixes.push(...prefixes.map((p) => p.trimStart()));
  const sectionPrefixes = [textOf(f.parallelism?.call.sectionPrefix), ...(f.parallelism?.call.sectionPrefixAlternateMatches ?? []).map(textOf)].filter((p) => p !== '');
  const names = [...toolNames].sort((a, b) => b.length - a.length); // longest first: get_weather before get
  const at = (pos: number): { prefix: string; index: number } | undefined => {
    let best: { prefix: string; index: number } | undefined;
    for (const p of prefixes) {
      const i = raw.indexOf(p, pos);
      if (i >= 0 && (!best || i < best.index || (i === best.index && p.length > best.prefix.length))) best = { prefix: p, index: i };
    }
    return best;
  };
  const first = at(0);
  if (!first) return undefined;
  let content = raw.slice(0, first.index);
  for (const s of sectionPrefixes) if (content.trimEnd().endsWith(s.trim())) content = content.trimEnd().slice(0, content.trimEnd().length - s.trim().length);
  const calls: ToolCallOut[] = [];
  let pos = first.index + first.prefix.length;
  for (;;) {
    const call = readCall(raw, pos, names, f.call);
    if (!call) return calls.length ? { calls, content: content.trim() } : undefined;
    calls.push(call.call);
    pos = call.end;
    const next = at(pos);
    // Another call follows only across whitespace and the wrapper's separator.
    if (!next || raw.slice(pos, next.index).replace(textOf(f.parallelism?.call.betweenCalls), '').trim() !== '') break;
    pos = next.index + next.prefix.length;
  }
  return { calls, content: content.trim() };
}

function readCall(raw: string, pos: number, names: readonly string[], call: ChatWrapper['settings']['functions']['call']): { call: ToolCallOut; end: number } | undefined {
  for (const name of names) {
    if (!raw.startsWith(name, pos)) continue;
    const paramsPrefix = textOf(call.paramsPrefix).replaceAll('{{functionName}}', name);
    let p = pos + name.length;
    if (raw.startsWith(paramsPrefix, p)) p += paramsPrefix.length;
    else if (paramsPrefix.trim() && raw.slice(p).trimStart().startsWith(paramsPrefix.trim())) p = raw.length - raw.slice(p).trimStart().length + paramsPrefix.trim().length;
    else continue;
    const ws = raw.slice(p).length - raw.slice(p).trimStart().length;
    const end = jsonEnd(raw, p + ws);
    let args: unknown;
    const suffixText = textOf(call.suffix).replaceAll('{{functionName}}', name).trim();
    if (end === undefined) {
      // A call without parameters may write nothing there; anything else that does not parse is no call.
      const rest = raw.slice(p).trim();
      if (rest !== '' && !(suffixText && rest.startsWith(suffixText))) return undefined;
      args = {};
    } else {
      try {
        args = JSON.parse(raw.slice(p + ws, end));
      } catch {
        return undefined;
      }
    }
    if (args === null || args === '' || (call.emptyCallParamsPlaceholder !== undefined && JSON.stringify(args) === JSON.stringify(call.emptyCallParamsPlaceholder))) args = {};
    if (typeof args !== 'object' || Array.isArray(args)) return undefined;
    // The suffix may be missing or cut short where a stop token ended the reply.
    let after = end ?? p;
    const rest = raw.slice(after);
    if (suffixText && rest.trimStart().startsWith(suffixText)) after += rest.length - rest.trimStart().length + suffixText.length;
    return { call: { name, arguments: args as Record<string, unknown> }, end: after };
  }
  return undefined;
}

/** The end of the JSON value starting at `start` (objects, arrays, strings, literals), or undefined. */
function jsonEnd(s: string, start: number): number | undefined {
  const c = s[start];
  if (c !== '{' && c !== '[') {
    const m = /^(?:"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(s.slice(start));
    return m ? start + m[0].length : undefined;
  }
  let depth = 0;
  let inString = false;
  for (let i = start; i < s.length; i++) {
    const ch = s[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}
