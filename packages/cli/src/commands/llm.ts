import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { BenchPrompt, EndpointConfig, EndpointKind, EndpointSnapshot, MonitorSample, TopSort } from '@workbench/llm';
import type { Workspace } from '@workbench/core';
import { withWorkspace } from '../context.js';
import { intOption, numberOption } from '../options.js';
import { bytes, printJson, table } from '../output.js';

/** The `llm` group, created once whichever file registers into it first. */
function group(program: Command): Command {
  return program.commands.find((c) => c.name() === 'llm') ?? program.command('llm').description('local LLMs: serve GGUF models, check and watch compatible servers');
}

/** `wb llm status | top | bench | endpoint`: watching and measuring local LLM runtimes. */
export function registerLlm(program: Command): void {
  const llm = group(program);
  registerStatus(llm);
  registerTop(llm);
  registerBench(llm);
  registerEndpoint(llm);
}

async function userError(code: 'INVALID_INPUT' | 'NOT_FOUND' | 'UNAVAILABLE', message: string, hint?: string): Promise<Error> {
  const { UserError, OperationalError } = await import('@workbench/core');
  return code === 'UNAVAILABLE' ? new OperationalError(code, message, hint ? { hint } : {}) : new UserError(code, message, hint ? { hint } : {});
}

