import {
  ENGINE_PROFILES,
  ENGINES,
  GGUF_PRESETS,
  GPU_CATALOGUE,
  HF_PRESETS,
  KV_DTYPES,
  parseHfConfig,
  plan,
  prepareWeights,
  presetFromQuantization,
  normaliseDtype,
  type EngineName,
  type KvDtype,
  type ModelSpec,
  type Plan,
} from '@workbench/planner/math';
import { Cpu, FileUp } from 'lucide-react';
import { useMemo, useState, type DragEvent } from 'react';
import { CommandLine, PageHeader, Section, Stat, cx } from '../components/ui';
import { formatBytes } from '../lib/format';
import deepseekV3 from '@workbench/planner/fixtures/deepseek-v3.json?raw';
import gemma2 from '@workbench/planner/fixtures/gemma-2-9b.json?raw';
import gptOss from '@workbench/planner/fixtures/gpt-oss-20b.json?raw';
import jamba from '@workbench/planner/fixtures/jamba-v0.1.json?raw';
import llama31 from '@workbench/planner/fixtures/llama-3.1-8b.json?raw';
import mamba from '@workbench/planner/fixtures/mamba-2.8b-hf.json?raw';
import mixtral from '@workbench/planner/fixtures/mixtral-8x7b-v0.1.json?raw';
import qwen3next from '@workbench/planner/fixtures/qwen3-next-80b-a3b-instruct.json?raw';

/** Real published configs (the planner's test fixtures) to start from. */
const EXAMPLES: Array<{ id: string; label: string; json: string }> = [
  { id: 'llama-3.1-8b', label: 'Llama-3.1-8B (GQA)', json: llama31 },
  { id: 'gemma-2-9b', label: 'Gemma-2-9B (local/global)', json: gemma2 },
  { id: 'mixtral-8x7b', label: 'Mixtral-8x7B (MoE)', json: mixtral },
  { id: 'deepseek-v3', label: 'DeepSeek-V3 (MLA, MoE)', json: deepseekV3 },
  { id: 'gpt-oss-20b', label: 'gpt-oss-20b (sinks, SWA)', json: gptOss },
  { id: 'mamba-2.8b', label: 'Mamba-2.8B (SSM)', json: mamba },
  { id: 'jamba-v0.1', label: 'Jamba-v0.1 (hybrid)', json: jamba },
  { id: 'qwen3-next', label: 'Qwen3-Next-80B-A3B (hybrid)', json: qwen3next },
];

const COLORS = { weights: '#4f46e5', kv: '#d97706', state: '#0d9488', other: '#64748b' };
const CONTEXT_STEPS = Array.from({ length: 13 }, (_, i) => 512 * 2 ** i); // 512 … 2M

function parseExample(json: string, name: string): ModelSpec {
  return parseHfConfig(JSON.parse(json), name);
}

/** The same plan as a `wb plan` command, leaving out settings at their defaults (long commands overflow their box). */
function cliCommand(o: { model: string; gpu: string; gpuCount: number; context: number; batch: number; quant: string; kvDtype: string; engine: EngineName }): string {
  const parts = ['wb plan', o.model, '--gpu', o.gpu.replace(/^rtx-/, '')];
  if (o.gpuCount > 1) parts.push('--gpus', String(o.gpuCount));
  parts.push('--context', o.context % 1024 === 0 ? `${o.context / 1024}k` : String(o.context));
  if (o.batch > 1) parts.push('--batch', String(o.batch));
  parts.push('--quant', o.quant);
  if (o.kvDtype !== ENGINE_PROFILES[o.engine].defaultKvDtype) parts.push('--kv-dtype', o.kvDtype);
  if (o.engine !== 'llama.cpp') parts.push('--engine', o.engine);
  return parts.join(' ');
}

const tokS = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));

