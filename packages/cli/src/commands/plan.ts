import type { Command } from 'commander';
import type { Gpu, KvDtype, LayerPlan, Plan, PlanSettings } from '@workbench/planner';
import type { GlobalOptions } from '../context.js';
import { bytes, printJson, table } from '../output.js';

interface PlanOpts {
  gpu?: string;
  gpus?: string;
  gpuFile?: string;
  context?: string;
  batch?: string;
  quant?: string;
  kvDtype?: string;
  engine?: string;
  ubatch?: string;
  flashAttn?: boolean;
  overheadMib?: string;
  efficiency?: string;
  layers?: boolean;
  json?: boolean;
}

/** `32k` → 32768, `1m` → 1048576, `4096` → 4096. */
export function parseCount(v: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([km]?)$/i.exec(v.trim());
  const n = m ? Number(m[1]) * (m[2]?.toLowerCase() === 'k' ? 1024 : m[2]?.toLowerCase() === 'm' ? 1024 * 1024 : 1) : NaN;
  // The example fits the flag: a context of 32k is common, a batch or GPU count of 32k is not.
  const example = ({ context: '32k', ubatch: '512', batch: '4', gpus: '2' } as Record<string, string>)[what] ?? '4096';
  if (!Number.isSafeInteger(n) || n < 1) throw Object.assign(new Error(`--${what} must be a positive whole number (4096, 32k and 1m are read as counts); got '${v}'`), { code: 'INVALID_INPUT', exitCode: 2, hint: `e.g. --${what} ${example}` });
  return n;
}

function withPlanOptions(cmd: Command): Command {
  return cmd
    .option('--gpu <gpu>', 'GPU to fit on (h100, h200, a100, l40s, l4, 4090, 3090, m2-ultra …; wb plan gpus lists them)')
    .option('--gpus <n>', 'how many of that GPU (tensor-parallel: memory and bandwidth add up)')
    .option('--gpu-file <file>', 'YAML/JSON file of extra GPUs (default $WB_HOME/gpus.yaml when present)')
    .option('--context <tokens>', 'context per sequence: 4096, 32k, 128k (default: the model’s, capped at 8k)')
    .option('--batch <n>', 'parallel sequences, each with its own context', '1')
    .option('--quant <format>', 'weight format: GGUF q4_k_m q5_k_m q6_k q8_0 q4_0 iq4_xs … or f16/bf16/fp8/int8/int4/nf4/mxfp4 (default: the file’s own)')
    .option('--kv-dtype <dtype>', 'KV cache dtype: f16 bf16 fp8 q8_0 q4_0 (default: the engine’s)')
    .option('--engine <engine>', 'llama.cpp | vllm | transformers | mlx (default: llama.cpp for GGUF, vllm otherwise)')
    .option('--ubatch <n>', 'llama.cpp physical batch (n_ubatch)', '512')
    .option('--flash-attn', 'llama.cpp with flash attention (smaller compute buffer)')
    .option('--overhead-mib <mib>', 'runtime overhead on the GPU in MiB (CUDA context, graphs), replacing the engine default')
    .option('--efficiency <0-1>', 'scale the roofline speed bounds', '1');
}

