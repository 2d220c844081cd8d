import { UserError } from '@workbench/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { noVisionError, type LlmEngine } from '../engine/engine.js';
import { parseKeepAlive } from '../engine/keep-alive.js';
import type { ChatMessageIn, GenerateRequest, GenerateResult, SamplingOptions } from '../engine/types.js';
import { LazyStream, badInput, bodyOf, clientGone, describeError, num, nowIso, stopList, str, type Body } from './http.js';
import { modelFacts } from './model-info.js';
import { constraintFromOllamaFormat } from './structured.js';
import { chatInput, forcedCallConstraint, readToolChoice, readTools, repliedCalls, type ToolCall } from './tools.js';

/**
 * Ollama's native API (https://github.com/ollama/ollama/blob/main/docs/api.md): same paths,
 * field names and units — durations in nanoseconds, streaming as NDJSON, `done`/`done_reason`.
 */
export function registerOllamaRoutes(app: FastifyInstance, engine: LlmEngine, version: string): void {
  const sendError = (reply: FastifyReply, err: unknown) => {
    const d = describeError(err);
    return reply.code(d.status).send({ error: d.hint ? `${d.message} (${d.hint})` : d.message });
  };

  app.get('/', async (_req, reply) => reply.type('text/plain').send('Ollama is running'));
  app.get('/api/version', async () => ({ version, server: 'workbench' }));

  app.get('/api/tags', async () => ({
    models: await Promise.all(
      engine.models().map(async (m) => ({
        name: m.name,
        model: m.name,
        modified_at: m.modifiedAt.toISOString(),
        size: m.sizeBytes,
        digest: m.digest,
        details: (await modelFacts(m).catch(() => undefined))?.details ?? {},
      })),
    ),
  }));

  app.get('/api/ps', async () => ({
    models: await Promise.all(
      engine.running().map(async (r) => {
        const entry = engine.resolve(r.name);
        return {
          name: r.name,
          model: r.name,
          size: r.sizeBytes,
          digest: entry.digest,
          details: (await modelFacts(entry).catch(() => undefined))?.details ?? {},
          // Ollama writes a far-future time for models kept loaded forever.
          expires_at: (r.expiresAt ?? new Date('2318-01-01T00:00:00Z')).toISOString(),
          size_vram: r.vramBytes,
          context_length: r.contextLength,
        };
      }),
    ),
  }));

  app.post('/api/show', async (req, reply) => {
    try {
      const b = bodyOf(req);
      const name = str(b.model, 'model') ?? str(b.name, 'name');
      if (!name) throw badInput('model is required');
      const entry = engine.resolve(name);
      const f = await modelFacts(entry);
      return {
        license: '',
        modelfile: `# served by Workbench from ${entry.path}\nFROM ${entry.path}\n`,
        parameters: '',
        template: f.chatTemplate ?? '',
        details: f.details,
        model_info: f.modelInfo,
        capabilities: f.embeddingOnly ? ['embedding'] : ['completion', 'tools'],
        modified_at: entry.modifiedAt.toISOString(),
      };
    } catch (err) {
      return sendError(reply, err);
    }
  });

  app.post('/api/generate', async (req, reply) => {
    const b = bodyOf(req);
    try {
      const model = requireModel(b);
      const keepAliveMs = b.keep_alive === undefined ? undefined : parseKeepAlive(b.keep_alive);
      const prompt = str(b.prompt, 'prompt') ?? '';
      if (Array.isArray(b.images) && b.images.length) throw noVisionError(model);
      if (b.suffix) throw new UserError('INVALID_INPUT', `model '${model}' does not support insert (suffix)`, { hint: 'send the prompt without suffix' });
      const constraint = constraintFromOllamaFormat(b.format);
      if (prompt === '') return await loadOrUnload(reply, engine, model, keepAliveMs, (reason) => ({ response: '', done_reason: reason }));
      const system = str(b.system, 'system');
      const input: GenerateRequest['input'] =
        b.raw === true ? { kind: 'raw', prompt } : { kind: 'chat', messages: [...(system ? [{ role: 'system' as const, content: system }] : []), { role: 'user', content: prompt }] };
      return await run(reply, engine, b, { model, input, keepAliveMs, constraint, ...samplingFromOptions(b.options) }, (text) => ({ response: text }), () => ({ response: '' }));
    } catch (err) {
      return sendError(reply, err);
    }
  });

  app.post('/api/chat', async (req, reply) => {
    const b = bodyOf(req);
    try {
      const model = requireModel(b);
      const keepAliveMs = b.keep_alive === undefined ? undefined : parseKeepAlive(b.keep_alive);
      if (b.messages !== undefined && !Array.isArray(b.messages)) throw badInput('messages must be a list');
      const messages = ((b.messages as unknown[] | undefined) ?? []).map(readMessage);
      if (messages.some((m) => m.images?.length)) throw noVisionError(model);
      if (b.think === true) throw new UserError('INVALID_INPUT', `model '${model}' does not support thinking`);
      const tools = readTools(b.tools);
      // Ollama has no tool_choice (the model decides); Workbench also reads OpenAI's values here.
      const choice = readToolChoice(b.tool_choice, tools);
      const useTools = tools.length > 0 && choice.kind !== 'none';
      const forced = useTools ? forcedCallConstraint(tools, choice) : undefined;
      const format = constraintFromOllamaFormat(b.format);
      if (forced && format) throw badInput('format and a forced tool_choice cannot be combined: a forced call already has its own shape');
      if (messages.length === 0) return await loadOrUnload(reply, engine, model, keepAliveMs, (reason) => ({ message: { role: 'assistant', content: '' }, done_reason: reason }));
      const input = await chatInput(engine, model, messages, tools, useTools);
      const asMessage = (r: GenerateResult) => {
        const made = repliedCalls(r, tools);
        return { message: made ? { role: 'assistant', content: made.content, tool_calls: made.calls.map((c) => ({ function: { name: c.name, arguments: c.arguments } })) } : { role: 'assistant', content: r.text } };
      };
      return await run(
        reply,
        engine,
        b,
        { model, input, keepAliveMs, constraint: forced ?? format, ...samplingFromOptions(b.options) },
        (text) => ({ message: { role: 'assistant', content: text } }),
        () => ({ message: { role: 'assistant', content: '' } }),
        // With tools the reply is known to be a call or text only at its end, so it comes in one piece.
        useTools ? asMessage : undefined,
      );
    } catch (err) {
      return sendError(reply, err);
    }
  });

  const embed = async (b: Body) => {
    const model = requireModel(b);
    const keepAliveMs = b.keep_alive === undefined ? undefined : parseKeepAlive(b.keep_alive);
    const input = b.input ?? b.prompt ?? [];
    const inputs = typeof input === 'string' ? [input] : input;
    if (!Array.isArray(inputs) || !inputs.every((s) => typeof s === 'string')) throw badInput('input must be a string or a list of strings');
    return engine.embed(model, inputs as string[], { keepAliveMs });
  };
  app.post('/api/embed', async (req, reply) => {
    try {
      const r = await embed(bodyOf(req));
      return { model: r.model, embeddings: r.embeddings, total_duration: r.timings.totalNs, load_duration: r.timings.loadNs, prompt_eval_count: r.promptTokens };
    } catch (err) {
      return sendError(reply, err);
    }
  });
  app.post('/api/embeddings', async (req, reply) => {
    try {
      const r = await embed(bodyOf(req));
      return { embedding: r.embeddings[0] ?? [] };
    } catch (err) {
      return sendError(reply, err);
    }
  });

  for (const p of ['/api/pull', '/api/push', '/api/create', '/api/copy', '/api/delete', '/api/blobs/:digest'])
    app.route({
      method: p === '/api/delete' ? 'DELETE' : p === '/api/blobs/:digest' ? ['HEAD', 'POST'] : 'POST',
      url: p,
      handler: async (_req, reply) =>
        reply.code(501).send({ error: `${p.replace('/:digest', '')} is not built: this server serves the GGUF files it was started with (wb llm serve FILE...)` }),
    });
}