/** Configured workspace endpoints plus the usual local ports, or only what --endpoint names. */
async function resolveEndpoints(ws: Workspace, flags: string[] | undefined, kind?: string): Promise<EndpointConfig[]> {
  const { LlmEndpoints } = await import('@workbench/core');
  const { defaultEndpoints, mergeEndpoints, normalizeUrl, guessKind, detectKind } = await import('@workbench/llm');
  if (kind !== undefined && !['ollama', 'openai', 'workbench'].includes(kind)) throw await userError('INVALID_INPUT', `--kind ${kind}: use ollama, openai or workbench`);
  const configured: EndpointConfig[] = (await new LlmEndpoints(ws).list()).map((e) => ({ name: e.name, kind: e.kind, url: e.url, origin: 'workspace' }));
  if (!flags || flags.length === 0) return mergeEndpoints(defaultEndpoints(), configured);
  const out: EndpointConfig[] = [];
  for (const f of flags) {
    const named = configured.find((e) => e.name === f) ?? defaultEndpoints().find((e) => e.name === f);
    if (named) {
      out.push({ ...named, origin: 'flag' });
      continue;
    }
    let url: string;
    try {
      url = normalizeUrl(f, 80);
    } catch (err) {
      throw await userError('INVALID_INPUT', `--endpoint ${f}: ${(err as Error).message}`, 'give a URL such as http://127.0.0.1:11434 or the name of a configured endpoint (wb llm endpoint list)');
    }
    out.push({ name: new URL(url).host, kind: (kind as EndpointKind | undefined) ?? (await detectKind(url)) ?? guessKind(url), url, origin: 'flag' });
  }
  return out;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function endpointState(e: EndpointSnapshot): string {
  return e.connected ? `connected (${Math.round(e.latencyMs ?? 0)} ms)` : `not running: ${e.reason}`;
}

function statusText(s: MonitorSample): string {
  const out: string[] = [];
  out.push('ENDPOINTS');
  out.push(
    table(
      s.endpoints.map((e) => ({ name: e.name, kind: e.kind, url: e.url, state: endpointState(e), loaded: e.connected ? e.loaded.length : '', from: e.origin })),
      [
        { key: 'name', title: 'name' },
        { key: 'kind', title: 'kind' },
        { key: 'url', title: 'url' },
        { key: 'state', title: 'state' },
        { key: 'loaded', title: 'loaded', align: 'right' },
        { key: 'from', title: 'from' },
      ],
    ).trimEnd(),
  );
  const models = s.endpoints.flatMap((e) => e.loaded.map((m) => ({ endpoint: e.name, model: m.name, size: m.sizeBytes === null ? '–' : bytes(m.sizeBytes), vram: m.vramBytes === null ? '–' : bytes(m.vramBytes), onGpu: m.sizeBytes && m.vramBytes !== null ? `${Math.round((m.vramBytes / m.sizeBytes) * 100)}%` : '–', note: m.cpuSpill ? 'CPU spill (size_vram < size)' : '' })));
  out.push('', 'LOADED MODELS');
  out.push(
    models.length
      ? table(models, [
          { key: 'endpoint', title: 'endpoint' },
          { key: 'model', title: 'model' },
          { key: 'size', title: 'size', align: 'right' },
          { key: 'vram', title: 'vram', align: 'right' },
          { key: 'onGpu', title: 'on gpu', align: 'right' },
          { key: 'note', title: '' },
        ]).trimEnd()
      : '(none)',
  );
  for (const e of s.endpoints) if (e.memoryCheck?.note) out.push(`! ${e.name}: ${e.memoryCheck.note}`);
  const sys = s.system;
  out.push('', 'SYSTEM');
  out.push(`cpu     ${sys.cpu ? `${sys.cpu.percent === null ? '–' : sys.cpu.percent.toFixed(0) + '%'} of ${sys.cpu.cores} cores, load ${sys.cpu.load1.toFixed(2)}` : 'not available'}`);
  out.push(`memory  ${sys.memory ? `${bytes(sys.memory.usedBytes)} / ${bytes(sys.memory.totalBytes)} used, swap ${bytes(sys.memory.swapUsedBytes)} / ${bytes(sys.memory.swapTotalBytes)}` : 'not available'}`);
  for (const g of sys.gpus) {
    const f = (v: number | null, unit: string, d = 0) => (v === null ? '–' : `${v.toFixed(d)}${unit}`);
    const thr = g.throttleReasons?.filter((r) => r !== 'GpuIdle') ?? [];
    out.push(`gpu${g.index}    ${g.name}: util ${f(g.utilPercent, '%')}, mem ${g.memUsedBytes === null ? '–' : bytes(g.memUsedBytes)} / ${g.memTotalBytes === null ? '–' : bytes(g.memTotalBytes)}, ${f(g.temperatureC, '°C')}, ${f(g.powerW, ' W')}, ${f(g.smClockMHz, ' MHz')}${thr.length ? `, THROTTLED (${thr.join(', ')})` : ''}`);
  }
  for (const src of sys.sources) if (!src.available) out.push(`${src.source.padEnd(10)} not available: ${src.reason}`);
  const hot = sys.thermal.filter((z) => z.throttling);
  if (hot.length) out.push(`thermal throttling: ${hot.map((z) => `${z.name} ${z.temperatureC.toFixed(0)}°C`).join(', ')}`);
  return out.join('\n') + '\n';
}

function registerStatus(llm: Command): void {
  llm
    .command('status')
    .description('one look at local LLM runtimes (connected or not, and why), loaded models with size and VRAM, system and GPU')
    .option('--endpoint <url|name>', 'only this endpoint (repeatable; default: the workspace list and the usual local ports)', collect)
    .option('--kind <kind>', 'API of an --endpoint URL: ollama, openai or workbench (default: detected)')
    .option('--timeout <ms>', 'per-endpoint timeout', '1500')
    .option('--json', 'print JSON')
    .action(async (opts: { endpoint?: string[]; kind?: string; timeout: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { LlmMonitor } = await import('@workbench/llm');
        const eps = await resolveEndpoints(ws, opts.endpoint, opts.kind);
        const mon = new LlmMonitor({ endpoints: () => eps, probeTimeoutMs: intOption(opts.timeout, '--timeout', 1, 600_000) ?? 1500 });
        // CPU use is a difference of two readings: take one, wait a moment, then the real sample.
        await mon.system.sample();
        await new Promise((r) => setTimeout(r, 250));
        const s = await mon.sample();
        if (opts.json) return printJson(s);
        process.stdout.write(statusText(s));
      }),
    );
}

function registerTop(llm: Command): void {
  llm
    .command('top')
    .description('a live dashboard of local LLM runtimes: loaded models, generating or idle, tok/s, system and GPU gauges (keys: e/tab endpoint, s sort, q quit)')
    .option('--endpoint <url|name>', 'only this endpoint (repeatable)', collect)
    .option('--kind <kind>', 'API of an --endpoint URL: ollama, openai or workbench')
    .option('--interval <seconds>', 'seconds between samples', '2')
    .option('--direct', 'sample from this process even when wb serve is running (default: read the server’s monitor when it runs)')
    .action(async (opts: { endpoint?: string[]; kind?: string; interval: string; direct?: boolean }, cmd: Command) => {
      if (!process.stdout.isTTY || !process.stdin.isTTY) {
        process.stderr.write('wb llm top draws a live dashboard and needs a terminal; stdout or stdin is not one here.\nhint: for a one-shot view use `wb llm status` (add --json for scripts)\n');
        process.exitCode = 2;
        return;
      }
      await withWorkspace(cmd, async (ws) => {
        const { LlmMonitor, RingBuffer, renderTopFrame, topSorts } = await import('@workbench/llm');
        const { readServerInfo } = await import('@workbench/core');
        const eps = await resolveEndpoints(ws, opts.endpoint, opts.kind);
        const mon = new LlmMonitor({ endpoints: () => eps });
        // One sampler for everyone: with wb serve running (and no --endpoint), read its monitor.
        const server = opts.direct || opts.endpoint?.length ? null : await readServerInfo(ws);
        const token = server ? await ws.token() : '';
        let via = server ? `the server at ${server.url}` : 'this process (sampling directly)';
        const sample = async (): Promise<MonitorSample> => {
          if (server && via.startsWith('the server')) {
            try {
              const res = await fetch(`${server.url}/api/v1/llm/status`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
              if (res.ok) return (await res.json()) as MonitorSample;
            } catch {
              /* the server went away: sample here from now on */
            }
            via = 'this process (the server stopped answering)';
          }
          return mon.sample();
        };
        const history = new RingBuffer<MonitorSample>(300);
        const intervalMs = Math.round(numberOption(opts.interval, '--interval', 0.25, 3600)! * 1000);
        let endpoint = 0;
        let sort: TopSort = 'vram';
        const out = process.stdout;
        const draw = () => {
          const lines = renderTopFrame(history.toArray(), { width: out.columns || 100, height: (out.rows || 30) - 1, endpoint, sort, via });
          // Home the cursor and overwrite every cell: no clear, so no flicker.
          out.write('\x1b[H' + lines.join('\n'));
        };
        out.write('\x1b[?1049h\x1b[?25l\x1b[2J');
        const restore = () => out.write('\x1b[?25h\x1b[?1049l');
        await new Promise<void>((resolve) => {
          let timer: NodeJS.Timeout | null = null;
          let stopped = false;
          const stop = () => {
            if (stopped) return;
            stopped = true;
            if (timer) clearTimeout(timer);
            process.stdin.setRawMode(false);
            process.stdin.pause();
            process.stdin.off('data', onKey);
            out.off('resize', onResize);
            restore();
            resolve();
          };
          const onKey = (buf: Buffer) => {
            const k = buf.toString('utf8');
            if (k === 'q' || k === '\x03' || k === '\x1b') return stop();
            const n = history.last()?.endpoints.length ?? 1;
            if (k === 'e' || k === '\t') endpoint = (endpoint + 1) % Math.max(1, n);
            if (k === 'E' || k === '\x1b[Z') endpoint = (endpoint - 1 + n) % Math.max(1, n);
            if (k === 's') sort = topSorts[(topSorts.indexOf(sort) + 1) % topSorts.length]!;
            draw();
          };
          const onResize = () => {
            out.write('\x1b[2J');
            draw();
          };
          const tick = async () => {
            try {
              history.push(await sample());
            } catch {
              /* a sample never throws; a closed workspace would: stop quietly */
            }
            if (stopped) return;
            draw();
            timer = setTimeout(() => void tick(), intervalMs);
          };
          process.stdin.setRawMode(true);
          process.stdin.resume();
          process.stdin.on('data', onKey);
          out.on('resize', onResize);
          process.once('SIGTERM', stop);
          draw();
          void tick();
        });
      });
    });
}

function parseLevels(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
  const n = parts.map(Number);
  if (parts.length === 0 || n.some((x) => !Number.isInteger(x) || x < 1 || x > 256)) throw new Error(`--concurrency ${v}: give whole numbers from 1 to 256, e.g. 1,2,4,8`);
  return [...new Set(n)];
}

function registerBench(llm: Command): void {
  const bench = llm
    .command('bench')
    .description('benchmark a model on a local runtime: time to first token, prefill and decode tok/s (from the engine where it reports them), latency; stored as a run')
    .argument('[model]', 'the model name as the runtime knows it (e.g. llama3.2:1b)')
    .option('--endpoint <url|name>', 'the runtime (default: the first connected one that has the model)')
    .option('--kind <kind>', 'API of an --endpoint URL: ollama, openai or workbench')
    .option('--prompts <file>', 'custom prompts: .jsonl ({"prompt", "id"?, "max_tokens"?} per line) or .txt (one per line); default: the standard set')
    .option('--runs <n>', 'repeats of the prompt set at each concurrency level', '1')
    .option('--concurrency <levels>', 'concurrent requests, e.g. 1,2,4,8', '1')
    .option('--max-tokens <n>', 'tokens to generate per prompt (default: per prompt, 16-512)')
    .option('--project <name>', 'project to store the run in', 'llm-bench')
    .option('--name <name>', 'run name')
    .option('--no-warmup', 'skip the untimed warm-up request')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nexamples:\n  wb llm bench llama3.2:1b\n  wb llm bench qwen2.5:0.5b --endpoint http://127.0.0.1:11435 --runs 3 --concurrency 1,2,4\n  wb llm bench export <run> --format csv > bench.csv\n')
    .action(async (model: string | undefined, opts: { endpoint?: string; kind?: string; prompts?: string; runs: string; concurrency: string; maxTokens?: string; project: string; name?: string; warmup: boolean; json?: boolean }, cmd: Command) => {
      if (!model) throw await userError('INVALID_INPUT', 'which model? e.g. wb llm bench llama3.2:1b', 'wb llm status lists the models each runtime has');
      const runs = intOption(opts.runs, '--runs', 1, 10_000)!;
      let levels: number[];
      try {
        levels = parseLevels(opts.concurrency);
      } catch (err) {
        throw await userError('INVALID_INPUT', (err as Error).message);
      }
      const maxTokens = intOption(opts.maxTokens, '--max-tokens', 1, 1_000_000);
      await withWorkspace(cmd, async (ws) => runBenchCommand(ws, model, { ...opts, runs, levels, maxTokens }));
    });

  bench
    .command('export <run>')
    .description('a stored benchmark as JSON (params, every request, aggregates) or CSV (one row per request)')
    .option('--format <format>', 'json or csv', 'json')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (ref: string, opts: { format: string; output?: string }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        if (opts.format !== 'json' && opts.format !== 'csv') throw await userError('INVALID_INPUT', `--format ${opts.format}: use json or csv`);
        const { readBench, benchToCsv } = await import('@workbench/llm');
        const data = await readBench(ws, ref);
        const text = opts.format === 'csv' ? benchToCsv(data) : JSON.stringify(data, null, 2) + '\n';
        if (opts.output) {
          await writeFile(opts.output, text);
          process.stderr.write(`wrote ${data.samples.length} request(s) of run ${data.run.id} to ${opts.output}\n`);
        } else process.stdout.write(text);
      }),
    );
}

