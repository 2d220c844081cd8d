import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OperationalError, UserError, notFound } from '@workbench/core';
import type { Llama, LlamaContext, LlamaEmbeddingContext, LlamaGrammar, LlamaGrammarEvaluationState, LlamaModel, ChatHistoryItem, Token, ChatWrapper } from 'node-llama-cpp';
import { DEFAULT_KEEP_ALIVE_MS } from './keep-alive.js';
import { TextStream } from './decode.js';
import { FairQueue, QueueAbortedError, QueueFullError } from './queue.js';
import { availableFunctions, historyWithTools, readTemplateCalls, templateHandlesTools } from './template-tools.js';
import type { EmbedResult, GenerateRequest, GenerateResult, LoadedModelInfo, ModelEntry, OutputConstraint } from './types.js';

export interface EngineOptions {
  /** false: CPU only (default). 'auto': use a GPU build when node-llama-cpp has one for this machine. */
  gpu?: false | 'auto';
  /** Threads for evaluation; default: the machine's core count (never more — oversubscribing is far slower). */
  threads?: number;
  /** Requests one model runs at once (context sequences). Default 1. */
  parallel?: number;
  /** Requests that may wait per model before new ones are refused. Default 32. */
  maxQueue?: number;
  defaultKeepAliveMs?: number;
  /** Cap on the context size a model is loaded with when it asks for more. Default 8192. */
  maxContextSize?: number;
}

/** The engine stopped a generation because its caller went away or cancelled. */
export class GenerationAbortedError extends Error {
  constructor() {
    super('generation cancelled');
  }
}

interface Loaded {
  entry: ModelEntry;
  model: LlamaModel;
  context: LlamaContext;
  chatWrapper: ChatWrapper;
  /** The chat template has its own tool format (definitions, calls, results). */
  templateTools: boolean;
  embedding: Promise<LlamaEmbeddingContext> | undefined;
  queue: FairQueue;
  keepAliveMs: number;
  expiresAt: number | undefined;
  timer: NodeJS.Timeout | undefined;
  sizeBytes: number;
  vramBytes: number;
}

const now = (): bigint => process.hrtime.bigint();
const nsSince = (t: bigint): number => Number(now() - t);

export class LlmEngine {
  private llamaPromise: Promise<Llama> | undefined;
  private readonly catalog = new Map<string, ModelEntry>();
  private readonly loaded = new Map<string, Loaded>();
  private readonly loading = new Map<string, Promise<Loaded>>();
  readonly threads: number;
  private readonly parallel: number;
  private readonly maxQueue: number;
  readonly defaultKeepAliveMs: number;
  private readonly maxContextSize: number;
  private closed = false;
  /** Compiled grammars by constraint, most recently used last: compiling a schema is not free. */
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  /**
   * Running totals in llama.cpp's server terms, published at /metrics so a monitor reads live
   * rates from the engine's own counters. Tokens count as they are produced, not at the end.
   */
  readonly counters = { promptTokens: 0, promptNs: 0, predictedTokens: 0, predictedNs: 0, processing: 0, deferred: 0 };

  constructor(private readonly opts: EngineOptions = {}) {
    this.threads = Math.max(1, opts.threads ?? os.availableParallelism());
    this.parallel = Math.max(1, opts.parallel ?? 1);
    this.maxQueue = Math.max(0, opts.maxQueue ?? 32);
    this.defaultKeepAliveMs = opts.defaultKeepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
    this.maxContextSize = opts.maxContextSize ?? 8192;
  }

  /** Offer a GGUF file under a name. The file is read only when a request first needs it. */
  async addModel(file: string, opts: { name?: string; contextSize?: number; gpuLayers?: number | 'auto' | 'max' } = {}): Promise<ModelEntry> {
    const abs = path.resolve(file);
    const st = await stat(abs).catch(() => undefined);
    if (!st?.isFile()) throw notFound('model file', file, 'give the path of a .gguf file');
    const name = opts.name ?? defaultModelName(abs);
    if (this.catalog.has(name)) throw new UserError('NAME_TAKEN', `a model named '${name}' is already served`, { hint: 'give each model its own name' });
    // Ollama's digest is the blob's SHA-256; hashing gigabytes at startup would delay serving, so
    // this one identifies the file by path, size and time instead (stable while the file is unchanged).
    const digest = createHash('sha256').update(`${abs}\0${st.size}\0${st.mtimeMs}`).digest('hex');
    const entry: ModelEntry = { name, path: abs, sizeBytes: st.size, modifiedAt: st.mtime, digest, contextSize: opts.contextSize, gpuLayers: opts.gpuLayers };
    this.catalog.set(name, entry);
    return entry;
  }

