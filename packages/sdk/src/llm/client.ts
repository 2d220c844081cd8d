import { LlmAbortedError, LlmContextOverflowError, LlmError, LlmImagesUnsupportedError, LlmInvalidImageError, LlmNotRunningError, LlmServerError, LlmTimeoutError, ModelNotFoundError } from './errors.js';
import { encodeImages, type EncodedImage, type ImageInput } from './images.js';
import { computeTimings, type LlmTimings, type RawTimings } from './timings.js';
import { ndjson, sseData } from './wire.js';

/** Ollama's native API, an OpenAI-compatible API, or Workbench's own server (which speaks both). */
export type EndpointKind = 'ollama' | 'openai' | 'workbench';

export interface EndpointOptions {
  /** Base URL; default http://127.0.0.1:11434 (Ollama). An OpenAI-compatible base may end in /v1. */
  endpoint?: string;
  /** Skip auto-detection. */
  kind?: EndpointKind;
  /** Sent as a bearer token to OpenAI-compatible servers that want one. */
  apiKey?: string;
  /** Per request; default 5 minutes (first loads of big models are slow). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface LoadOptions extends EndpointOptions {
  /**
   * The context size to run the model with. Passed to Ollama-style servers as `num_ctx`;
   * OpenAI-compatible servers ignore it, so there it only informs the context guard.
   */
  contextLength?: number;
  /** What to do when a prompt would not fit the context: 'warn' (default) or 'error'. */
  contextGuard?: 'warn' | 'error' | 'off';
  /** Where warnings go; default console.warn. */
  onWarning?: (message: string) => void;
  /** Ollama keep_alive for requests ("5m", 0, -1). */
  keepAlive?: string | number;
}

export interface GenerateOptions {
  system?: string;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  stop?: string[];
  /**
   * Images for vision models (with chat: added to the last user message). Bytes, base64, a
   * data: URL or a file path; sent as Ollama `images` or OpenAI `image_url` content parts.
   */
  images?: ImageInput[];
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
  /** Images for vision models: bytes, base64, a data: URL or a file path. */
  images?: ImageInput[];
}

/** A message with its images read, checked and encoded. */
interface WireMessage {
  role: ChatMessage['role'];
  content: string;
  images?: EncodedImage[];
}

export interface LlmResult {
  model: string;
  text: string;
  /** 'stop', 'length', or what the server said. */
  doneReason: string | undefined;
  promptTokens: number | undefined;
  completionTokens: number | undefined;
  timings: LlmTimings;
  /** Where the prompt may have been cut to fit the context, say so. */
  warnings: string[];
}

export interface LlmStream extends AsyncIterable<string> {
  /** The whole result once the stream has ended. */
  result: Promise<LlmResult>;
}

export interface ModelSummary {
  name: string;
  sizeBytes: number | undefined;
  /** Effective context when the server reports one (a loaded Ollama model), else undefined. */
  contextLength: number | undefined;
  loaded: boolean | undefined;
  family: string | undefined;
  parameterSize: string | undefined;
  quantization: string | undefined;
}

const DEFAULT_ENDPOINT = 'http://127.0.0.1:11434';

interface Endpoint {
  /** Base without a trailing /v1. */
  base: string;
  kind: EndpointKind;
  apiKey: string | undefined;
  timeoutMs: number;
  fetch: typeof fetch;
}