export function PlanPage() {
  const [spec, setSpec] = useState<ModelSpec>(() => parseExample(EXAMPLES[0]!.json, EXAMPLES[0]!.id));
  const [exampleId, setExampleId] = useState<string>(EXAMPLES[0]!.id);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [engine, setEngine] = useState<EngineName>('llama.cpp');
  const [gpuId, setGpuId] = useState('rtx-4090');
  const [gpuCount, setGpuCount] = useState(1);
  const [ctxStep, setCtxStep] = useState(4); // 8192
  const [batch, setBatch] = useState(1);
  const format = ENGINE_PROFILES[engine].format;
  const presets: readonly string[] = format === 'gguf' ? GGUF_PRESETS : HF_PRESETS;
  const [quantByFormat, setQuantByFormat] = useState<{ gguf: string; hf: string | null }>({ gguf: 'q4_k_m', hf: null });
  const [kvDtype, setKvDtype] = useState<KvDtype>('f16');
  const [flash, setFlash] = useState(false);

  const defaultHf = presetFromQuantization(spec.quantization) ?? normaliseDtype(spec.weightDtype ?? 'bf16');
  const quant = format === 'gguf' ? quantByFormat.gguf : quantByFormat.hf ?? defaultHf;
  const context = CONTEXT_STEPS[ctxStep]!;
  const gpu = GPU_CATALOGUE.find((g) => g.id === gpuId)!;

  // Weights depend on the model and format only: recomputed when those change, not on every slider move.
  const prepared = useMemo(() => {
    try {
      return { ok: true as const, p: prepareWeights(spec, undefined, ENGINE_PROFILES[engine], quant) };
    } catch (e) {
      return { ok: false as const, error: (e as Error).message };
    }
  }, [spec, engine, quant]);
  const result = useMemo((): { plan: Plan } | { error: string } => {
    if (!prepared.ok) return { error: prepared.error };
    try {
      return { plan: plan(prepared.p, { engine, context, batch, kvDtype, gpu, gpuCount, flashAttention: flash }) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }, [prepared, engine, context, batch, kvDtype, gpu, gpuCount, flash]);

  const loadFile = async (file: File) => {
    setLoadError(null);
    if (file.size > 4 * 1024 * 1024) return setLoadError(`${file.name} is ${formatBytes(file.size)}: a config.json is a few KB. For GGUF or safetensors files use the command line.`);
    if (!file.name.endsWith('.json')) return setLoadError(`${file.name} is not a config.json. GGUF and safetensors files are read by the command line: wb plan ${file.name}`);
    try {
      setSpec(parseHfConfig(JSON.parse(await file.text()), file.name.replace(/\.json$/, '')));
      setExampleId('');
      setQuantByFormat((q) => ({ ...q, hf: null }));
    } catch (e) {
      setLoadError(`${file.name}: ${(e as Error).message}`);
    }
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    const f = e.dataTransfer.files[0];
    if (f) void loadFile(f);
  };

  return (
    <div className="space-y-5" data-testid="plan-page">
      <PageHeader title="Plan" subtitle="Memory and speed of a model on a GPU, from its config: weights by format, KV cache by attention kind, MoE, per layer. Everything is computed here in the browser." />
      <div className="grid gap-5 lg:grid-cols-[340px_1fr]">
        <Section title="Model and settings">
          <div className="space-y-4 p-4">
            <div>
              <label className="label" htmlFor="plan-example">Model</label>
              <select
                id="plan-example"
                className="input"
                value={exampleId}
                onChange={(e) => {
                  const ex = EXAMPLES.find((x) => x.id === e.target.value);
                  if (!ex) return;
                  setExampleId(ex.id);
                  setSpec(parseExample(ex.json, ex.id));
                  setQuantByFormat((q) => ({ ...q, hf: null }));
                  setLoadError(null);
                }}
              >
                {exampleId === '' && <option value="">{spec.name ?? 'your config'}</option>}
                {EXAMPLES.map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.label}
                  </option>
                ))}
              </select>
            </div>
            <label
              className="flex cursor-pointer items-center gap-2 rounded-lg border border-dashed border-app px-3 py-3 text-[13px] text-muted hover:bg-zinc-50 dark:hover:bg-zinc-800/50"
              onDragOver={(e) => e.preventDefault()}
              onDrop={onDrop}
              data-testid="plan-drop"
            >
              <FileUp size={16} aria-hidden />
              <span>Drop or choose a Hugging Face config.json</span>
              <input type="file" accept=".json,application/json" className="sr-only" aria-label="Choose a config.json" data-testid="plan-file" onChange={(e) => e.target.files?.[0] && void loadFile(e.target.files[0])} />
            </label>
            {loadError && (
              <p role="alert" className="rounded-lg bg-red-50 px-3 py-2 text-[13px] text-red-800 dark:bg-red-500/10 dark:text-red-200" data-testid="plan-load-error">
                {loadError}
              </p>
            )}
            <div className="grid grid-cols-[1fr_72px] gap-2">
              <div>
                <label className="label" htmlFor="plan-gpu">GPU</label>
                <select id="plan-gpu" className="input" value={gpuId} onChange={(e) => setGpuId(e.target.value)}>
                  {GPU_CATALOGUE.map((g) => (
                    <option key={g.id} value={g.id}>
                      {g.name}
                    </option>
                  ))}
                </select>
              </div>
              <div>
                <label className="label" htmlFor="plan-gpus">Count</label>
                <input id="plan-gpus" className="input" type="number" min={1} max={16} value={gpuCount} onChange={(e) => setGpuCount(Math.min(16, Math.max(1, Math.round(Number(e.target.value) || 1))))} />
              </div>
            </div>
            <div>
              <label className="label" htmlFor="plan-engine">Engine</label>
              <select id="plan-engine" className="input" value={engine} onChange={(e) => setEngine(e.target.value as EngineName)}>
                {ENGINES.map((x) => (
                  <option key={x} value={x}>
                    {x}
                  </option>
                ))}
              </select>
            </div>
            <Slider id="plan-context" label="Context per sequence" value={ctxStep} min={0} max={CONTEXT_STEPS.length - 1} onChange={setCtxStep} display={`${context.toLocaleString('en-US')} tokens`} />
            <Slider id="plan-batch" label="Parallel sequences" value={batch} min={1} max={64} onChange={setBatch} display={String(batch)} />
            <Slider
              id="plan-quant"
              label="Weights"
              value={Math.max(0, presets.indexOf(quant))}
              min={0}
              max={presets.length - 1}
              onChange={(i) => setQuantByFormat((q) => (format === 'gguf' ? { ...q, gguf: presets[i]! } : { ...q, hf: presets[i]! }))}
              display={quant}
            />
            <div>
              <label className="label" htmlFor="plan-kv">KV cache dtype</label>
              <select id="plan-kv" className="input" value={kvDtype} onChange={(e) => setKvDtype(e.target.value as KvDtype)}>
                {KV_DTYPES.filter((k) => ['f16', 'bf16', 'fp8', 'q8_0', 'q4_0', 'f32'].includes(k)).map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </select>
            </div>
            {engine === 'llama.cpp' && (
              <label className="flex items-center gap-2 text-[13px]">
                <input type="checkbox" checked={flash} onChange={(e) => setFlash(e.target.checked)} /> Flash attention
              </label>
            )}
          </div>
        </Section>
        <div className="min-w-0 space-y-5">
          {'error' in result ? (
            <p role="alert" className="card p-4 text-[13px] text-red-700 dark:text-red-300" data-testid="plan-error">
              {result.error}
            </p>
          ) : (
            <PlanView plan={result.plan} />
          )}
          <Section title="From the command line">
            <div className="space-y-2 p-4 text-[13px] text-muted">
              <p>GGUF files, safetensors folders, Ollama models and cached Hugging Face ids are read by the CLI (headers only), which also reconciles a plan with what an engine reports:</p>
              <CommandLine cmd={cliCommand({ model: exampleId ? `${exampleId}.json` : 'config.json', gpu: gpuId, gpuCount, context, batch, quant, kvDtype, engine })} />
              <CommandLine cmd="wb plan reconcile ollama:llama3.2 --ollama" />
            </div>
          </Section>
        </div>
      </div>
    </div>
  );
}