  models(): ModelEntry[] {
    return [...this.catalog.values()];
  }

  /** Find a served model by the names clients use: exact, or without a ':latest' tag. */
  resolve(name: string): ModelEntry {
    const e = this.catalog.get(name) ?? this.catalog.get(name.replace(/:latest$/, '')) ?? this.catalog.get(`${name}:latest`);
    if (!e) throw notFound('model', name, `this server serves: ${[...this.catalog.keys()].join(', ') || 'nothing'}`);
    return e;
  }

  running(): LoadedModelInfo[] {
    return [...this.loaded.values()].map((l) => ({
      name: l.entry.name,
      path: l.entry.path,
      sizeBytes: l.sizeBytes,
      vramBytes: l.vramBytes,
      contextLength: l.context.contextSize,
      gpuLayers: l.model.gpuLayers,
      expiresAt: l.expiresAt === undefined ? undefined : new Date(l.expiresAt),
      active: l.queue.active,
      queued: l.queue.queued,
    }));
  }

  /** The loaded model's context size, or undefined when it is not loaded. */
  contextLength(name: string): number | undefined {
    return this.loaded.get(this.resolve(name).name)?.context.contextSize;
  }

  /** Load (or keep loaded) a model; returns nanoseconds spent loading (0 when it already was). */
  async load(name: string, keepAliveMs?: number): Promise<number> {
    const { loaded, loadNs } = await this.loadTimed(this.resolve(name));
    this.touch(loaded, keepAliveMs);
    return loadNs;
  }

