import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { intOption } from '../options.js';
import { table } from '../output.js';

/** The `wb llm` group, created by whoever registers first so both halves share one group. */
export function llmGroup(program: Command): Command {
  return program.commands.find((c) => c.name() === 'llm') ?? program.command('llm').description('local LLMs: serve GGUF models, check and watch compatible servers');
}

interface ServeOptions {
  port: string;
  host: string;
  name?: string[];
  ctxSize?: string;
  gpu?: boolean;
  gpuLayers?: string;
  threads?: string;
  parallel: string;
  maxQueue: string;
  keepAlive: string;
  json?: boolean;
}

export function registerLlmServe(llm: Command): void {
  llm
    .command('serve <models...>')
    .description('serve GGUF models with the built-in engine behind Ollama- and OpenAI-compatible APIs')
    .option('--port <port>', 'port to listen on', '11435')
    .option('--host <host>', 'address to bind (0.0.0.0 exposes the server to your network)', '127.0.0.1')
    .option('--name <name...>', 'name each model (in order); default: the file name')
    .option('--ctx-size <tokens>', "context size to load models with (default: the model's own, at most 8192)")
    .option('--gpu', 'use a GPU build of llama.cpp when one is installed (default: CPU)')
    .option('--gpu-layers <n>', 'layers to offload to the GPU (with --gpu; default: as many as fit)')
    .option('--threads <n>', 'CPU threads (default: the core count)')
    .option('--parallel <n>', 'requests one model answers at once', '1')
    .option('--max-queue <n>', 'requests that may wait per model before new ones get 503', '32')
    .option('--keep-alive <duration>', 'how long an idle model stays loaded (Ollama keep_alive: 5m, 1h, 0, -1)', '5m')
    .option('--json', 'print one JSON line with the address when ready')
    .addHelpText('after', '\nexamples:\n  wb llm serve ./qwen2.5-0.5b-instruct-q4_k_m.gguf\n  ollama-client: OLLAMA_HOST=http://127.0.0.1:11435 ollama run qwen2.5-0.5b-instruct-q4_k_m\n  openai-client: base URL http://127.0.0.1:11435/v1\n')
    .action(async (models: string[], opts: ServeOptions, cmd: Command) => {
      const { LlmEngine, createLlmServer, parseKeepAlive } = await import('@workbench/llm');
      const { version } = await import('../program.js');
      const os = await import('node:os');
      const port = intOption(opts.port, '--port', 0, 65535)!;
      const threads = intOption(opts.threads, '--threads', 1, 1024) ?? os.availableParallelism();
      const gpuLayers = intOption(opts.gpuLayers, '--gpu-layers', 0, 10_000);
      let keepAliveMs: number;
      try {
        keepAliveMs = parseKeepAlive(opts.keepAlive);
      } catch (err) {
        throw Object.assign(new Error(`--keep-alive: ${(err as Error).message}`), { code: 'INVALID_INPUT', exitCode: 2 });
      }
      const engine = new LlmEngine({
        gpu: opts.gpu ? 'auto' : false,
        threads,
        parallel: intOption(opts.parallel, '--parallel', 1, 64),
        maxQueue: intOption(opts.maxQueue, '--max-queue', 0, 100_000),
        defaultKeepAliveMs: keepAliveMs,
      });
      const contextSize = intOption(opts.ctxSize, '--ctx-size', 16, 1 << 20);
      for (const [i, ref] of models.entries()) {
        const { file, name: found } = await resolveModel(ref, cmd);
        const name = opts.name?.[i] ?? found;
        await engine.addModel(file, { ...(name ? { name } : {}), ...(contextSize ? { contextSize } : {}), ...(gpuLayers !== undefined ? { gpuLayers } : {}) });
      }
      const loopback = ['127.0.0.1', 'localhost', '::1'].includes(opts.host);
      const app = createLlmServer({ engine, version, localOnly: loopback });
      try {
        await app.listen({ host: opts.host, port });
      } catch (err) {
        await engine.close();
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
          const { OperationalError } = await import('@workbench/core');
          throw new OperationalError('UNAVAILABLE', `cannot listen on ${opts.host}:${port}: ${code === 'EADDRINUSE' ? 'the port is taken' : code === 'EACCES' ? 'permission denied' : 'no such address here'}`, {
            hint: 'pick another port with --port (0 takes a free one)',
          });
        }
        throw err;
      }
      const addr = app.server.address();
      const boundPort = typeof addr === 'object' && addr ? addr.port : port;
      const shownHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      const url = `http://${shownHost}:${boundPort}`;
      // One line, so a script can read the address as soon as it appears.
      if (opts.json) process.stdout.write(JSON.stringify({ url, openai: `${url}/v1`, models: engine.models().map((m) => ({ name: m.name, path: m.path, size: m.sizeBytes })) }) + '\n');
      else {
        process.stdout.write(
          table(
            engine.models().map((m) => ({ name: m.name, path: m.path })),
            [
              { key: 'name', title: 'model' },
              { key: 'path', title: 'file' },
            ],
          ) +
            `\nserving on ${url}  (Ollama API: ${url}/api/…, OpenAI API: ${url}/v1)\n` +
            `engine: llama.cpp via node-llama-cpp, ${opts.gpu ? 'GPU when available' : 'CPU'}, ${threads} thread(s); idle models unload after ${opts.keepAlive}\n` +
            (loopback ? '' : 'warning: reachable from your network without authentication\n') +
            'stop with Ctrl-C\n',
        );
      }
      // `on`, not `once`: a library loaded with the engine (signal-exit) re-raises the signal when
      // it believes it is the last listener. A second Ctrl-C leaves at once.
      let stopping = false;
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
          stopping = true;
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await app.close();
      await engine.close();
    });
}

