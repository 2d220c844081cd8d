import { randomBytes } from 'node:crypto';
import { UserError } from '@workbench/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { noVisionError, type LlmEngine } from '../engine/engine.js';
import type { ChatMessageIn, GenerateRequest, GenerateResult } from '../engine/types.js';
import { LazyStream, badInput, bodyOf, clientGone, describeError, num, stopList, str, type Body } from './http.js';
import { constraintFromResponseFormat } from './structured.js';
import { chatInput, forcedCallConstraint, readToolChoice, readTools, repliedCalls, type ToolCall } from './tools.js';

/**
 * The OpenAI-compatible API (chat completions, completions, models, embeddings), streaming as
 * server-sent events closed by `data: [DONE]`. Responses also carry llama.cpp server's
 * `timings` object (milliseconds), so clients get the engine's own prefill/decode figures.
 */
export function registerOpenAiRoutes(app: FastifyInstance, engine: LlmEngine): void {
  const sendError = (reply: FastifyReply, err: unknown) => {
    const d = describeError(err);
    return reply.code(d.status).send(openAiError(d));
  };

  const modelObject = (name: string, modified: Date) => ({ id: name, object: 'model', created: Math.floor(modified.getTime() / 1000), owned_by: 'workbench' });
  app.get('/v1/models', async () => ({ object: 'list', data: engine.models().map((m) => modelObject(m.name, m.modifiedAt)) }));
  app.get<{ Params: { id: string } }>('/v1/models/:id', async (req, reply) => {
    try {
      const m = engine.resolve(req.params.id);
      return modelObject(m.name, m.modifiedAt);
    } catch (err) {
      return sendError(reply, err);
    }
  });

  app.post('/v1/chat/completions', async (req, reply) => {
    const b = bodyOf(req);
    try {
      const model = requireModel(b);
      if (!Array.isArray(b.messages) || b.messages.length === 0) throw badInput('messages must be a non-empty list');
      // Tool results name their call by id; the template wants the tool's name.
      const callNames = new Map<string, string>();
      const messages = b.messages.map((m, i) => readMessage(m, i, callNames));
      if (messages.some((m) => m.images?.length)) throw noVisionError(model);
      const format = commonChecks(b);
      const tools = readTools(b.tools);
      const choice = readToolChoice(b.tool_choice, tools);
      const useTools = tools.length > 0 && choice.kind !== 'none';
      const forced = useTools ? forcedCallConstraint(tools, choice) : undefined;
      if (forced && format) throw badInput('response_format and a forced tool_choice cannot be combined: a forced call already has its own shape');
      const gen: GenerateRequest = { model, input: await chatInput(engine, model, messages, tools, useTools), constraint: forced ?? format, ...sampling(b, undefined) };
      const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
      const callsOf = (r: GenerateResult) => (useTools ? repliedCalls(r, tools) : undefined);
      const wireCall = (c: ToolCall) => ({ id: `call_${randomBytes(12).toString('hex')}`, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } });
      return await run(reply, engine, b, gen, {
        id,
        object: 'chat.completion',
        full: (text, r) => {
          const made = callsOf(r);
          const message = made ? { role: 'assistant', content: made.content || null, tool_calls: made.calls.map(wireCall) } : { role: 'assistant', content: text };
          return { choices: [{ index: 0, message, logprobs: null, finish_reason: made ? 'tool_calls' : r.doneReason }] };
        },
        first: () => ({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] }),
        delta: (text) => ({ choices: [{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }] }),
        finish: (r) => ({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: callsOf(r) ? 'tool_calls' : r.doneReason }] }),
        // With tools the reply is known to be a call or text only at its end, so it streams as one delta.
        ...(useTools
          ? {
              whole: (r: GenerateResult) => {
                const made = callsOf(r);
                const delta = made ? { ...(made.content ? { content: made.content } : {}), tool_calls: made.calls.map((c, index) => ({ index, ...wireCall(c) })) } : { content: r.text };
                return { choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] };
              },
            }
          : {}),
      });
    } catch (err) {
      return sendError(reply, err);
    }
  });

  // llama.cpp server's extension: the prompt the chat template makes of messages (and tools), without generating.
  app.post('/apply-template', async (req, reply) => {
    const b = bodyOf(req);
    try {
      // llama.cpp serves one model and takes none; here one is needed when several are served.
      const served = engine.models();
      const model = b.model === undefined && served.length === 1 ? served[0]!.name : requireModel(b);
      if (!Array.isArray(b.messages)) throw badInput('messages must be a list');
      const callNames = new Map<string, string>();
      const messages = b.messages.map((m, i) => readMessage(m, i, callNames));
      const tools = readTools(b.tools);
      const useTools = tools.length > 0 && readToolChoice(b.tool_choice, tools).kind !== 'none';
      const input = await chatInput(engine, model, messages, tools, useTools);
      return { prompt: (await engine.renderChat(model, input)).prompt };
    } catch (err) {
      return sendError(reply, err);
    }
  });

  app.post('/v1/completions', async (req, reply) => {
    const b = bodyOf(req);
    try {
      const model = requireModel(b);
      let prompt = b.prompt;
      if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') prompt = prompt[0];
      if (typeof prompt !== 'string') throw badInput('prompt must be a string (lists of prompts and token arrays are not supported)');
      if (b.suffix) throw new UserError('INVALID_INPUT', `model '${model}' does not support insert (suffix)`);
      if (b.echo === true) throw new UserError('INVALID_INPUT', 'echo is not supported');
      const constraint = commonChecks(b);
      // OpenAI's own default for this endpoint is 16 tokens.
      const gen: GenerateRequest = { model, input: { kind: 'raw', prompt }, constraint, ...sampling(b, 16) };
      const id = `cmpl-${randomBytes(12).toString('hex')}`;
      return await run(reply, engine, b, gen, {
        id,
        object: 'text_completion',
        full: (text, r) => ({ choices: [{ index: 0, text, logprobs: null, finish_reason: r.doneReason }] }),
        first: undefined,
        delta: (text) => ({ choices: [{ index: 0, text, logprobs: null, finish_reason: null }] }),
        finish: (r) => ({ choices: [{ index: 0, text: '', logprobs: null, finish_reason: r.doneReason }] }),
      });
    } catch (err) {
      return sendError(reply, err);
    }
  });

  app.post('/v1/embeddings', async (req, reply) => {
    const b = bodyOf(req);
    try {
      const model = requireModel(b);
      const inputs = typeof b.input === 'string' ? [b.input] : b.input;
      if (!Array.isArray(inputs) || !inputs.every((s) => typeof s === 'string')) throw badInput('input must be a string or a list of strings (token arrays are not supported)');
      const format = str(b.encoding_format, 'encoding_format') ?? 'float';
      if (format !== 'float' && format !== 'base64') throw badInput('encoding_format must be float or base64');
      const r = await engine.embed(model, inputs as string[], { signal: clientGone(reply) });
      return {
        object: 'list',
        data: r.embeddings.map((e, index) => ({ object: 'embedding', index, embedding: format === 'base64' ? Buffer.from(new Float32Array(e).buffer).toString('base64') : e })),
        model: r.model,
        usage: { prompt_tokens: r.promptTokens, total_tokens: r.promptTokens },
      };
    } catch (err) {
      return sendError(reply, err);
    }
  });
}