  /** Unload now when idle, else as soon as the requests in flight finish (Ollama `keep_alive: 0`). */
  async unload(name: string): Promise<void> {
    const entry = this.resolve(name);
    const pending = this.loading.get(entry.name);
    const l = this.loaded.get(entry.name) ?? (pending ? await pending.catch(() => undefined) : undefined);
    if (!l) return;
    this.touch(l, 0);
  }

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const tStart = now();
    const entry = this.resolve(req.model);
    const { loaded: l, loadNs } = await this.loadTimed(entry, req.numCtx);
    let grammar: LlamaGrammar | undefined;
    try {
      grammar = req.constraint ? await this.grammar(req.constraint) : undefined;
    } catch (err) {
      this.touch(l, undefined);
      throw err;
    }
    const tQueue = now();
    this.counters.deferred++;
    let release: () => void;
    try {
      release = await this.admit(l, req.signal);
    } finally {
      this.counters.deferred--;
    }
    const queueNs = nsSince(tQueue);
    const sequence = l.context.getSequence();
    this.counters.processing++;
    let evalFrom: bigint | undefined;
    try {
      const { tokens, stopTokens, stopStrings } = this.promptTokens(l, req);
      const ctx = l.context.contextSize;
      const promptTokens = tokens.length;
      if (promptTokens >= ctx)
        throw new UserError('INVALID_INPUT', `the prompt is ${promptTokens} tokens but model '${entry.name}' is loaded with a context of ${ctx}`, {
          hint: 'shorten the prompt, or load the model with a larger context (options.num_ctx, or wb llm serve --ctx-size)',
          details: { promptTokens, contextLength: ctx },
        });
      const room = ctx - promptTokens;
      const maxTokens = req.maxTokens === undefined || req.maxTokens < 0 ? room : Math.min(Math.floor(req.maxTokens), room);
      const grammarStops = (grammar?.stopGenerationTriggers ?? []).map(triggerText);
      const text = new TextStream(l.model, [...stopStrings, ...grammarStops, ...(req.stop ?? [])].filter((x) => x.length > 0), req.onText);
      const grammarState = grammar ? await this.grammarState(l.model, grammar) : undefined;
      const generated: Token[] = [];
      const penalty = req.repeatPenalty;
      let completionTokens = 0;
      let doneReason: 'stop' | 'length' = 'stop';
      let tFirst: bigint | undefined;
      const tPrompt = now();
      if (maxTokens > 0) {
        const iterator = sequence.evaluate(tokens, {
          temperature: req.temperature ?? 0.8,
          ...(req.topK !== undefined ? { topK: req.topK } : {}),
          ...(req.topP !== undefined ? { topP: req.topP } : {}),
          ...(req.minP !== undefined ? { minP: req.minP } : {}),
          ...(req.seed !== undefined ? { seed: req.seed } : {}),
          ...(penalty !== undefined && penalty !== 1 ? { repeatPenalty: { punishTokens: () => generated.slice(-64), penalty } } : {}),
          ...(grammarState ? { grammarEvaluationState: grammarState } : {}),
          yieldEogToken: true,
        });
        try {
          for await (const token of iterator) {
            if (tFirst === undefined) {
              tFirst = now();
              this.counters.promptTokens += promptTokens;
              this.counters.promptNs += Number(tFirst - tPrompt);
              evalFrom = tFirst;
            }
            if (req.signal?.aborted) throw new GenerationAbortedError();
            if (l.model.isEogToken(token) || stopTokens.has(token)) break;
            generated.push(token);
            completionTokens++;
            this.counters.predictedTokens++;
            if (text.push(token)) break;
            if (completionTokens >= maxTokens) {
              doneReason = 'length';
              break;
            }
          }
        } finally {
          await iterator.return();
        }
      } else doneReason = 'length';
      text.finish();
      const tEnd = now();
      if (req.signal?.aborted) throw new GenerationAbortedError();
      // A grammar-forced reply has its own shape; otherwise read calls as the template writes
      // them, from the text with its special tokens (Qwen's <tool_call> is one).
      const tools = req.input.kind === 'chat' && l.templateTools && !grammar ? req.input.tools : undefined;
      const toolCalls = tools?.length ? readTemplateCalls(l.model.detokenize(generated, true), l.chatWrapper, tools.map((t) => t.name)) : undefined;
      return {
        ...(toolCalls ? { toolCalls } : {}),
        model: entry.name,
        // A grammar may allow trailing whitespace the model keeps writing; it is no part of the value.
        text: grammar?.trimWhitespaceSuffix ? text.output.trimEnd() : text.output,
        promptTokens,
        completionTokens,
        doneReason,
        timings: {
          totalNs: Number(tEnd - tStart),
          loadNs,
          queueNs,
          promptEvalNs: Number((tFirst ?? tEnd) - tPrompt),
          evalNs: tFirst === undefined ? 0 : Number(tEnd - tFirst),
        },
      };
    } catch (err) {
      if (req.signal?.aborted && !(err instanceof UserError)) throw new GenerationAbortedError();
      throw err;
    } finally {
      if (evalFrom !== undefined) this.counters.predictedNs += Number(now() - evalFrom);
      this.counters.processing--;
      // The sequence slot returns to the context asynchronously: wait, or the next request
      // admitted by release() finds no free sequence.
      await sequence.dispose().catch(() => undefined);
      release();
      this.touch(l, req.keepAliveMs);
    }
  }

  private grammar(c: OutputConstraint): Promise<LlamaGrammar> {
    const key = JSON.stringify(c);
    let p = this.grammars.get(key);
    if (p) {
      this.grammars.delete(key);
      this.grammars.set(key, p);
      return p;
    }
    p = (async () => {
      const llama = await this.llama();
      if (c.kind === 'json') return llama.getGrammarFor('json');
      try {
        return await llama.createGrammarForJsonSchema(c.schema as Parameters<Llama['createGrammarForJsonSchema']>[0]);
      } catch (err) {
        throw new UserError('INVALID_INPUT', `the JSON schema cannot be turned into a grammar: ${(err as Error).message}`, {
          hint: 'use the supported subset: type, properties, additionalProperties, items, enum, const, oneOf, $defs/$ref',
          cause: err,
        });
      }
    })();
    p.catch(() => this.grammars.delete(key));
    this.grammars.set(key, p);
    while (this.grammars.size > 64) this.grammars.delete(this.grammars.keys().next().value!);
    return p;
  }

  private async grammarState(model: LlamaModel, grammar: LlamaGrammar): Promise<LlamaGrammarEvaluationState> {
    const { LlamaGrammarEvaluationState: State } = await import('node-llama-cpp');
    return new State({ model, grammar });
  }

  async embed(name: string, inputs: string[], opts: { keepAliveMs?: number; signal?: AbortSignal } = {}): Promise<EmbedResult> {
    const tStart = now();
    const entry = this.resolve(name);
    const { loaded: l, loadNs } = await this.loadTimed(entry);
    const release = await this.admit(l, opts.signal);
    try {
      l.embedding ??= l.model.createEmbeddingContext({ contextSize: Math.min(l.context.contextSize, 2048), threads: this.threads });
      const ctx = await l.embedding;
      const embeddings: number[][] = [];
      let promptTokens = 0;
      for (const text of inputs) {
        if (opts.signal?.aborted) throw new GenerationAbortedError();
        const tokens = l.model.tokenize(text);
        promptTokens += tokens.length;
        const e = await ctx.getEmbeddingFor(tokens);
        embeddings.push(normalize([...e.vector]));
      }
      return { model: entry.name, embeddings, promptTokens, timings: { totalNs: nsSince(tStart), loadNs } };
    } finally {
      release();
      this.touch(l, opts.keepAliveMs);
    }
  }

  /** The prompt a chat input becomes, exactly as generate() would evaluate it (llama.cpp's /apply-template). */
  async renderChat(name: string, input: Extract<GenerateRequest['input'], { kind: 'chat' }>): Promise<{ prompt: string; tokens: number }> {
    const { loaded } = await this.loadTimed(this.resolve(name));
    try {
      const { tokens } = this.promptTokens(loaded, { model: name, input });
      const t = loaded.model.tokens;
      const builtin: Record<string, string | null> = { BOS: t.bosString, EOS: t.eosString, EOT: t.eotString, NL: t.nlString };
      const json = this.chatState(loaded, input).contextText.toJSON();
      const parts = typeof json === 'string' ? [json] : json;
      // A leading BOS is not text: llama.cpp's /apply-template leaves it out too.
      const prompt = parts.map((x, i) => (typeof x === 'string' ? x : x.type === 'specialTokensText' ? x.value : i === 0 && x.value === 'BOS' ? '' : (builtin[x.value] ?? ''))).join('');
      return { prompt, tokens: tokens.length };
    } finally {
      this.touch(loaded, undefined);
    }
  }

  /** Tokenize text with a model's own tokenizer (loads it if needed). */
  async tokenize(name: string, text: string): Promise<number> {
    const { loaded } = await this.loadTimed(this.resolve(name));
    this.touch(loaded, undefined);
    return loaded.model.tokenize(text).length;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.loading.values()]);
    await Promise.allSettled([...this.loaded.values()].map((l) => this.dispose(l)));
    const llama = await this.llamaPromise?.catch(() => undefined);
    await llama?.dispose();
  }

  /**
   * The loaded model, loading it first when needed. A different `numCtx` reloads the model with
   * that context (as Ollama does) when nothing is using it; a busy model keeps its context.
   */
  private async loadTimed(entry: ModelEntry, numCtx?: number): Promise<{ loaded: Loaded; loadNs: number }> {
    const ready = this.loaded.get(entry.name);
    const wantCtx = numCtx !== undefined && numCtx > 0 ? Math.min(Math.floor(numCtx), 1 << 17) : undefined;
    if (ready && (wantCtx === undefined || ready.context.contextSize === wantCtx || ready.queue.active + ready.queue.queued > 0)) {
      this.hold(ready);
      return { loaded: ready, loadNs: 0 };
    }
    const t0 = now();
    if (ready) await this.dispose(ready);
    const l = await this.acquireLoaded(entry, wantCtx);
    this.hold(l);
    return { loaded: l, loadNs: nsSince(t0) };
  }

  /** While a request uses a model its expiry timer is off; touch() restarts it. */
  private hold(l: Loaded): void {
    if (l.timer) clearTimeout(l.timer);
    l.timer = undefined;
  }

  private async admit(l: Loaded, signal: AbortSignal | undefined): Promise<() => void> {
    try {
      return await l.queue.acquire(signal);
    } catch (err) {
      this.touch(l, undefined);
      if (err instanceof QueueFullError)
        throw new OperationalError('UNAVAILABLE', err.message, { hint: 'retry later, or start the server with a longer queue (--max-queue) or more parallel slots (--parallel)' });
      if (err instanceof QueueAbortedError) throw new GenerationAbortedError();
      throw err;
    }
  }

  private acquireLoaded(entry: ModelEntry, contextSize?: number): Promise<Loaded> {
    const ready = this.loaded.get(entry.name);
    if (ready) return Promise.resolve(ready);
    let p = this.loading.get(entry.name);
    if (!p) {
      p = this.doLoad(entry, contextSize).finally(() => this.loading.delete(entry.name));
      this.loading.set(entry.name, p);
    }
    return p;
  }

  private llama(): Promise<Llama> {
    this.llamaPromise ??= (async () => {
      const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
      return getLlama({ gpu: this.opts.gpu ?? false, build: 'never', maxThreads: this.threads, logLevel: LlamaLogLevel.error, progressLogs: false });
    })();
    return this.llamaPromise;
  }

  private async doLoad(entry: ModelEntry, contextOverride: number | undefined): Promise<Loaded> {
    if (this.closed) throw new OperationalError('UNAVAILABLE', 'the engine is shutting down');
    const llama = await this.llama();
    const { resolveChatWrapper } = await import('node-llama-cpp');
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: entry.path, gpuLayers: llama.gpu === false ? 0 : (entry.gpuLayers ?? 'auto') });
    } catch (err) {
      throw new UserError('INVALID_INPUT', `cannot load model '${entry.name}' from ${entry.path}: ${(err as Error).message}`, { hint: 'check that the file is a complete GGUF model llama.cpp supports', cause: err });
    }
    try {
      const train = model.trainContextSize;
      const contextSize = contextOverride ?? entry.contextSize ?? Math.min(train, this.maxContextSize);
      const context = await model.createContext({ contextSize, threads: this.threads, sequences: this.parallel });
      const est = model.fileInsights.estimateContextResourceRequirements({ contextSize: context.contextSize, modelGpuLayers: model.gpuLayers, sequences: this.parallel });
      const modelEst = model.fileInsights.estimateModelResourceRequirements({ gpuLayers: model.gpuLayers });
      const l: Loaded = {
        entry,
        model,
        context,
        chatWrapper: resolveChatWrapper(model),
        templateTools: templateHandlesTools(model.fileInfo.metadata.tokenizer?.chat_template),
        embedding: undefined,
        queue: new FairQueue(entry.name, this.parallel, this.maxQueue),
        keepAliveMs: this.defaultKeepAliveMs,
        expiresAt: undefined,
        timer: undefined,
        sizeBytes: model.size + est.cpuRam + est.gpuVram,
        vramBytes: llama.gpu === false ? 0 : modelEst.gpuVram + est.gpuVram,
      };
      this.loaded.set(entry.name, l);
      return l;
    } catch (err) {
      await model.dispose();
      throw new OperationalError('UNAVAILABLE', `cannot create a context for model '${entry.name}': ${(err as Error).message}`, { hint: 'try a smaller context (--ctx-size) or fewer parallel slots', cause: err });
    }
  }

  /** Restart a model's expiry after use: keep_alive from the request, else what it had. */
  private touch(l: Loaded, keepAliveMs: number | undefined): void {
    if (keepAliveMs !== undefined) l.keepAliveMs = keepAliveMs;
    if (l.timer) clearTimeout(l.timer);
    l.timer = undefined;
    if (l.keepAliveMs === Infinity) {
      l.expiresAt = undefined;
      return;
    }
    l.expiresAt = Date.now() + l.keepAliveMs;
    if (l.queue.active > 0) return; // the last request to finish starts the clock
    if (l.keepAliveMs <= 0) {
      void this.dispose(l);
      return;
    }
    l.timer = setTimeout(() => void this.dispose(l), Math.min(l.keepAliveMs, 2 ** 31 - 1));
    l.timer.unref();
  }

  private async dispose(l: Loaded): Promise<void> {
    if (this.loaded.get(l.entry.name) !== l) return;
    this.loaded.delete(l.entry.name);
    if (l.timer) clearTimeout(l.timer);
    l.queue.rejectAll(new OperationalError('UNAVAILABLE', `model '${l.entry.name}' was unloaded`, { hint: 'retry: the model loads again on the next request' }));
    const emb = await l.embedding?.catch(() => undefined);
    await emb?.dispose();
    await l.context.dispose();
    await l.model.dispose();
  }

  /** The chat rendered by the model's chat wrapper: its text and the triggers that end the turn. */
  private chatState(l: Loaded, input: Extract<GenerateRequest['input'], { kind: 'chat' }>) {
    for (const m of input.messages) if (m.images?.length) throw noVisionError(l.entry.name);
    const tools = l.templateTools ? input.tools : undefined;
    let history: ChatHistoryItem[];
    if (tools?.length) history = historyWithTools(input.messages);
    else {
      history = [];
      for (const m of input.messages) {
        if (m.role === 'system') history.push({ type: 'system', text: m.content });
        else if (m.role === 'assistant') history.push({ type: 'model', response: [m.content] });
        else history.push({ type: 'user', text: m.content }); // tool results come labelled by the server; templates differ on a tool role, so they read as user turns
      }
    }
    history.push({ type: 'model', response: [] });
    return l.chatWrapper.generateContextState({ chatHistory: history, ...(tools?.length ? { availableFunctions: availableFunctions(tools) } : {}) });
  }

  /** The prompt as tokens (BOS included where the model wants one) and what ends a turn. */
  private promptTokens(l: Loaded, req: GenerateRequest): { tokens: Token[]; stopTokens: Set<Token>; stopStrings: string[] } {
    const { model } = l;
    if (req.input.kind === 'raw') {
      const bos = model.tokens.shouldPrependBosToken && model.tokens.bos !== null ? [model.tokens.bos] : [];
      return { tokens: [...bos, ...model.tokenize(req.input.prompt)], stopTokens: new Set(), stopStrings: [] };
    }
    const state = this.chatState(l, req.input);
    let tokens = state.contextText.tokenize(model.tokenizer);
    const bos = model.tokens.bos;
    if (model.tokens.shouldPrependBosToken && bos !== null && tokens[0] !== bos) tokens = [bos, ...tokens];
    // The template's end-of-turn markers: a single special token stops on sight, text by matching.
    const stopTokens = new Set<Token>();
    const stopStrings: string[] = [];
    for (const trigger of state.stopGenerationTriggers ?? []) {
      const t = trigger.tokenize(model.tokenizer);
      if (t.length === 1) stopTokens.add(t[0]!);
      else {
        const s = trigger.values.filter((v): v is string => typeof v === 'string').join('');
        if (s) stopStrings.push(s);
      }
    }
    return { tokens, stopTokens, stopStrings };
  }
}