function requireModel(b: Body): string {
  const m = str(b.model, 'model');
  if (!m) throw badInput('model is required');
  return m;
}

function readMessage(v: unknown, i: number): ChatMessageIn {
  const m = v as Body;
  if (!m || typeof m !== 'object') throw badInput(`messages[${i}] must be an object`);
  const role = m.role;
  if (role !== 'system' && role !== 'user' && role !== 'assistant' && role !== 'tool') throw badInput(`messages[${i}].role must be system, user, assistant or tool`);
  const content = str(m.content, `messages[${i}].content`) ?? '';
  let toolCalls: ToolCall[] | undefined;
  if (role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length) {
    toolCalls = m.tool_calls.map((c: Body, k): ToolCall => {
      const fn = c?.function as Body | undefined;
      if (typeof fn?.name !== 'string') throw badInput(`messages[${i}].tool_calls[${k}].function.name must be a string`);
      const args = fn.arguments ?? {};
      if (typeof args !== 'object' || Array.isArray(args)) throw badInput(`messages[${i}].tool_calls[${k}].function.arguments must be an object`);
      return { name: fn.name, arguments: args as Record<string, unknown> };
    });
  }
  const toolName = role === 'tool' ? (str(m.tool_name, `messages[${i}].tool_name`) ?? str(m.name, `messages[${i}].name`)) : undefined;
  return { role, content, ...(toolCalls ? { toolCalls } : {}), ...(toolName ? { toolName } : {}), ...(Array.isArray(m.images) ? { images: m.images } : {}) };
}