export function registerLlmConform(llm: Command): void {
  llm
    .command('conform <url>')
    .description("check that a server speaks Ollama's and/or the OpenAI API correctly (units, framing, done reasons, usage, load/unload)")
    .option('--model <name>', 'model to exercise (default: the first the server lists)')
    .option('--max-tokens <n>', 'tokens per generation check', '8')
    .option('--no-unload', 'skip the keep_alive 0 check (it unloads the model)')
    .option('--timeout <seconds>', 'per request', '120')
    .option('--json', 'print JSON')
    .action(async (url: string, opts: { model?: string; maxTokens: string; unload: boolean; timeout: string; json?: boolean }) => {
      const { runConformance } = await import('@workbench/llm');
      const report = await runConformance(url, {
        ...(opts.model ? { model: opts.model } : {}),
        maxTokens: intOption(opts.maxTokens, '--max-tokens', 1, 4096)!,
        timeoutMs: intOption(opts.timeout, '--timeout', 1, 86_400)! * 1000,
        skipUnload: !opts.unload,
      });
      if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      else {
        const mark = { pass: 'ok', fail: 'FAIL', skip: 'skip' } as const;
        process.stdout.write(
          `${report.url}  model ${report.model ?? '(none)'}  APIs: ${[report.apis.ollama && 'Ollama', report.apis.openai && 'OpenAI'].filter(Boolean).join(', ') || 'none'}\n\n` +
            table(
              report.results.map((r) => ({ result: mark[r.status], api: r.api, check: r.id, detail: r.status === 'pass' ? r.detail : `${r.title}: ${r.detail}` })),
              [
                { key: 'result', title: 'result' },
                { key: 'api', title: 'api' },
                { key: 'check', title: 'check' },
                { key: 'detail', title: 'detail' },
              ],
            ) +
            `\n${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped\n`,
        );
      }
      if (report.failed > 0) process.exitCode = 1;
    });
}

/**
 * A model argument is a GGUF file, a registered model version whose artifact is a GGUF file
 * (`name`, `name@3`, `name@production`), or a GGUF model in the weight cache (`wb cache status`
 * ids and names), looked up in that order.
 */
async function resolveModel(ref: string, cmd: Command): Promise<{ file: string; name?: string }> {
  const { UserError, notFound } = await import('@workbench/core');
  const st = await stat(ref).catch(() => undefined);
  if (st?.isFile()) return { file: ref };
  if (st?.isDirectory()) throw new UserError('INVALID_INPUT', `'${ref}' is a folder, not a GGUF file`, { hint: 'give the path of the .gguf file inside it' });
  const { withWorkspace } = await import('../context.js');
  return withWorkspace(cmd, async (ws) => {
    const { Models } = await import('@workbench/core');
    const models = new Models(ws);
    const version = await models.version(ref).catch(() => undefined);
    if (version) {
      if (!/\.gguf$/i.test(version.artifactName))
        throw new UserError('INVALID_INPUT', `${version.modelName}@${version.version} is a ${version.format} model (${version.artifactName}), not GGUF`, { hint: 'wb llm serve runs GGUF models; ship other formats with wb serve-model' });
      return { file: models.artifactPath(version), name: ref.includes('@') ? ref.replace('@', ':') : version.modelName };
    }
    const { ModelCache, findModel } = await import('@workbench/modelcache');
    const { SqliteHashCache } = await import('@workbench/core');
    const cache = await ModelCache.open({ workspaceDir: ws.dir, hashCache: new SqliteHashCache(ws.db) });
    const { index } = await cache.scan();
    let m;
    try {
      m = findModel(index.models, ref);
    } catch (err) {
      if ((err as { code?: string }).code === 'AMBIGUOUS') throw err;
      throw notFound('GGUF file, registered model or cache entry', ref, 'give the path of a .gguf file, a registered model (wb model list) or a cache id (wb cache status)');
    }
    // The weights: the largest GGUF file (a vision projector or a draft model sits beside some).
    const gguf = m.files.filter((f) => f.format === 'gguf').sort((a, b) => b.size - a.size)[0];
    if (!gguf) throw new UserError('INVALID_INPUT', `cache entry ${m.id} has no GGUF file (it is ${m.format})`, { hint: 'wb llm serve runs GGUF models' });
    return { file: gguf.path, name: m.name };
  });
}
