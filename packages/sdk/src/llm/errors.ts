/** Errors an LLM client can act on, each with a hint that says what to do next. */
export class LlmError extends Error {
  readonly hint: string | undefined;
  readonly status: number | undefined;
  constructor(message: string, opts: { hint?: string; status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
    this.status = opts.status;
  }
}

/** Nothing answers at the endpoint. */
export class LlmNotRunningError extends LlmError {
  constructor(readonly endpoint: string, cause?: unknown) {
    super(`no LLM server answers at ${endpoint}`, { hint: 'start one (ollama serve, or wb llm serve MODEL.gguf) or pass the right endpoint', cause });
  }
}

/** The server runs but does not have the model. */
export class ModelNotFoundError extends LlmError {
  constructor(readonly model: string, readonly endpoint: string, detail?: string) {
    super(`model '${model}' is not available at ${endpoint}${detail ? `: ${detail}` : ''}`, { hint: 'listModels() shows what the server has (ollama pull NAME fetches one into Ollama)', status: 404 });
  }
}

export class LlmTimeoutError extends LlmError {
  constructor(readonly timeoutMs: number) {
    super(`the LLM server did not finish within ${timeoutMs} ms`, { hint: 'raise timeoutMs, or ask for fewer tokens (maxTokens)' });
  }
}

/** The caller's AbortSignal fired. */
export class LlmAbortedError extends LlmError {
  constructor() {
    super('the request was cancelled');
  }
}

/** The prompt does not fit the model's context and would be truncated. */
export class LlmContextOverflowError extends LlmError {
  constructor(readonly promptTokens: number, readonly contextLength: number, readonly estimated: boolean) {
    super(`the prompt is ${estimated ? 'about ' : ''}${promptTokens} tokens but the model's context holds ${contextLength}`, {
      hint: 'shorten the prompt, or load the model with a larger context ({ contextLength } — passed to Ollama as num_ctx)',
    });
  }
}

/** Any other error the server answered with. */
export class LlmServerError extends LlmError {}

/**
 * The model or server cannot take image input: found before sending from the model's
 * capabilities (Ollama and Workbench `/api/show`), or from the server's refusal.
 */
export class LlmImagesUnsupportedError extends LlmServerError {
  constructor(
    readonly model: string,
    readonly endpoint: string,
    detail: string,
    status?: number,
  ) {
    super(`model '${model}' at ${endpoint} cannot read images: ${detail}`, {
      hint: 'use a vision model (in Ollama e.g. llava, qwen2.5vl or gemma3; llama.cpp server started with --mmproj), or send text only; wb llm serve has no vision support',
      ...(status === undefined ? {} : { status }),
    });
  }
}

/** An image given to generate/chat is not one: unreadable file, not base64, not PNG/JPEG/GIF/WebP. */
export class LlmInvalidImageError extends LlmError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, { hint: hint ?? 'pass the bytes of a PNG, JPEG, GIF or WebP file, its base64 text, or { path: FILE }', cause });
  }
}