async function settingsFrom(opts: PlanOpts, cmd: Command): Promise<{ settings: PlanSettings; catalogue: Gpu[] }> {
  const { gpuCatalogue, findGpu, ENGINES, storageType, KV_DTYPES } = await import('@workbench/planner');
  const { UserError, resolveWorkspaceDir } = await import('@workbench/core');
  const catalogue = await gpuCatalogue({ ...(opts.gpuFile ? { gpuFile: opts.gpuFile } : {}), home: resolveWorkspaceDir(cmd.optsWithGlobals<GlobalOptions>().workspace) });
  const settings: PlanSettings = { batch: parseCount(opts.batch ?? '1', 'batch'), ubatch: parseCount(opts.ubatch ?? '512', 'ubatch') };
  if (opts.context) settings.context = parseCount(opts.context, 'context');
  if (opts.quant) settings.quant = opts.quant.toLowerCase();
  if (opts.kvDtype) {
    const k = opts.kvDtype.toLowerCase();
    if (!(KV_DTYPES as readonly string[]).includes(k) || !storageType(k)) throw new UserError('INVALID_INPUT', `unknown KV cache dtype '${opts.kvDtype}'`, { hint: `one of ${KV_DTYPES.join(', ')}` });
    settings.kvDtype = k as KvDtype;
  }
  if (opts.engine) {
    if (!(ENGINES as readonly string[]).includes(opts.engine)) throw new UserError('INVALID_INPUT', `unknown engine '${opts.engine}'`, { hint: `one of ${ENGINES.join(', ')}` });
    settings.engine = opts.engine as PlanSettings['engine'];
  }
  if (opts.flashAttn) settings.flashAttention = true;
  if (opts.overheadMib !== undefined) {
    const v = Number(opts.overheadMib);
    if (!Number.isFinite(v) || v < 0) throw new UserError('INVALID_INPUT', `--overhead-mib must be a number ≥ 0, got '${opts.overheadMib}'`);
    settings.overheadMiB = v;
  }
  if (opts.efficiency !== undefined) {
    const v = Number(opts.efficiency);
    if (!(v > 0 && v <= 1)) throw new UserError('INVALID_INPUT', `--efficiency must be in (0, 1], got '${opts.efficiency}'`);
    settings.efficiency = v;
  }
  if (opts.gpus) settings.gpuCount = parseCount(opts.gpus, 'gpus');
  if (opts.gpu) {
    const g = findGpu(opts.gpu, catalogue);
    if (!g) throw new UserError('NOT_FOUND', `unknown GPU '${opts.gpu}'`, { hint: 'wb plan gpus lists the catalogue; add your own with --gpu-file or $WB_HOME/gpus.yaml' });
    settings.gpu = g;
  }
  return { settings, catalogue };
}

/** Turn the math's own errors into user errors with a code and hint. */
async function userErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const { PlanError } = await import('@workbench/planner');
    if (e instanceof PlanError) {
      const { UserError } = await import('@workbench/core');
      throw new UserError('INVALID_INPUT', e.message, e.hint ? { hint: e.hint } : {});
    }
    throw e;
  }
}

