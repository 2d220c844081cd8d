// Tokens per second through `wb llm serve` (Ollama API and OpenAI API, streaming) against
// node-llama-cpp called in-process on the same model, prompt and greedy sampling; and the time
// to first token each adds. Targets: ≥ 95 % of in-process decode speed, < 5 ms added to the
// first token. The runs are interleaved round by round, in a shuffled order (a run that always
// follows the in-process one finds the server's caches cold and its prompt evaluation slower);
// medians and best of 15 rounds (quick: 2 rounds, a tiny model).
//
// Time to first token is the first visible text on every side (in-process too: a token that
// decodes to nothing yet does not count). The added time is measured per request, as the
// client's time to first text less the engine's own prompt-evaluation time for that request
// (Ollama `prompt_eval_duration`, llama.cpp `timings.prompt_ms`): what the in-process call
// spends is exactly that evaluation, so the difference is what HTTP, parsing, the chat template
// and the stream add. Comparing medians of separate runs instead (`…VsInProcessMedian`) mixes
// in the machine's noise, which on a shared machine is larger than the overhead itself.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { dist, median, quick, report, root, round, tempHome } from './lib.mjs';

const { writeTinyModel } = await import(dist('gguf'));
const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');

// One thread by default: on a shared 2-core machine two spinning llama.cpp threads are slowed
// by other processes hundreds of times over, which would measure the machine, not the server.
// WB_BENCH_LLM_THREADS=2 measures with both cores.
const THREADS = Number(process.env.WB_BENCH_LLM_THREADS ?? 1);
const RUNS = quick ? 2 : 15;
const TOKENS = quick ? 16 : 128;
const PROMPT = 'The history of the harbour town begins with a small fishing village on the northern shore, where';
const shape = quick
  ? { nLayer: 2, nEmbd: 64, nHead: 4, nFf: 128, nVocab: 300, contextLength: 512 }
  : { nLayer: 4, nEmbd: 256, nHead: 8, nFf: 768, nVocab: 512, contextLength: 1024 };

const { dir, dispose } = await tempHome('wb-bench-llm-');
const file = path.join(dir, 'bench.gguf');
await writeTinyModel(file, { ...shape, weightType: 'f16', seed: 11, name: 'bench' });

/**
 * Decode rate as a client sees it: the tokens after the first over the time from the first
 * token's arrival to the end of the response (per-chunk arrival times are unreliable when the
 * socket delivers several chunks in one read).
 */
const decodeRate = (tokens, firstMs, endMs) => (tokens > 1 ? ((tokens - 1) / (endMs - firstMs)) * 1000 : NaN);

// --- in-process: node-llama-cpp directly, the same loop shape a server would run ---
const llama = await getLlama({ gpu: false, build: 'never', maxThreads: THREADS, logLevel: LlamaLogLevel.error, progressLogs: false });
const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
const context = await model.createContext({ contextSize: shape.contextLength, threads: THREADS });
const promptTokens = [...(model.tokens.shouldPrependBosToken && model.tokens.bos !== null ? [model.tokens.bos] : []), ...model.tokenize(PROMPT)];
async function inProcess() {
  const seq = context.getSequence();
  const t0 = performance.now();
  const times = [];
  const generated = [];
  let firstTextMs;
  for await (const token of seq.evaluate(promptTokens, { temperature: 0, yieldEogToken: true })) {
    if (model.isEogToken(token)) break;
    times.push(performance.now());
    generated.push(token);
    if (firstTextMs === undefined) {
      const text = model.detokenize(generated);
      if (text !== '' && !text.endsWith('\uFFFD')) firstTextMs = performance.now();
    }
    if (times.length >= TOKENS) break;
  }
  seq.dispose();
  return { ttftMs: firstTextMs - t0, decodeTokPerSec: decodeRate(times.length, times[0], times.at(-1)), tokens: times.length };
}
// --- through `wb llm serve` as a child process ---
const bin = path.join(root, 'packages/cli/dist/bundle/bin.js');
const server = spawn(process.execPath, [bin, 'llm', 'serve', file, '--name', 'bench', '--port', '0', '--threads', String(THREADS), '--ctx-size', String(shape.contextLength), '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))).url);
  });
  server.once('exit', (code) => reject(new Error(`wb llm serve exited ${code}`)));
});

async function* lines(res) {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body) {
    buf += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
    }
  }
}

// A free string field: the grammar checks every token and the reply runs to num_predict.
const SCHEMA = { type: 'object', properties: { story: { type: 'string' } } };