/** Ollama `options` → sampling settings. Unknown options are ignored, as Ollama does. */
export function samplingFromOptions(v: unknown): SamplingOptions & { numCtx?: number } {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw badInput('options must be an object');
  const o = v as Body;
  const out: SamplingOptions & { numCtx?: number } = {};
  const set = <K extends keyof (SamplingOptions & { numCtx?: number })>(k: K, val: (SamplingOptions & { numCtx?: number })[K] | undefined) => {
    if (val !== undefined) out[k] = val;
  };
  set('maxTokens', num(o.num_predict, 'options.num_predict'));
  set('temperature', num(o.temperature, 'options.temperature'));
  set('topK', num(o.top_k, 'options.top_k'));
  set('topP', num(o.top_p, 'options.top_p'));
  set('minP', num(o.min_p, 'options.min_p'));
  set('seed', num(o.seed, 'options.seed'));
  set('repeatPenalty', num(o.repeat_penalty, 'options.repeat_penalty'));
  set('stop', stopList(o.stop, 'options.stop'));
  const numCtx = num(o.num_ctx, 'options.num_ctx');
  if (numCtx !== undefined && (numCtx < 16 || numCtx > 1 << 17)) throw badInput('options.num_ctx must be between 16 and 131072');
  set('numCtx', numCtx);
  return out;
}

async function loadOrUnload(reply: FastifyReply, engine: LlmEngine, model: string, keepAliveMs: number | undefined, shape: (reason: 'load' | 'unload') => Body) {
  if (keepAliveMs === 0) {
    await engine.unload(model);
    return reply.send({ model, created_at: nowIso(), ...shape('unload'), done: true });
  }
  await engine.load(model, keepAliveMs);
  return reply.send({ model, created_at: nowIso(), ...shape('load'), done: true });
}

function metrics(r: GenerateResult): Body {
  return {
    done_reason: r.doneReason,
    total_duration: r.timings.totalNs,
    load_duration: r.timings.loadNs,
    prompt_eval_count: r.promptTokens,
    prompt_eval_duration: r.timings.promptEvalNs,
    eval_count: r.completionTokens,
    eval_duration: r.timings.evalNs,
  };
}

/** `whole`: the reply is shaped from the complete result (tool calls), so a stream sends it in one chunk at the end. */
async function run(reply: FastifyReply, engine: LlmEngine, b: Body, req: GenerateRequest, chunk: (text: string) => Body, last: () => Body, whole?: (r: GenerateResult) => Body) {
  const signal = clientGone(reply);
  const model = req.model;
  if (b.stream === false) {
    const r = await engine.generate({ ...req, signal });
    const full = whole ? whole(r) : chunk(r.text);
    return reply.send({ model, created_at: nowIso(), ...full, done: true, ...metrics(r) });
  }
  const stream = new LazyStream(reply, 'application/x-ndjson');
  try {
    const r = await engine.generate({ ...req, signal, ...(whole ? {} : { onText: (t: string) => stream.write(JSON.stringify({ model, created_at: nowIso(), ...chunk(t), done: false }) + '\n') }) });
    if (whole && (r.text || r.toolCalls)) stream.write(JSON.stringify({ model, created_at: nowIso(), ...whole(r), done: false }) + '\n');
    stream.write(JSON.stringify({ model, created_at: nowIso(), ...last(), done: true, ...metrics(r) }) + '\n');
    stream.end();
  } catch (err) {
    const d = describeError(err);
    const message = d.hint ? `${d.message} (${d.hint})` : d.message;
    if (!stream.isStarted) stream.fail(d.status, { error: message });
    else {
      stream.write(JSON.stringify({ error: message }) + '\n');
      stream.end();
    }
  }
  return reply;
}