async function runBenchCommand(ws: Workspace, model: string, o: { endpoint?: string; kind?: string; prompts?: string; runs: number; levels: number[]; maxTokens: number | undefined; project: string; name?: string; warmup: boolean; json?: boolean }): Promise<void> {
  const llmPkg = await import('@workbench/llm');
  const { probeEndpoint, standardPrompts, loadPromptFile, PromptFileError, runBench, BenchRecorder, levelFigures } = llmPkg;
  let prompts: BenchPrompt[];
  try {
    prompts = o.prompts ? await loadPromptFile(o.prompts, o.maxTokens ?? 128) : [...standardPrompts];
  } catch (err) {
    if (err instanceof PromptFileError) throw await userError('INVALID_INPUT', err.message, 'see wb llm bench --help for the prompt file formats');
    throw err;
  }
  const candidates = await resolveEndpoints(ws, o.endpoint ? [o.endpoint] : undefined, o.kind);
  const probes = await Promise.all(candidates.map((e) => probeEndpoint(e, { timeoutMs: 1500 })));
  // Ollama reads a name without a tag as name:latest.
  const names = new Set([model, model.includes(':') ? model : `${model}:latest`]);
  let target = o.endpoint ? probes[0]! : (probes.find((p) => p.connected && (p.available.some((a) => names.has(a)) || p.loaded.some((m) => names.has(m.name)))) ?? null);
  if (!target) {
    const up = probes.filter((p) => p.connected);
    throw await userError(
      up.length ? 'NOT_FOUND' : 'UNAVAILABLE',
      up.length ? `no running endpoint has a model named '${model}' (looked at ${up.map((p) => p.name).join(', ')})` : 'no local LLM runtime is running',
      up.length ? 'wb llm status lists the models; or name the runtime: --endpoint URL' : 'start one (ollama serve, wb llm serve model.gguf, llama-server -m model.gguf) or point at it with --endpoint URL',
    );
  }
  if (!target.connected) throw await userError('UNAVAILABLE', `${target.url} is not running (${target.reason})`, 'start the runtime, or check the URL: wb llm status --endpoint URL');
  const endpoint: EndpointConfig = { name: target.name, kind: target.kind, url: target.url, origin: target.origin };
  const memory = await memoryProbe(endpoint, model);
  const total = o.levels.length * o.runs * prompts.length;
  const rec = await BenchRecorder.start(ws, {
    project: o.project,
    ...(o.name ? { name: o.name } : {}),
    params: { model, endpoint: endpoint.url, endpointKind: endpoint.kind, promptSet: o.prompts ?? 'standard', prompts: prompts.length, runs: o.runs, concurrency: o.levels, maxTokens: o.maxTokens ?? null },
    command: ['wb', ...process.argv.slice(2)],
    total,
  });
  const ac = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('\nstopping: finishing the record of what ran (Ctrl-C again to quit at once)\n');
      ac.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', onSigint);
  const bar = await progressBar(`bench ${model}`, total);
  let result;
  try {
    result = await runBench({
      endpoint,
      model,
      prompts,
      runs: o.runs,
      concurrency: o.levels,
      ...(o.maxTokens !== undefined ? { maxTokens: o.maxTokens } : {}),
      warmup: o.warmup,
      signal: ac.signal,
      ...(memory ? { memory } : {}),
      onSample: async (s, done) => {
        await rec.sample(s, done);
        bar.update(done, s.ok ? `${s.promptId} c=${s.concurrency} decode ${s.decodeTokPerS?.toFixed(1) ?? '–'} tok/s` : `${s.promptId} failed: ${s.error}`);
      },
    });
  } catch (err) {
    bar.stop();
    process.off('SIGINT', onSigint);
    await rec.fail(err);
    throw await userError('UNAVAILABLE', (err as Error).message, 'check the runtime with wb llm status');
  }
  bar.stop();
  process.off('SIGINT', onSigint);
  const run = await rec.finish(result);
  if (o.json) return printJson({ run: { id: run.id, name: run.name, status: run.status, statusReason: run.statusReason }, endpoint, model, levels: result.levels, peakMemory: result.peakMemory, samples: result.samples });
  const sources = [...new Set(result.samples.filter((s) => s.ok).flatMap((s) => [`prefill: ${s.prefillSource}`, `decode: ${s.decodeSource}`]))];
  const fmt = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? '–' : v.toFixed(d));
  const rows = result.levels.map((l) => {
    const f = levelFigures(l);
    return { c: l.concurrency, n: `${l.samples - l.failed}/${l.samples}`, ttft: `${fmt(f['ttft_ms/p50'], 0)} / ${fmt(f['ttft_ms/p95'], 0)}`, prefill: `${fmt(f['prefill_tok_s/mean'])} / ${fmt(f['prefill_tok_s/p50'])}`, decode: `${fmt(f['decode_tok_s/mean'])} / ${fmt(f['decode_tok_s/p50'])} / ${fmt(f['decode_tok_s/p95'])}`, total: `${fmt(f['total_ms/p50'], 0)} / ${fmt(f['total_ms/p95'], 0)}`, tput: fmt(l.systemThroughputTokPerS) };
  });
  process.stdout.write(
    `${run.status === 'cancelled' ? 'cancelled: partial results kept' : run.status === 'failed' ? 'failed' : 'done'} — ${model} at ${endpoint.url} (${endpoint.kind})\n` +
      table(rows, [
        { key: 'c', title: 'conc', align: 'right' },
        { key: 'n', title: 'ok', align: 'right' },
        { key: 'ttft', title: 'ttft ms p50/p95', align: 'right' },
        { key: 'prefill', title: 'prefill tok/s mean/p50', align: 'right' },
        { key: 'decode', title: 'decode tok/s mean/p50/p95', align: 'right' },
        { key: 'total', title: 'latency ms p50/p95', align: 'right' },
        { key: 'tput', title: 'all requests tok/s', align: 'right' },
      ]) +
      `rates from: ${sources.join(', ') || 'none'} (engine:* = the runtime's own counters; client:stream = time between streamed tokens)\n` +
      `peak memory: ${result.peakMemory ? `${bytes(result.peakMemory.bytes)} (${result.peakMemory.source})` : 'not reported by this runtime'}\n` +
      (run.statusReason ? `${run.statusReason}\n` : '') +
      `run ${run.id} (${run.name}) in project ${o.project}; export: wb llm bench export ${run.id} --format csv\n`,
  );
  if (run.status === 'failed') process.exitCode = 1;
}