async function viaOllama(format) {
  const t0 = performance.now();
  const res = await fetch(`${url}/api/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'bench', prompt: PROMPT, raw: true, ...(format ? { format } : {}), options: { temperature: 0, num_predict: TOKENS } }) });
  const times = [];
  let final;
  for await (const line of lines(res)) {
    if (!line.trim()) continue;
    const o = JSON.parse(line);
    if (o.done) final = o;
    else if (o.response) times.push(performance.now());
  }
  const end = performance.now();
  return {
    ttftMs: times[0] - t0,
    prefillMs: final.prompt_eval_duration / 1e6,
    addedMs: times[0] - t0 - final.prompt_eval_duration / 1e6,
    decodeTokPerSec: decodeRate(final.eval_count, times[0], end),
    tokens: final.eval_count,
    engineDecodeTokPerSec: final.eval_count / (final.eval_duration / 1e9),
  };
}

async function viaOpenAi() {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'bench', prompt: PROMPT, temperature: 0, max_tokens: TOKENS, stream: true, stream_options: { include_usage: true } }) });
  const times = [];
  let usage;
  let timings;
  for await (const line of lines(res)) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    const o = JSON.parse(line.slice(6));
    if (o.usage) usage = o.usage;
    if (o.timings) timings = o.timings;
    if (o.choices?.[0]?.text) times.push(performance.now());
  }
  const end = performance.now();
  return { ttftMs: times[0] - t0, prefillMs: timings.prompt_ms, addedMs: times[0] - t0 - timings.prompt_ms, decodeTokPerSec: decodeRate(usage.completion_tokens, times[0], end), tokens: usage.completion_tokens };
}

// Chat: the model's chat template on the server (and its end-of-turn stop strings held back),
// first text only.
const CHAT = [{ role: 'user', content: PROMPT }];
async function viaOllamaChat() {
  const t0 = performance.now();
  const res = await fetch(`${url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'bench', messages: CHAT, options: { temperature: 0, num_predict: 8 } }) });
  let first;
  let final;
  for await (const line of lines(res)) {
    if (!line.trim()) continue;
    const o = JSON.parse(line);
    if (o.done) final = o;
    else if (o.message?.content && first === undefined) first = performance.now();
  }
  return { ttftMs: first - t0, prefillMs: final.prompt_eval_duration / 1e6, addedMs: first - t0 - final.prompt_eval_duration / 1e6 };
}
async function viaOpenAiChat() {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'bench', messages: CHAT, temperature: 0, max_tokens: 8, stream: true }) });
  let first;
  let timings;
  for await (const line of lines(res)) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    const o = JSON.parse(line.slice(6));
    if (o.timings) timings = o.timings;
    if (o.choices?.[0]?.delta?.content && first === undefined) first = performance.now();
  }
  return { ttftMs: first - t0, prefillMs: timings.prompt_ms, addedMs: first - t0 - timings.prompt_ms };
}

// Warm-ups load the model and fill caches: not measured.
await inProcess();
await viaOllama();
await viaOpenAi();
await viaOllama(SCHEMA);
await viaOllamaChat();
await viaOpenAiChat();
const kinds = {
  local: inProcess,
  ollama: () => viaOllama(),
  openai: viaOpenAi,
  grammar: () => viaOllama(SCHEMA),
  ollamaChat: viaOllamaChat,
  openaiChat: viaOpenAiChat,
};
const results = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
// A fixed-seed shuffle per round: every kind follows every other about equally often.
let seed = 0x9e3779b9;
const random = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
for (let i = 0; i < RUNS; i++) {
  const order = Object.keys(kinds);
  for (let j = order.length - 1; j > 0; j--) {
    const k = Math.floor(random() * (j + 1));
    [order[j], order[k]] = [order[k], order[j]];
  }
  for (const k of order) results[k].push(await kinds[k]());
}
const { local, ollama, openai, grammar, ollamaChat, openaiChat } = results;
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
await context.dispose();
await model.dispose();
await llama.dispose();
await dispose();

const summary = (xs) => ({
  decodeTokPerSecRange: [round(Math.min(...xs.map((x) => x.decodeTokPerSec))), round(Math.max(...xs.map((x) => x.decodeTokPerSec)))],
  decodeTokPerSec: round(median(xs.map((x) => x.decodeTokPerSec))),
  ttftMs: round(median(xs.map((x) => x.ttftMs)), 2),
  // Best of the rounds: least disturbed by other processes on a shared machine.
  ttftMsBest: round(Math.min(...xs.map((x) => x.ttftMs)), 2),
  decodeTokPerSecBest: round(Math.max(...xs.map((x) => x.decodeTokPerSec))),
  tokens: median(xs.map((x) => x.tokens)),
  ...(xs[0].engineDecodeTokPerSec !== undefined ? { engineDecodeTokPerSec: round(median(xs.map((x) => x.engineDecodeTokPerSec))) } : {}),
});
const inproc = summary(local);
const added = (xs) => ({
  enginePrefillMs: round(median(xs.map((x) => x.prefillMs)), 2),
  ttftOverheadMs: round(median(xs.map((x) => x.addedMs)), 2),
  ttftOverheadMsBest: round(Math.min(...xs.map((x) => x.addedMs)), 2),
});
const versus = (x, xs) => ({
  decodeVsInProcess: round(x.decodeTokPerSec / inproc.decodeTokPerSec, 3),
  decodeVsInProcessBest: round(x.decodeTokPerSecBest / inproc.decodeTokPerSecBest, 3),
  ...added(xs),
  ttftOverheadMsVsInProcessMedian: round(x.ttftMs - inproc.ttftMs, 2),
});
const chatSummary = (xs) => ({ ttftMs: round(median(xs.map((x) => x.ttftMs)), 2), ttftMsBest: round(Math.min(...xs.map((x) => x.ttftMs)), 2), ...added(xs) });
const o = summary(ollama);
const v1 = summary(openai);
const g = summary(grammar);
report('llm-serve', {
  threads: THREADS,
  model: { ...shape, weightType: 'f16' },
  promptTokens: promptTokens.length,
  maxTokens: TOKENS,
  runs: RUNS,
  inProcess: inproc,
  ollamaApi: { ...o, ...versus(o, ollama) },
  openaiApi: { ...v1, ...versus(v1, openai) },
  ollamaApiJsonSchema: { ...g, ...versus(g, grammar), decodeVsFreeText: round(g.decodeTokPerSec / o.decodeTokPerSec, 3) },
  ollamaChat: chatSummary(ollamaChat),
  openaiChat: chatSummary(openaiChat),
  // The machine's load while measuring: others' work slows every figure above.
  loadAverage: os.loadavg().map((x) => round(x, 2)),
  targets: { decodeVsInProcess: 0.95, ttftOverheadMs: 5 },
});