function Slider({ id, label, value, min, max, onChange, display }: { id: string; label: string; value: number; min: number; max: number; onChange: (v: number) => void; display: string }) {
  return (
    <div>
      <div className="flex items-baseline justify-between">
        <label className="label" htmlFor={id}>
          {label}
        </label>
        <output htmlFor={id} className="font-mono text-xs tabular-nums" data-testid={`${id}-value`}>
          {display}
        </output>
      </div>
      <input id={id} type="range" className="w-full accent-[var(--color-accent-600)]" min={min} max={max} step={1} value={value} aria-valuetext={display} onChange={(e) => onChange(Number(e.target.value))} />
    </div>
  );
}

function PlanView({ plan: p }: { plan: Plan }) {
  const t = p.totals;
  const f = p.fit!;
  const th = p.throughput!;
  const other = t.compute + t.output + t.runtime;
  const scale = Math.max(t.total, f.availableBytes);
  const segments = [
    { key: 'weights', label: 'Weights', bytes: t.weights, color: COLORS.weights },
    { key: 'kv', label: 'KV cache', bytes: t.kv, color: COLORS.kv },
    { key: 'state', label: 'SSM state', bytes: t.state, color: COLORS.state },
    { key: 'other', label: 'Compute, output, runtime', bytes: other, color: COLORS.other },
  ];
  const kinds = new Map<string, number>();
  for (const l of p.layers) kinds.set(l.kind, (kinds.get(l.kind) ?? 0) + 1);
  const warnings = [...p.model.warnings, ...p.notes.filter((n) => n !== p.engine.notes)];
  return (
    <>
      <div className="grid grid-cols-2 gap-3 xl:grid-cols-4" aria-live="polite">
        <Stat label="Total memory" value={<span data-testid="plan-total">{formatBytes(t.total)}</span>} sub={`${formatBytes(t.weights)} weights · ${formatBytes(t.kv + t.state)} cache`} />
        <Stat
          label={`On ${f.gpuCount > 1 ? `${f.gpuCount} × ` : ''}${f.gpu.replace(/^NVIDIA (GeForce )?/, '')}`}
          value={
            <span data-testid="plan-fits" className={f.fits ? 'text-emerald-700 dark:text-emerald-400' : 'text-red-700 dark:text-red-400'}>
              {f.fits ? 'Fits' : 'Does not fit'}
            </span>
          }
          sub={f.fits ? `${formatBytes(f.headroomBytes)} free of ${formatBytes(f.availableBytes)}` : `offload ${f.gpuLayers} of ${p.layers.length} layers (-ngl ${f.gpuLayers})`}
        />
        <Stat label="Largest context" value={<span data-testid="plan-max-context">{f.maxContext.toLocaleString('en-US')}</span>} sub={f.maxContext > 0 ? `tokens per sequence at batch ${p.settings.batch}` : 'the weights alone exceed the GPU'} />
        <Stat label="Decode (upper bound)" value={<span data-testid="plan-toks">{tokS(th.decodeTokPerSec)} tok/s</span>} sub={f.fits ? `${th.decodeBound}-bound · prefill ${tokS(th.prefillTokPerSec)} tok/s` : 'if it all fitted; offloaded layers run at system-memory speed'} icon={<Cpu size={14} aria-hidden />} />
      </div>
      <Section title="Memory against the GPU">
        <div className="space-y-3 p-4">
          <div className="relative h-6 overflow-hidden rounded-md bg-zinc-100 dark:bg-zinc-800" role="img" aria-label={`total ${formatBytes(t.total)} of ${formatBytes(f.availableBytes)} available`}>
            <div className="flex h-full">
              {segments.map((s) => (
                <div key={s.key} style={{ width: `${(s.bytes / scale) * 100}%`, background: s.color }} />
              ))}
            </div>
            <div className="absolute top-0 h-full w-0.5 bg-zinc-900 dark:bg-white" style={{ left: `${Math.min(100, (f.availableBytes / scale) * 100)}%` }} title="GPU memory" />
          </div>
          <ul className="flex flex-wrap gap-x-5 gap-y-1 text-xs">
            {segments.map((s) => (
              <li key={s.key} className="flex items-center gap-1.5">
                <span className="inline-block size-2.5 rounded-sm" style={{ background: s.color }} aria-hidden />
                {s.label} <span className="font-mono tabular-nums">{formatBytes(s.bytes)}</span>
              </li>
            ))}
            <li className="text-muted">| line: GPU memory ({formatBytes(f.availableBytes)})</li>
          </ul>
          <p className="text-xs text-muted">
            {p.model.params.total.toLocaleString('en-US')} parameters ({p.model.params.active.toLocaleString('en-US')} active per token) · {p.settings.quant} at {p.weights.bitsPerWeight.toFixed(2)} bits/weight · {[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')} · {p.engine.computeModel === 'llama.cpp-graph' ? 'compute buffer: llama.cpp graph model' : p.engine.notes}
          </p>
          {warnings.length > 0 && (
            <ul className="space-y-1 text-xs text-amber-800 dark:text-amber-300" data-testid="plan-warnings">
              {warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
        </div>
      </Section>
      <Section title={`Per layer (${p.layers.length})`}>
        <LayerBars plan={p} />
      </Section>
    </>
  );
}

function LayerBars({ plan: p }: { plan: Plan }) {
  const max = Math.max(1, ...p.layers.map((l) => l.weightBytes + l.kvBytes + l.stateBytes));
  const first = p.layers[0];
  return (
    <div className="p-4">
      <div
        className="flex h-40 items-end gap-px"
        role="img"
        aria-label={`per-layer memory: largest layer ${formatBytes(max)}${first ? `; layer 0 holds ${formatBytes(first.weightBytes)} of weights and ${formatBytes(first.kvBytes + first.stateBytes)} of cache` : ''}`}
        data-testid="plan-layers"
      >
        {p.layers.map((l) => (
          <div key={l.index} className="flex h-full min-w-0 flex-1 flex-col justify-end" title={`layer ${l.index}: ${l.kind}${l.window ? ` (window ${l.window})` : ''}, ${l.ffn} · weights ${formatBytes(l.weightBytes)} · KV ${formatBytes(l.kvBytes)}${l.stateBytes ? ` · state ${formatBytes(l.stateBytes)}` : ''}`}>
            <div style={{ height: `${(l.stateBytes / max) * 100}%`, background: COLORS.state }} />
            <div style={{ height: `${(l.kvBytes / max) * 100}%`, background: COLORS.kv }} />
            <div style={{ height: `${(l.weightBytes / max) * 100}%`, background: COLORS.weights }} />
          </div>
        ))}
      </div>
      <div className={cx('mt-2 flex justify-between text-[11px] text-muted')}>
        <span>layer 0</span>
        <span>layer {p.layers.length - 1}</span>
      </div>
    </div>
  );
}