const num = (n: number, d = 2) => (n >= 1e9 ? `${(n / 1e9).toFixed(d)} B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : String(n));
const rate = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));

/** `0-31`, `0-40 step 2`, or a short list: the layers of one group. */
function layerRange(ix: readonly number[]): string {
  if (ix.length === 1) return String(ix[0]);
  const step = ix[1]! - ix[0]!;
  if (ix.every((v, i) => i === 0 || v - ix[i - 1]! === step)) return step === 1 ? `${ix[0]}-${ix[ix.length - 1]}` : `${ix[0]}-${ix[ix.length - 1]} every ${step}`;
  return ix.length <= 6 ? ix.join(',') : `${ix.slice(0, 5).join(',')},… (${ix.length})`;
}

/** Layers of the same kind and cache (interleaved ones too), with the spread of their weights (quant mixes vary per layer). */
function groupLayers(layers: readonly LayerPlan[]): Array<{ range: string; l: LayerPlan; w: string }> {
  const groups = new Map<string, { ix: number[]; l: LayerPlan; min: number; max: number }>();
  for (const l of layers) {
    const key = `${l.kind}|${l.window}|${l.ffn}|${l.kvBytes}|${l.stateBytes}`;
    const g = groups.get(key);
    if (g) {
      g.ix.push(l.index);
      g.min = Math.min(g.min, l.weightBytes);
      g.max = Math.max(g.max, l.weightBytes);
    } else groups.set(key, { ix: [l.index], l, min: l.weightBytes, max: l.weightBytes });
  }
  return [...groups.values()].map((g) => ({ range: layerRange(g.ix), l: g.l, w: g.min === g.max ? bytes(g.min) : `${bytes(g.min)}–${bytes(g.max)}` }));
}

export function renderPlan(p: Plan, source: { kind: string; path: string; readMs?: number }, showAllLayers = false, describeTypes?: (byType: Record<string, number>) => string): string {
  const m = p.model;
  const kinds = new Map<string, number>();
  for (const l of p.layers) kinds.set(l.kind, (kinds.get(l.kind) ?? 0) + 1);
  const t = p.totals;
  const lines: string[] = [];
  lines.push(`${m.name ?? source.path} (${m.architecture}, ${source.kind})`);
  lines.push(`  ${num(m.params.total)} parameters, ${num(m.params.active)} active per token · ${m.layers} layers: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}`);
  if (m.generic) lines.push('  ! GENERIC ESTIMATE: the architecture is not one the planner knows (see warnings)');
  for (const w of m.warnings) lines.push(`  ! ${w}`);
  const s = p.settings;
  lines.push(`  engine ${s.engine} · weights ${s.quant} (${p.weights.bitsPerWeight.toFixed(2)} bits/weight, ${s.weightsFrom === 'file' ? 'exact, from the file' : 'preset applied to the config'}) · KV ${s.kvDtype} · context ${s.context} × ${s.batch} sequence${s.batch > 1 ? 's' : ''}${s.engine === 'llama.cpp' ? ` · ubatch ${s.ubatch}${s.flashAttention ? ' · flash attention' : ''}` : ''}`);
  if (s.weightsFrom === 'file' && describeTypes) lines.push(`  weight types in the file: ${describeTypes(p.weights.byType)}`);
  lines.push('');
  const rows = [
    { what: 'weights', size: t.weights, note: `${bytes(p.nonLayerWeightBytes)} embeddings/head + blocks` },
    { what: 'KV cache', size: t.kv, note: `${p.layers.filter((l) => l.kvBytes > 0).length} attention layers` },
    { what: 'recurrent state', size: t.state, note: t.state ? `${p.layers.filter((l) => l.stateBytes > 0).length} SSM layers, constant in context` : '' },
    { what: 'compute buffer', size: t.compute, note: p.engine.computeModel === 'llama.cpp-graph' ? 'llama.cpp worst-case graph' : 'activation estimate' },
    { what: 'output buffer', size: t.output, note: t.output ? 'fp32 logits, one row per sequence' : '' },
    { what: 'runtime', size: t.runtime, note: t.runtime ? 'CUDA/Metal context, graphs (--overhead-mib)' : '' },
    { what: 'total', size: t.total, note: '' },
  ];
  lines.push(table(rows.map((r) => ({ ...r, sizeH: bytes(r.size) })), [{ key: 'what', title: 'memory' }, { key: 'sizeH', title: 'size', align: 'right' }, { key: 'note', title: '' }]).trimEnd());
  lines.push('');
  const groups = groupLayers(p.layers);
  const shown = showAllLayers ? p.layers.map((l) => ({ range: String(l.index), l, w: bytes(l.weightBytes) })) : groups;
  lines.push(
    table(
      shown.slice(0, showAllLayers ? Infinity : 24).map((g) => ({ layers: g.range, kind: g.l.kind + (g.l.window ? ` (${g.l.window})` : ''), ffn: g.l.ffn, w: g.w, kv: g.l.kvBytes ? bytes(g.l.kvBytes) : '', st: g.l.stateBytes ? bytes(g.l.stateBytes) : '' })),
      [
        { key: 'layers', title: 'layers' },
        { key: 'kind', title: 'mixer' },
        { key: 'ffn', title: 'ffn' },
        { key: 'w', title: 'weights/layer', align: 'right' },
        { key: 'kv', title: 'kv/layer', align: 'right' },
        { key: 'st', title: 'state/layer', align: 'right' },
      ],
    ).trimEnd(),
  );
  if (!showAllLayers && groups.length > 24) lines.push(`  … ${groups.length - 24} more groups (--layers shows every layer)`);
  lines.push('');
  if (p.fit) {
    const f = p.fit;
    const gpuName = `${f.gpuCount > 1 ? `${f.gpuCount} × ` : ''}${f.gpu}`;
    if (f.fits) lines.push(`fits on ${gpuName}: ${bytes(t.total)} of ${bytes(f.availableBytes)} (${bytes(f.headroomBytes)} free)`);
    else lines.push(`does NOT fit on ${gpuName}: needs ${bytes(t.total)}, has ${bytes(f.availableBytes)}; offload ${f.gpuLayers} of ${p.layers.length} layers to the GPU (llama.cpp -ngl ${f.gpuLayers}), ${bytes(f.cpuBytes)} stays in system memory`);
    lines.push(f.maxContext > 0 ? `largest context that fits at batch ${s.batch}: ${f.maxContext.toLocaleString('en-US')} tokens${m.maxContext && f.maxContext >= m.maxContext ? ' (the model’s maximum)' : ''}` : 'the weights alone do not fit: no context does');
    const th = p.throughput!;
    lines.push(`speed (${th.assumption}): decode ${rate(th.decodeTokPerSec)} tok/s per sequence${s.batch > 1 ? `, ${rate(th.decodeTokPerSecTotal)} tok/s in total` : ''} (${th.decodeBound}-bound, ${bytes(th.bytesPerStep)} read per step); prefill ${rate(th.prefillTokPerSec)} tok/s (${th.tflopsUsed} ${th.tflopsDtype} TFLOPS)`);
  } else lines.push('no GPU given: add --gpu h100 (wb plan gpus lists them) to see fit, largest context and speed');
  for (const n of p.notes) lines.push(`note: ${n}`);
  return lines.join('\n') + '\n';
}

export function registerPlan(program: Command): void {
  // The plan itself is the default subcommand, so `plan` has no options of its own and
  // `wb plan reconcile X --json` / `wb plan gpus --json` get theirs (commander would otherwise
  // hand options that follow a subcommand to its parent).
  const plan = program.command('plan').description('predict memory and speed of a model on a GPU: config.json, model folder, .gguf, ollama:NAME or a cached Hugging Face id');
  withPlanOptions(
    plan
      .command('estimate <source>', { isDefault: true })
      .description('plan a model (the default: `wb plan SOURCE` is `wb plan estimate SOURCE`)')
      .addHelpText('after', '\nSOURCE: config.json | model folder | file.gguf | file.safetensors | ollama:NAME[:TAG] | org/name (local HF cache)')
      .option('--layers', 'list every layer instead of grouping alike ones')
      .option('--json', 'print JSON'),
  ).action(async (source: string, opts: PlanOpts, cmd: Command) => {
    await userErrors(async () => {
      const { loadSource, planSource, describeTypes } = await import('@workbench/planner');
      const { settings } = await settingsFrom(opts, cmd);
      const src = await loadSource(source);
      const p = planSource(src, settings);
      if (opts.json) return printJson({ source: { kind: src.kind, path: src.path, shards: src.shards ?? null, readMs: Math.round(src.readMs * 10) / 10 }, ...p });
      process.stdout.write(renderPlan(p, src, opts.layers ?? false, describeTypes));
    });
  });

  plan
    .command('gpus')
    .description('list the GPU catalogue (plus --gpu-file / $WB_HOME/gpus.yaml entries)')
    .option('--gpu-file <file>', 'YAML/JSON file of extra GPUs')
    .option('--json', 'print JSON')
    .action(async (opts: { gpuFile?: string; json?: boolean }, cmd: Command) => {
      const { gpuCatalogue } = await import('@workbench/planner');
      const { resolveWorkspaceDir } = await import('@workbench/core');
      const list = await gpuCatalogue({ ...(opts.gpuFile ? { gpuFile: opts.gpuFile } : {}), home: resolveWorkspaceDir(cmd.optsWithGlobals<GlobalOptions>().workspace) });
      if (opts.json) return printJson(list);
      process.stdout.write(
        table(
          list.map((g) => ({ id: g.id, name: g.name, mem: bytes(g.memoryMiB * 1024 * 1024), bw: `${g.bandwidthGBs} GB/s`, fp16: g.tflops.bf16 ?? g.tflops.fp16 ?? '', fp8: g.tflops.fp8 ?? '' })),
          [
            { key: 'id', title: 'id' },
            { key: 'name', title: 'name' },
            { key: 'mem', title: 'memory', align: 'right' },
            { key: 'bw', title: 'bandwidth', align: 'right' },
            { key: 'fp16', title: 'bf16/fp16 TFLOPS', align: 'right' },
            { key: 'fp8', title: 'fp8 TFLOPS', align: 'right' },
          ],
        ),
      );
    });

  withPlanOptions(
    plan
      .command('reconcile <source>')
      .description('compare a plan with what an engine reports it holds: a llama.cpp load log, Ollama /api/ps, or nvidia-smi')
      .option('--llama-log <file>', 'stderr of llama-server/llama-cli from the model load')
      .option('--ollama [url]', 'ask a running Ollama (default http://127.0.0.1:11434) for the model’s size and size_vram')
      .option('--nvidia-smi [file]', 'GPU memory used: a saved `nvidia-smi --query-gpu=memory.used --format=csv`, or run it now')
      .option('--json', 'print JSON'),
  ).action(async (source: string, opts: PlanOpts & { llamaLog?: string; ollama?: string | boolean; nvidiaSmi?: string | boolean }, cmd: Command) => {
    await userErrors(async () => {
      const pl = await import('@workbench/planner');
      const { UserError } = await import('@workbench/core');
      const picked = [opts.llamaLog, opts.ollama, opts.nvidiaSmi].filter((x) => x !== undefined).length;
      if (picked !== 1) throw new UserError('INVALID_INPUT', 'give exactly one measurement: --llama-log FILE, --ollama [URL] or --nvidia-smi [FILE]');
      const { readFile } = await import('node:fs/promises');
      let measurement;
      if (opts.llamaLog) measurement = pl.parseLlamaCppLog(await readFile(opts.llamaLog, 'utf8').catch((e: unknown) => { throw new UserError('NOT_FOUND', `cannot read ${opts.llamaLog}: ${(e as Error).message}`); }));
      else if (opts.ollama !== undefined) measurement = await pl.ollamaPs(typeof opts.ollama === 'string' ? opts.ollama : process.env.OLLAMA_HOST ? (process.env.OLLAMA_HOST.startsWith('http') ? process.env.OLLAMA_HOST : `http://${process.env.OLLAMA_HOST}`) : 'http://127.0.0.1:11434', source.startsWith('ollama:') ? source.slice(7) : undefined);
      else measurement = await pl.nvidiaSmi(typeof opts.nvidiaSmi === 'string' ? { file: opts.nvidiaSmi } : {});
      const { settings } = await settingsFrom(opts, cmd);
      // Ollama says which context it loaded the model with; plan for that unless told otherwise.
      const ctx = measurement.details.contextLength;
      if (!settings.context && typeof ctx === 'number' && ctx > 0) settings.context = ctx;
      const src = await pl.loadSource(source);
      const p = pl.planSource(src, settings);
      const rows = pl.compare(p, measurement);
      if (opts.json) return printJson({ source: { kind: src.kind, path: src.path }, measurement, settings: p.settings, rows });
      process.stdout.write(
        `${p.model.name ?? src.path}: predicted (${p.settings.engine}, ${p.settings.quant}, context ${p.settings.context} × ${p.settings.batch}) vs ${measurement.source}\n` +
          table(
            rows.map((r) => ({ c: r.component, p: bytes(r.predicted), m: bytes(r.measured), e: `${r.errorPct >= 0 ? '+' : ''}${r.errorPct.toFixed(2)} %` })),
            [
              { key: 'c', title: 'component' },
              { key: 'p', title: 'predicted', align: 'right' },
              { key: 'm', title: 'measured', align: 'right' },
              { key: 'e', title: 'error', align: 'right' },
            ],
          ) +
          (measurement.details.repackedBytes ? `llama.cpp also holds ${bytes(measurement.details.repackedBytes as number)} of CPU_REPACK copies of Q4_0-type weights (not modelled)\n` : '') +
          (measurement.source === 'nvidia-smi' ? 'nvidia-smi counts every process on the GPU and the CUDA context: run the engine alone for a fair comparison\n' : ''),
      );
    });
  });
}