/**
 * Image input refused: node-llama-cpp 3.22 binds no multimodal (mmproj) API, so no model this
 * engine loads can see an image, and a reply that ignored it would mislead.
 */
export function noVisionError(model: string): UserError {
  return new UserError('INVALID_INPUT', `model '${model}' cannot read images: the built-in engine has no vision support (node-llama-cpp, which it runs on, has no multimodal input yet)`, {
    hint: 'send text only, or serve the vision model with Ollama or llama.cpp server (--mmproj)',
  });
}

function defaultModelName(file: string): string {
  return path.basename(file).replace(/\.gguf$/i, '').toLowerCase().replace(/[^a-z0-9._:-]+/g, '-') || 'model';
}

/** A stop trigger's plain text (node-llama-cpp gives strings, LlamaTexts or token/string lists). */
function triggerText(t: string | { values: readonly unknown[] } | readonly unknown[]): string {
  if (typeof t === 'string') return t;
  const parts: readonly unknown[] = 'values' in t && !Array.isArray(t) ? (t as { values: readonly unknown[] }).values : (t as readonly unknown[]);
  return parts.filter((v): v is string => typeof v === 'string').join('');
}

function normalize(v: number[]): number[] {
  const n = Math.hypot(...v);
  return n > 0 ? v.map((x) => x / n) : v;
}