/** Peak memory: Ollama's /api/ps size for the model, or the RSS of the built-in engine's process. */
async function memoryProbe(ep: EndpointConfig, model: string): Promise<(() => Promise<{ bytes: number; source: string } | null>) | null> {
  const { probeEndpoint } = await import('@workbench/llm');
  if (ep.kind === 'ollama') {
    return async () => {
      const st = await probeEndpoint(ep, { listAvailable: false, timeoutMs: 1000 });
      const m = st.loaded.find((x) => x.name === model || x.name === `${model}:latest`);
      return m?.sizeBytes ? { bytes: m.sizeBytes, source: 'ollama /api/ps size' } : null;
    };
  }
  const { LlmMonitor } = await import('@workbench/llm');
  const mon = new LlmMonitor({ endpoints: () => [ep] });
  const first = await mon.sample().catch(() => null);
  const pid = first?.endpoints[0]?.pid ?? null;
  if (pid === null) return null;
  return async () => {
    const rss = await mon.system.processRss(pid);
    return rss === null ? null : { bytes: rss, source: `RSS of the server process ${pid}` };
  };
}

async function progressBar(label: string, total: number): Promise<{ update: (done: number, detail: string) => void; stop: () => void }> {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format: `${label} [{bar}] {value}/{total} {detail}`, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
  bar.start(total, 0, { detail: 'warming up' });
  return { update: (done, detail) => bar.update(done, { detail }), stop: () => bar.stop() };
}