function openAiError(d: ReturnType<typeof describeError>) {
  const type = d.status === 404 ? 'not_found_error' : d.status < 500 ? 'invalid_request_error' : d.status === 503 ? 'server_overloaded' : 'api_error';
  return { error: { message: d.hint ? `${d.message} (${d.hint})` : d.message, type, param: null, code: d.code.toLowerCase() } };
}

function requireModel(b: Body): string {
  const m = str(b.model, 'model');
  if (!m) throw badInput('model is required');
  return m;
}

/** Checks both completion endpoints share; returns the output grammar response_format asks for. */
function commonChecks(b: Body) {
  const n = num(b.n, 'n');
  if (n !== undefined && n !== 1) throw badInput('n must be 1: one choice per request');
  return constraintFromResponseFormat(b.response_format);
}

function sampling(b: Body, defaultMax: number | undefined) {
  const out: Partial<GenerateRequest> = {};
  const max = num(b.max_completion_tokens, 'max_completion_tokens') ?? num(b.max_tokens, 'max_tokens') ?? defaultMax;
  if (max !== undefined) out.maxTokens = max;
  const t = num(b.temperature, 'temperature');
  if (t !== undefined) out.temperature = t;
  const p = num(b.top_p, 'top_p');
  if (p !== undefined) out.topP = p;
  const seed = num(b.seed, 'seed');
  if (seed !== undefined) out.seed = seed;
  const stop = stopList(b.stop, 'stop');
  if (stop) out.stop = stop;
  return out;
}

function readMessage(v: unknown, i: number, callNames: Map<string, string>): ChatMessageIn {
  const m = v as Body;
  if (!m || typeof m !== 'object') throw badInput(`messages[${i}] must be an object`);
  let role = m.role;
  if (role === 'developer') role = 'system';
  if (role !== 'system' && role !== 'user' && role !== 'assistant' && role !== 'tool') throw badInput(`messages[${i}].role must be system, developer, user, assistant or tool`);
  const read = readContent(m, i);
  let toolCalls: ToolCall[] | undefined;
  if (role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length)
    toolCalls = m.tool_calls.map((c: Body, k) => {
      const call = readCall(c, i, k);
      if (typeof c.id === 'string') callNames.set(c.id, call.name);
      return call;
    });
  const toolName = role === 'tool' ? (str(m.name, `messages[${i}].name`) ?? (typeof m.tool_call_id === 'string' ? callNames.get(m.tool_call_id) : undefined)) : undefined;
  return { role, ...read, ...(toolCalls ? { toolCalls } : {}), ...(toolName ? { toolName } : {}) };
}

