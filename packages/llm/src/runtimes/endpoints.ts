import type { EndpointConfig, EndpointKind } from './types.js';

export const OLLAMA_DEFAULT = 'http://127.0.0.1:11434';
/** `wb llm serve`'s default address. */
export const WORKBENCH_DEFAULT = 'http://127.0.0.1:11435';

/** A base URL from what a user typed: scheme optional, 0.0.0.0 (a bind address) means this machine. */
export function normalizeUrl(raw: string, defaultPort: number): string {
  let s = raw.trim();
  if (s === '') throw new Error('an endpoint URL is empty');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) s = `http://${s.startsWith(':') ? '127.0.0.1' : ''}${s}`;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new Error(`'${raw}' is not a URL (expected e.g. http://127.0.0.1:11434)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`'${raw}' is not an http(s) URL`);
  if (u.username || u.password) throw new Error('put no credentials in an endpoint URL');
  if (u.hostname === '0.0.0.0' || u.hostname === '[::]') u.hostname = '127.0.0.1';
  if (!u.port && !/:\d+$/.test(u.host)) u.port = String(u.protocol === 'https:' ? 443 : defaultPort);
  // The clients add /api or /v1 themselves.
  let p = u.pathname.replace(/\/+$/, '');
  if (p === '/v1' || p === '/api') p = '';
  return `${u.protocol}//${u.host}${p}`;
}

/** Ollama's address as Ollama itself reads it: $OLLAMA_HOST, else 127.0.0.1:11434. */
export function ollamaHost(env: NodeJS.ProcessEnv = process.env): { url: string; origin: 'env' | 'default' } {
  const h = env.OLLAMA_HOST?.trim();
  if (h) {
    try {
      return { url: normalizeUrl(h, 11434), origin: 'env' };
    } catch {
      /* a malformed OLLAMA_HOST: Ollama falls back too */
    }
  }
  return { url: OLLAMA_DEFAULT, origin: 'default' };
}

/** The runtimes looked for on every machine, at their usual ports. */
export function defaultEndpoints(env: NodeJS.ProcessEnv = process.env): EndpointConfig[] {
  const o = ollamaHost(env);
  return [
    { name: 'ollama', kind: 'ollama', url: o.url, origin: o.origin },
    { name: 'workbench', kind: 'workbench', url: WORKBENCH_DEFAULT, origin: 'default' },
    { name: 'llama.cpp', kind: 'openai', url: 'http://127.0.0.1:8080', origin: 'default' },
    { name: 'lm-studio', kind: 'openai', url: 'http://127.0.0.1:1234', origin: 'default' },
    { name: 'vllm', kind: 'openai', url: 'http://127.0.0.1:8000', origin: 'default' },
  ];
}

/** Workspace endpoints first; a default at the same URL is dropped (the user's name wins). */
export function mergeEndpoints(defaults: EndpointConfig[], configured: EndpointConfig[]): EndpointConfig[] {
  const urls = new Set(configured.map((e) => e.url));
  return [...configured, ...defaults.filter((d) => !urls.has(d.url))];
}

/** Guess the kind of an ad-hoc --endpoint URL from its port: Ollama's, `wb llm serve`'s, else OpenAI-compatible. */
export function guessKind(url: string): EndpointKind {
  const port = new URL(url).port;
  return port === '11434' ? 'ollama' : port === '11435' ? 'workbench' : 'openai';
}