function trimBase(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** Probe an endpoint: /api/version answers on Ollama and Workbench, /v1/models on OpenAI-compatible servers. */
export async function detectEndpoint(opts: EndpointOptions = {}): Promise<{ kind: EndpointKind; version: string | undefined; endpoint: string }> {
  const ep = await resolveEndpoint(opts);
  return { kind: ep.kind, version: ep.kind === 'openai' ? undefined : ((await getJson(ep, '/api/version').catch(() => ({}))) as { version?: string }).version, endpoint: ep.base };
}

async function resolveEndpoint(opts: EndpointOptions): Promise<Endpoint> {
  const base = trimBase(opts.endpoint ?? DEFAULT_ENDPOINT);
  const ep: Endpoint = { base, kind: opts.kind ?? 'ollama', apiKey: opts.apiKey, timeoutMs: opts.timeoutMs ?? 300_000, fetch: opts.fetch ?? globalThis.fetch.bind(globalThis) };
  if (opts.kind) return ep;
  const probeTimeout = Math.min(ep.timeoutMs, 10_000);
  const endsWithV1 = /\/v1\/?$/.test(opts.endpoint ?? '');
  if (!endsWithV1) {
    const v = await request(ep, 'GET', '/api/version', undefined, { timeoutMs: probeTimeout, allowStatus: true });
    if (v.ok) {
      const body = (await v.json().catch(() => undefined)) as { version?: unknown; server?: unknown } | undefined;
      if (body && typeof body.version === 'string') return { ...ep, kind: body.server === 'workbench' ? 'workbench' : 'ollama' };
    }
  }
  const m = await request(ep, 'GET', '/v1/models', undefined, { timeoutMs: probeTimeout, allowStatus: true });
  if (m.ok) return { ...ep, kind: 'openai' };
  throw new LlmError(`the server at ${base} speaks neither Ollama's API (/api/version) nor the OpenAI API (/v1/models): HTTP ${m.status}`, {
    hint: 'check the endpoint URL, or pass kind explicitly',
    status: m.status,
  });
}

async function request(
  ep: Endpoint,
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  opts: { signal?: AbortSignal; timeoutMs?: number; allowStatus?: boolean; model?: string; withImages?: boolean } = {},
): Promise<Response> {
  const timeoutMs = opts.timeoutMs ?? ep.timeoutMs;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await ep.fetch(ep.base + path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(ep.apiKey ? { authorization: `Bearer ${ep.apiKey}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal,
    });
  } catch (err) {
    throw translateFetchError(err, ep, opts.signal, timeout, timeoutMs);
  }
  if (!res.ok && !opts.allowStatus) throw await httpError(res, ep, opts.model, opts.withImages);
  return res;
}

function translateFetchError(err: unknown, ep: Endpoint, userSignal: AbortSignal | undefined, timeout: AbortSignal, timeoutMs: number): Error {
  if (err instanceof LlmError) return err;
  if (userSignal?.aborted) return new LlmAbortedError();
  if (timeout.aborted) return new LlmTimeoutError(timeoutMs);
  return new LlmNotRunningError(ep.base, err);
}

async function httpError(res: Response, ep: Endpoint, model: string | undefined, withImages = false): Promise<LlmError> {
  const text = await res.text().catch(() => '');
  let message = text;
  try {
    const j = JSON.parse(text) as { error?: string | { message?: string } };
    message = typeof j.error === 'string' ? j.error : (j.error?.message ?? text);
  } catch {
    /* not JSON: keep the text */
  }
  if (res.status === 404 && model && /model|not found/i.test(message)) return new ModelNotFoundError(model, ep.base, message);
  const overflow = /the prompt is (\d+) tokens but .* context of (\d+)/.exec(message);
  if (overflow) return new LlmContextOverflowError(Number(overflow[1]), Number(overflow[2]), false);
  if (withImages && model && IMAGE_REFUSAL.test(message)) return new LlmImagesUnsupportedError(model, ep.base, message, res.status);
  return new LlmServerError(`${ep.base} answered HTTP ${res.status}: ${message || res.statusText}`, { status: res.status });
}

/**
 * How servers refuse images for a text-only model: Ollama ("this model is missing data required
 * for image input", "vision model not found"), llama.cpp server ("image input is not supported …
 * mmproj"), LM Studio ("does not support images"), OpenAI ("image_url is only supported by
 * certain models"), `wb llm serve` ("cannot read images").
 */
const IMAGE_REFUSAL = /image|vision|multimodal|mmproj|projector/i;

async function getJson(ep: Endpoint, path: string): Promise<unknown> {
  return (await request(ep, 'GET', path, undefined)).json();
}

/** The models an endpoint offers. */
export async function listModels(opts: EndpointOptions = {}): Promise<ModelSummary[]> {
  const ep = await resolveEndpoint(opts);
  return listWith(ep);
}

async function listWith(ep: Endpoint): Promise<ModelSummary[]> {
  if (ep.kind === 'openai') {
    const r = (await getJson(ep, '/v1/models')) as { data?: { id: string }[] };
    return (r.data ?? []).map((m) => ({ name: m.id, sizeBytes: undefined, contextLength: undefined, loaded: undefined, family: undefined, parameterSize: undefined, quantization: undefined }));
  }
  const [tags, ps] = await Promise.all([getJson(ep, '/api/tags') as Promise<{ models?: OllamaModel[] }>, (getJson(ep, '/api/ps') as Promise<{ models?: OllamaModel[] }>).catch(() => ({ models: [] }))]);
  const running = new Map((ps.models ?? []).map((m) => [m.name, m]));
  return (tags.models ?? []).map((m) => ({
    name: m.name,
    sizeBytes: m.size,
    contextLength: running.get(m.name)?.context_length,
    loaded: running.has(m.name),
    family: m.details?.family,
    parameterSize: m.details?.parameter_size,
    quantization: m.details?.quantization_level,
  }));
}

interface OllamaModel {
  name: string;
  size?: number;
  context_length?: number;
  details?: { family?: string; parameter_size?: string; quantization_level?: string };
}

/**
 * A model on an endpoint, ready to generate. Finds the endpoint's kind and the model's
 * effective context; throws ModelNotFoundError when the server does not have it.
 */
export async function load(model: string, opts: LoadOptions = {}): Promise<LlmModel> {
  const ep = await resolveEndpoint(opts);
  const models = await listWith(ep);
  const found = models.find((m) => m.name === model || m.name === `${model}:latest` || m.name.replace(/:latest$/, '') === model);
  if (!found) throw new ModelNotFoundError(model, ep.base, models.length ? `it has ${models.map((m) => m.name).join(', ')}` : 'it has no models');
  let context: { length: number; source: ContextSource } | undefined;
  if (opts.contextLength) context = { length: opts.contextLength, source: 'option' };
  else if (found.contextLength) context = { length: found.contextLength, source: 'running' };
  else if (ep.kind !== 'openai') {
    const show = (await request(ep, 'POST', '/api/show', { model: found.name }, { model: found.name }).then((r) => r.json()).catch(() => undefined)) as { model_info?: Record<string, unknown> } | undefined;
    const info = show?.model_info ?? {};
    const arch = info['general.architecture'];
    const n = typeof arch === 'string' ? info[`${arch}.context_length`] : undefined;
    // The trained context; Ollama may run with less (its num_ctx default), so it is an upper bound.
    if (typeof n === 'number') context = { length: n, source: 'model-info' };
  }
  return new LlmModel(found.name, ep, context, opts);
}

export type ContextSource = 'option' | 'running' | 'model-info';

/** A rough upper estimate of tokens (about 3 characters each) for a prompt guard without the tokenizer. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3);
}

type Req = { kind: 'generate'; prompt: string } | { kind: 'chat'; messages: ChatMessage[] };
/** A request with its images encoded: `images` for generate, per message for chat. */
type WireReq = { kind: 'generate'; prompt: string; images: EncodedImage[] } | { kind: 'chat'; messages: WireMessage[] };

export class LlmModel {
  readonly contextLength: number | undefined;
  readonly contextSource: ContextSource | undefined;
  /** Whether /api/show lists `vision`; undefined: not asked yet or the server does not say. */
  private vision: Promise<{ vision: boolean; capabilities: string[] } | undefined> | undefined;
  constructor(
    readonly name: string,
    private readonly ep: Endpoint,
    context: { length: number; source: ContextSource } | undefined,
    private readonly opts: LoadOptions,
  ) {
    this.contextLength = context?.length;
    this.contextSource = context?.source;
  }

  get endpoint(): string {
    return this.ep.base;
  }
  get kind(): EndpointKind {
    return this.ep.kind;
  }

  async generate(prompt: string, opts: GenerateOptions = {}): Promise<LlmResult> {
    return this.run({ kind: 'generate', prompt }, opts, undefined);
  }

  /** Text as it is generated: `for await (const t of m.stream(prompt, { signal }))`. */
  stream(prompt: string, opts: GenerateOptions = {}): LlmStream {
    return this.streamed({ kind: 'generate', prompt }, opts);
  }

  async chat(messages: ChatMessage[], opts: GenerateOptions = {}): Promise<LlmResult> {
    return this.run({ kind: 'chat', messages }, opts, undefined);
  }

  chatStream(messages: ChatMessage[], opts: GenerateOptions = {}): LlmStream {
    return this.streamed({ kind: 'chat', messages }, opts);
  }

  private streamed(req: Req, opts: GenerateOptions): LlmStream {
    const queue: string[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    const result = this.run(req, opts, (t) => {
      queue.push(t);
      wake?.();
    }).finally(() => {
      finished = true;
      wake?.();
    });
    result.catch(() => undefined); // surfaced through the iterator
    return {
      result,
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (queue.length) yield queue.shift()!;
          if (finished) break;
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
        }
        await result; // throws the stream's error, if any
      },
    };
  }

  /** Check the prompt against the context before sending it. */
  private guard(req: Req, opts: GenerateOptions): string[] {
    const mode = this.opts.contextGuard ?? 'warn';
    if (mode === 'off' || !this.contextLength) return [];
    const text = req.kind === 'generate' ? (opts.system ?? '') + req.prompt : req.messages.map((m) => m.content).join('\n');
    const overhead = req.kind === 'chat' ? req.messages.length * 8 : 8;
    const estimate = estimateTokens(text) + overhead + (opts.maxTokens && opts.maxTokens > 0 ? opts.maxTokens : 0);
    if (estimate <= this.contextLength) return [];
    if (mode === 'error' && estimateTokens(text) + overhead > this.contextLength) throw new LlmContextOverflowError(estimateTokens(text) + overhead, this.contextLength, true);
    const msg = `prompt${opts.maxTokens ? ' plus maxTokens' : ''} is about ${estimate} tokens, more than the ${this.contextLength}-token context of '${this.name}' (${this.contextSource}): the server may cut the start of the prompt`;
    (this.opts.onWarning ?? ((m: string) => console.warn(m)))(msg);
    return [msg];
  }

  /** Read and check the request's images; refuse before sending when the model cannot see. */
  private async encode(req: Req, opts: GenerateOptions): Promise<WireReq> {
    let wire: WireReq;
    if (req.kind === 'generate') wire = { kind: 'generate', prompt: req.prompt, images: await encodeImages(opts.images ?? [], 'images') };
    else {
      const messages = withImages(req.messages, opts.images);
      wire = {
        kind: 'chat',
        messages: await Promise.all(
          messages.map(async (m, i): Promise<WireMessage> => ({ role: m.role, content: m.content, ...(m.images?.length ? { images: await encodeImages(m.images, `messages[${i}].images`) } : {}) })),
        ),
      };
    }
    const count = wire.kind === 'generate' ? wire.images.length : wire.messages.reduce((n, m) => n + (m.images?.length ?? 0), 0);
    if (count > 0 && this.ep.kind !== 'openai') {
      const caps = await this.capabilities();
      if (caps && !caps.vision) throw new LlmImagesUnsupportedError(this.name, this.ep.base, `no vision support (its capabilities: ${caps.capabilities.join(', ') || 'none'})`);
    }
    return wire;
  }

  /** The model's capabilities from /api/show (Ollama ≥ 0.6 and Workbench list them), asked once. */
  private capabilities(): Promise<{ vision: boolean; capabilities: string[] } | undefined> {
    this.vision ??= request(this.ep, 'POST', '/api/show', { model: this.name }, { model: this.name, timeoutMs: Math.min(this.ep.timeoutMs, 10_000) })
      .then((r) => r.json() as Promise<{ capabilities?: unknown }>)
      .then((b) => (Array.isArray(b.capabilities) ? { vision: b.capabilities.includes('vision'), capabilities: b.capabilities.map(String) } : undefined))
      .catch(() => undefined);
    return this.vision;
  }

  private async run(req: Req, opts: GenerateOptions, onText: ((t: string) => void) | undefined): Promise<LlmResult> {
    const warnings = this.guard(req, opts);
    const wire = await this.encode(req, opts);
    const raw: RawTimings = { startMs: performance.now(), endMs: 0, chunks: 0 };
    const text: string[] = [];
    const push = (t: string) => {
      if (!t) return;
      const now = performance.now();
      raw.firstTokenMs ??= now;
      raw.lastTokenMs = now;
      raw.chunks++;
      text.push(t);
      onText?.(t);
    };
    const reqOpts = { signal: opts.signal, timeoutMs: opts.timeoutMs ?? this.ep.timeoutMs, model: this.name };
    const timeout = AbortSignal.timeout(reqOpts.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let doneReason: string | undefined;
    try {
      const withImages = wire.kind === 'generate' ? wire.images.length > 0 : wire.messages.some((m) => m.images?.length);
      if (this.ep.kind === 'openai') doneReason = await this.runOpenAi(wire, opts, { ...reqOpts, signal, withImages }, push, raw);
      else doneReason = await this.runNative(wire, opts, { ...reqOpts, signal, withImages }, push, raw);
    } catch (err) {
      if (err instanceof LlmError) throw err;
      throw translateFetchError(err, this.ep, opts.signal, timeout, reqOpts.timeoutMs);
    }
    raw.endMs = performance.now();
    if (this.contextLength && raw.promptTokens !== undefined && raw.completionTokens !== undefined && raw.promptTokens + raw.completionTokens >= this.contextLength)
      warnings.push(`the prompt and response filled the ${this.contextLength}-token context: the output may be cut short`);
    return { model: this.name, text: text.join(''), doneReason, promptTokens: raw.promptTokens, completionTokens: raw.completionTokens, timings: computeTimings(raw), warnings };
  }

  private async runNative(req: WireReq, opts: GenerateOptions, r: { signal: AbortSignal; timeoutMs: number; model: string; withImages: boolean }, push: (t: string) => void, raw: RawTimings): Promise<string | undefined> {
    const options: Record<string, unknown> = {};
    if (opts.maxTokens !== undefined) options.num_predict = opts.maxTokens;
    if (opts.temperature !== undefined) options.temperature = opts.temperature;
    if (opts.topP !== undefined) options.top_p = opts.topP;
    if (opts.topK !== undefined) options.top_k = opts.topK;
    if (opts.seed !== undefined) options.seed = opts.seed;
    if (opts.stop) options.stop = opts.stop;
    // The OpenAI-compatible API has no way to say this; the native one does.
    if (this.opts.contextLength) options.num_ctx = this.opts.contextLength;
    const common = { model: this.name, stream: true, options, ...(this.opts.keepAlive !== undefined ? { keep_alive: this.opts.keepAlive } : {}) };
    const body =
      req.kind === 'generate'
        ? { ...common, prompt: req.prompt, ...(opts.system ? { system: opts.system } : {}), ...(req.images.length ? { images: req.images.map((i) => i.base64) } : {}) }
        : { ...common, messages: req.messages.map((m) => ({ role: m.role, content: m.content, ...(m.images?.length ? { images: m.images.map((i) => i.base64) } : {}) })) };
    const res = await request(this.ep, 'POST', req.kind === 'generate' ? '/api/generate' : '/api/chat', body, r);
    let doneReason: string | undefined;
    for await (const c of ndjson(res.body!)) {
      if (typeof c.error === 'string') throw new LlmServerError(`${this.ep.base}: ${c.error}`);
      const piece = req.kind === 'generate' ? c.response : (c.message as { content?: string } | undefined)?.content;
      if (typeof piece === 'string') push(piece);
      if (c.done === true) {
        doneReason = typeof c.done_reason === 'string' ? c.done_reason : undefined;
        raw.ollama = c as RawTimings['ollama'];
        raw.promptTokens = num(c.prompt_eval_count);
        raw.completionTokens = num(c.eval_count);
      }
    }
    return doneReason;
  }

  private async runOpenAi(req: WireReq, opts: GenerateOptions, r: { signal: AbortSignal; timeoutMs: number; model: string; withImages: boolean }, push: (t: string) => void, raw: RawTimings): Promise<string | undefined> {
    const messages: WireMessage[] =
      req.kind === 'generate'
        ? [...(opts.system ? [{ role: 'system' as const, content: opts.system }] : []), { role: 'user', content: req.prompt, ...(req.images.length ? { images: req.images } : {}) }]
        : req.messages;
    const body: Record<string, unknown> = {
      model: this.name,
      stream: true,
      stream_options: { include_usage: true },
      messages: messages.map(toOpenAiMessage),
    };
    if (opts.maxTokens !== undefined && opts.maxTokens >= 0) body.max_tokens = opts.maxTokens;
    if (opts.temperature !== undefined) body.temperature = opts.temperature;
    if (opts.topP !== undefined) body.top_p = opts.topP;
    if (opts.seed !== undefined) body.seed = opts.seed;
    if (opts.stop) body.stop = opts.stop;
    const res = await request(this.ep, 'POST', '/v1/chat/completions', body, r);
    let doneReason: string | undefined;
    for await (const c of sseData(res.body!)) {
      if (c.error) throw new LlmServerError(`${this.ep.base}: ${(c.error as { message?: string }).message ?? JSON.stringify(c.error)}`);
      const choice = (c.choices as { delta?: { content?: string | null }; finish_reason?: string | null }[] | undefined)?.[0];
      if (choice?.delta?.content) push(choice.delta.content);
      if (choice?.finish_reason) doneReason = choice.finish_reason;
      const usage = c.usage as { prompt_tokens?: number; completion_tokens?: number } | undefined;
      if (usage) {
        raw.promptTokens = usage.prompt_tokens;
        raw.completionTokens = usage.completion_tokens;
      }
      if (c.timings && typeof c.timings === 'object') raw.llamacpp = c.timings as RawTimings['llamacpp'];
    }
    return doneReason;
  }
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function withImages(messages: ChatMessage[], images: ImageInput[] | undefined): ChatMessage[] {
  if (!images?.length) return messages;
  const lastUser = messages.map((m) => m.role).lastIndexOf('user');
  if (lastUser < 0) throw new LlmInvalidImageError('images go with a user message, and the conversation has none', 'add a user message, or put the images in a message (messages[i].images)');
  return messages.map((m, i) => (i === lastUser ? { ...m, images: [...(m.images ?? []), ...images] } : m));
}

/** OpenAI's shape: images as `image_url` content parts holding data: URLs of their own media type. */
function toOpenAiMessage(m: WireMessage): unknown {
  if (!m.images?.length) return { role: m.role, content: m.content };
  return { role: m.role, content: [{ type: 'text', text: m.content }, ...m.images.map((i) => ({ type: 'image_url', image_url: { url: `data:${i.mimeType};base64,${i.base64}` } }))] };
}