function readCall(c: Body, i: number, k: number): ToolCall {
  const fn = c?.function as Body | undefined;
  if (typeof fn?.name !== 'string' || typeof fn.arguments !== 'string') throw badInput(`messages[${i}].tool_calls[${k}] must be {function: {name, arguments: string}}`);
  let args: unknown;
  try {
    args = JSON.parse(fn.arguments);
  } catch {
    throw badInput(`messages[${i}].tool_calls[${k}].function.arguments is not valid JSON`);
  }
  if (!args || typeof args !== 'object' || Array.isArray(args)) throw badInput(`messages[${i}].tool_calls[${k}].function.arguments must be a JSON object`);
  return { name: fn.name, arguments: args as Record<string, unknown> };
}

function readContent(m: Body, i: number): { content: string; images?: unknown[] } {
  if (typeof m.content === 'string' || m.content === null || m.content === undefined) return { content: (m.content as string | null) ?? '' };
  if (!Array.isArray(m.content)) throw badInput(`messages[${i}].content must be a string or a list of parts`);
  let content = '';
  const images: unknown[] = [];
  for (const part of m.content as Body[]) {
    if (part?.type === 'text' && typeof part.text === 'string') content += part.text;
    else if (part?.type === 'image_url') images.push(part.image_url);
    else throw badInput(`messages[${i}].content has a part of unsupported type ${JSON.stringify(part?.type)}`);
  }
  return { content, ...(images.length ? { images } : {}) };
}

/** llama.cpp server's `timings` block (milliseconds), from the engine's nanosecond counters. */
function timings(r: GenerateResult) {
  const promptMs = r.timings.promptEvalNs / 1e6;
  const predictedMs = r.timings.evalNs / 1e6;
  return {
    prompt_n: r.promptTokens,
    prompt_ms: promptMs,
    prompt_per_second: promptMs > 0 ? (r.promptTokens / promptMs) * 1000 : null,
    predicted_n: r.completionTokens,
    predicted_ms: predictedMs,
    predicted_per_second: predictedMs > 0 ? (r.completionTokens / predictedMs) * 1000 : null,
  };
}

const usage = (r: GenerateResult) => ({ prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens });

interface Shapes {
  id: string;
  object: 'chat.completion' | 'text_completion';
  full: (text: string, r: GenerateResult) => Body;
  first: (() => Body) | undefined;
  delta: (text: string) => Body;
  finish: (r: GenerateResult) => Body;
  /** Shapes the reply from the complete result: a stream then sends it as one delta at the end. */
  whole?: (r: GenerateResult) => Body;
}

async function run(reply: FastifyReply, engine: LlmEngine, b: Body, gen: GenerateRequest, s: Shapes) {
  const signal = clientGone(reply);
  const created = Math.floor(Date.now() / 1000);
  const head = { id: s.id, created, model: gen.model, system_fingerprint: 'workbench' };
  if (b.stream !== true) {
    const r = await engine.generate({ ...gen, signal });
    return reply.send({ ...head, object: s.object, ...s.full(r.text, r), usage: usage(r), timings: timings(r) });
  }
  const includeUsage = (b.stream_options as Body | undefined)?.include_usage === true;
  const chunkObject = s.object === 'chat.completion' ? 'chat.completion.chunk' : 'text_completion';
  const stream = new LazyStream(reply, 'text/event-stream');
  const send = (body: Body) => stream.write(`data: ${JSON.stringify({ ...head, object: chunkObject, ...body })}\n\n`);
  try {
    let first = true;
    const r = await engine.generate({
      ...gen,
      signal,
      ...(s.whole
        ? {}
        : {
            onText: (t: string) => {
              if (first && s.first) send(s.first());
              first = false;
              send(s.delta(t));
            },
          }),
    });
    if (first && s.first) send(s.first());
    if (s.whole && (r.text || r.toolCalls)) send(s.whole(r));
    send({ ...s.finish(r), timings: timings(r) });
    if (includeUsage) send({ choices: [], usage: usage(r) });
    stream.write('data: [DONE]\n\n');
    stream.end();
  } catch (err) {
    const d = describeError(err);
    if (!stream.isStarted) stream.fail(d.status, openAiError(d));
    else {
      stream.write(`data: ${JSON.stringify(openAiError(d))}\n\n`);
      stream.end();
    }
  }
  return reply;
}
