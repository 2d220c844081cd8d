import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { describeFailure, fetchWithTimeout } from './errors.js';
import type { EndpointConfig, EndpointStatus } from './types.js';
import { parseLlamaCppMetrics, parseOllamaPs, parseOllamaTags, parseOpenAiModels } from './wire.js';

export interface ProbeOptions {
  timeoutMs?: number;
  /** Also list models the runtime can load (one more request). Default true. */
  listAvailable?: boolean;
}

// A monitor probes the same endpoints every few seconds: reuse their clients.
const clients = new Map<string, Ollama | OpenAI>();
function cached<T extends Ollama | OpenAI>(key: string, make: () => T): T {
  let c = clients.get(key);
  if (!c) {
    if (clients.size >= 64) clients.delete(clients.keys().next().value!);
    clients.set(key, (c = make()));
  }
  return c as T;
}

export function ollamaClient(url: string, timeoutMs: number): Ollama {
  return cached(`ollama ${timeoutMs} ${url}`, () => new Ollama({ host: url, fetch: fetchWithTimeout(timeoutMs) }));
}

export function openaiClient(url: string, timeoutMs: number): OpenAI {
  // Local servers need no key; the client insists on one.
  return cached(`openai ${timeoutMs} ${url}`, () => new OpenAI({ baseURL: `${url}/v1`, apiKey: process.env.WB_LLM_API_KEY ?? 'none', timeout: timeoutMs, maxRetries: 0, fetch: fetchWithTimeout(timeoutMs) }));
}

/**
 * Ask one endpoint what it has loaded. Never throws: a runtime that is not running comes back
 * `connected: false` with the reason.
 */
export async function probeEndpoint(ep: EndpointConfig, opts: ProbeOptions = {}): Promise<EndpointStatus> {
  const timeoutMs = opts.timeoutMs ?? 1500;
  const base: EndpointStatus = { ...ep, connected: false, reason: null, latencyMs: null, version: null, loaded: [], available: [], counters: null, pid: null };
  const t0 = performance.now();
  try {
    if (ep.kind === 'openai') {
      const client = openaiClient(ep.url, timeoutMs);
      // The raw body: the SDK's page object turns a missing "data" list into an empty one.
      const body = await client.get<unknown>('/models');
      base.latencyMs = performance.now() - t0;
      base.available = parseOpenAiModels(body && typeof body === 'object' ? (body as { data?: unknown }).data : undefined);
      // An OpenAI-compatible server serves what it lists (llama.cpp: the one model it loaded;
      // vLLM: its served models). Sizes are not part of this API.
      base.loaded = base.available.map((name) => ({ name, sizeBytes: null, vramBytes: null, cpuSpill: false, family: null, parameterSize: null, quantization: null, contextLength: null, expiresAt: null }));
      base.counters = await engineCounters(ep.url, timeoutMs);
    } else {
      const client = ollamaClient(ep.url, timeoutMs);
      const ps = await client.ps();
      base.latencyMs = performance.now() - t0;
      base.loaded = parseOllamaPs(ps);
      const [tags, version] = await Promise.all([
        opts.listAvailable === false ? Promise.resolve(null) : client.list().catch(() => null),
        client.version().catch(() => null),
      ]);
      if (tags) base.available = parseOllamaTags(tags);
      base.version = version?.version ?? null;
      // `wb llm serve` answers Ollama's API and says who it is in /api/version.
      if ((version as { server?: unknown } | null)?.server === 'workbench') base.kind = 'workbench';
      if (base.kind === 'workbench') base.counters = await engineCounters(ep.url, timeoutMs);
    }
    base.connected = true;
  } catch (err) {
    base.reason = describeFailure(err, timeoutMs);
    base.loaded = [];
  }
  return base;
}

/** llama.cpp's /metrics (only when the server was started with --metrics); null otherwise. */
export async function engineCounters(url: string, timeoutMs: number): Promise<EndpointStatus['counters']> {
  try {
    const res = await fetchWithTimeout(timeoutMs)(`${url}/metrics`);
    if (!res.ok) return null;
    const text = await res.text();
    return parseLlamaCppMetrics(text.slice(0, 1 << 20));
  } catch {
    return null;
  }
}

/**
 * Which API an address speaks, for a URL given without a kind: Ollama's /api/version answers
 * on Ollama and on `wb llm serve` (which says so); anything else is taken as OpenAI-compatible.
 */
export async function detectKind(url: string, timeoutMs = 1500): Promise<EndpointConfig['kind'] | null> {
  try {
    const res = await fetchWithTimeout(timeoutMs)(`${url}/api/version`);
    if (res.ok) {
      const v = (await res.json().catch(() => null)) as { version?: unknown; server?: unknown } | null;
      if (v && typeof v.version === 'string') return v.server === 'workbench' ? 'workbench' : 'ollama';
    }
    return 'openai';
  } catch {
    return null; // not reachable: the caller guesses from the port
  }
}