function registerEndpoint(llm: Command): void {
  const ep = llm.command('endpoint').description('LLM runtimes the workspace watches, beyond the usual local ports');
  ep.command('add <name> <url>')
    .description('add a runtime (kind detected by asking it, else guessed from the port: 11434 ollama, 11435 workbench, else openai-compatible)')
    .option('--kind <kind>', 'ollama, openai or workbench')
    .option('--json', 'print JSON')
    .action(async (name: string, url: string, opts: { kind?: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { LlmEndpoints } = await import('@workbench/core');
        const { normalizeUrl, guessKind, detectKind, probeEndpoint } = await import('@workbench/llm');
        let norm: string;
        try {
          norm = normalizeUrl(url, 80);
        } catch (err) {
          throw await userError('INVALID_INPUT', (err as Error).message, 'e.g. wb llm endpoint add studio http://127.0.0.1:1234');
        }
        const kind = opts.kind ?? (await detectKind(norm)) ?? guessKind(norm);
        const e = await new LlmEndpoints(ws).add({ name, kind, url: norm });
        const st = await probeEndpoint({ name: e.name, kind: e.kind, url: e.url, origin: 'workspace' }, { timeoutMs: 1500, listAvailable: false });
        if (opts.json) return printJson({ ...e, connected: st.connected, reason: st.reason });
        process.stdout.write(`added ${e.name} (${e.kind}) ${e.url} — ${st.connected ? 'connected' : `not running now: ${st.reason}`}\n`);
      }),
    );
  ep.command('list')
    .alias('ls')
    .description('configured and default endpoints, each connected or not running (with the reason)')
    .option('--no-probe', 'do not contact the endpoints')
    .option('--json', 'print JSON')
    .action(async (opts: { probe: boolean; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { probeEndpoint } = await import('@workbench/llm');
        const eps = await resolveEndpoints(ws, undefined);
        const st = opts.probe ? await Promise.all(eps.map((e) => probeEndpoint(e, { timeoutMs: 1500, listAvailable: false }))) : null;
        const rows = eps.map((e, i) => ({ name: e.name, kind: st?.[i]?.kind ?? e.kind, url: e.url, from: e.origin, ...(st ? { connected: st[i]!.connected, reason: st[i]!.reason, loaded: st[i]!.loaded.map((m) => m.name) } : {}) }));
        if (opts.json) return printJson(rows);
        process.stdout.write(
          table(
            rows.map((r) => ({ ...r, state: 'connected' in r ? (r.connected ? `connected, ${r.loaded?.length ?? 0} loaded` : `not running: ${r.reason}`) : '' })),
            [
              { key: 'name', title: 'name' },
              { key: 'kind', title: 'kind' },
              { key: 'url', title: 'url' },
              { key: 'from', title: 'from' },
              ...(st ? [{ key: 'state', title: 'state' }] : []),
            ],
          ) + 'add one: wb llm endpoint add NAME URL [--kind ollama|openai|workbench]\n',
        );
      }),
    );
  ep.command('rm <name>')
    .alias('remove')
    .description('stop watching a configured endpoint')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { LlmEndpoints } = await import('@workbench/core');
        const e = await new LlmEndpoints(ws).remove(name);
        if (opts.json) return printJson(e);
        process.stdout.write(`removed ${e.name} (${e.url})\n`);
      }),
    );
}
