import { Projects, Runs, UserError, invalid, metricSummaries, readLogs, type Workspace } from '@workbench/core';
import type { Run } from '@workbench/api';
import type { BenchResult, BenchSample, LevelAggregate } from './runner.js';

export const BENCH_KIND = 'benchmark';
export const DEFAULT_BENCH_PROJECT = 'llm-bench';

/** Metric keys of one request (step = the sample's index). */
const SAMPLE_METRICS: Array<[string, (s: BenchSample) => number | null]> = [
  ['ttft_ms', (s) => s.ttftMs],
  ['total_ms', (s) => s.totalMs],
  ['prefill_tok_s', (s) => s.prefillTokPerS],
  ['decode_tok_s', (s) => s.decodeTokPerS],
  ['prompt_tokens', (s) => s.promptTokens],
  ['completion_tokens', (s) => s.completionTokens],
  ['concurrency', (s) => s.concurrency],
];

export interface BenchRunParams {
  model: string;
  endpoint: string;
  endpointKind: string;
  promptSet: string;
  prompts: number;
  runs: number;
  concurrency: number[];
  maxTokens: number | null;
}

/**
 * A benchmark is a run (kind `benchmark`) like any training run: params say what was
 * measured, each request's figures are metrics at its step plus one event line with the
 * whole sample, and the aggregates are metrics named `c<N>/<figure>/<stat>`.
 */
export class BenchRecorder {
  private constructor(
    private readonly ws: Workspace,
    private readonly runs: Runs,
    readonly run: Run,
    private readonly total: number,
  ) {}

  static async start(ws: Workspace, opts: { project?: string; name?: string; params: BenchRunParams; command: string[]; total: number }): Promise<BenchRecorder> {
    const project = opts.project ?? DEFAULT_BENCH_PROJECT;
    const projects = new Projects(ws);
    try {
      await projects.resolve(project);
    } catch (err) {
      if (!(err instanceof UserError && err.code === 'NOT_FOUND') || project !== DEFAULT_BENCH_PROJECT) throw err;
      await projects.create(project, 'LLM benchmarks (wb llm bench)').catch(() => undefined);
    }
    const runs = new Runs(ws);
    const p = opts.params;
    const run = await runs.create({
      project,
      ...(opts.name ? { name: opts.name } : {}),
      kind: BENCH_KIND,
      command: opts.command,
      params: { model: p.model, endpoint: p.endpoint, endpoint_kind: p.endpointKind, prompt_set: p.promptSet, prompts: p.prompts, runs: p.runs, concurrency: p.concurrency.join(','), max_tokens: p.maxTokens ?? 'per prompt' },
      tags: { model: p.model.slice(0, 200) },
    });
    await runs.transition(run.id, 'running');
    return new BenchRecorder(ws, runs, run, opts.total);
  }

  async sample(s: BenchSample, done: number): Promise<void> {
    const ts = Date.parse(s.at) || Date.now();
    const metrics = SAMPLE_METRICS.flatMap(([key, f]) => {
      const v = f(s);
      return v === null || !Number.isFinite(v) ? [] : [{ key, step: s.index, value: v, ts, attempt: 1 }];
    });
    await this.runs.ingest(this.run.id, {
      metrics,
      logs: [{ ts, stream: 'event', level: s.ok ? 'INFO' : 'ERROR', text: JSON.stringify({ sample: s }) }],
      progress: { current: done, total: this.total },
    });
  }

  /** Aggregates, peak memory and the final status: succeeded, cancelled (partial results kept) or failed. */
  async finish(r: BenchResult): Promise<Run> {
    const ts = Date.now();
    const metrics: Array<{ key: string; step: number; value: number; ts: number; attempt: number }> = [];
    const put = (key: string, v: number | null) => {
      if (v !== null && Number.isFinite(v)) metrics.push({ key, step: 0, value: v, ts, attempt: 1 });
    };
    for (const l of r.levels) for (const [k, v] of Object.entries(levelFigures(l))) put(`c${l.concurrency}/${k}`, v);
    if (r.peakMemory) put('peak_memory_bytes', r.peakMemory.bytes);
    put('warmup_ms', r.warmupMs);
    const logs = [{ ts, stream: 'event' as const, level: 'INFO', text: JSON.stringify({ summary: { levels: r.levels, peakMemory: r.peakMemory, warmupMs: r.warmupMs, cancelled: r.cancelled } }) }];
    await this.runs.ingest(this.run.id, { metrics, logs, ...(r.peakMemory ? { params: { peak_memory_source: r.peakMemory.source } } : {}) });
    const ok = r.samples.filter((s) => s.ok).length;
    if (r.cancelled) return this.runs.transition(this.run.id, 'cancelled', { reason: `cancelled; ${r.samples.length} of ${this.total} requests kept` });
    if (ok === 0) return this.runs.transition(this.run.id, 'failed', { reason: `every request failed (${r.samples[0]?.error ?? 'no requests'})` });
    return this.runs.transition(this.run.id, 'succeeded', { reason: r.samples.length > ok ? `${r.samples.length - ok} of ${r.samples.length} requests failed` : null });
  }

  /** A crash in the benchmark itself: keep what is stored and say why. */
  async fail(err: unknown): Promise<void> {
    await this.runs.transition(this.run.id, 'failed', { reason: (err as Error)?.message?.slice(0, 500) ?? String(err), onlyFrom: ['running'] }).catch(() => undefined);
  }
}

export function levelFigures(l: LevelAggregate): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [name, s] of [['ttft_ms', l.ttftMs], ['prefill_tok_s', l.prefillTokPerS], ['decode_tok_s', l.decodeTokPerS], ['total_ms', l.totalMs]] as const) {
    out[`${name}/mean`] = s.mean;
    out[`${name}/p50`] = s.p50;
    out[`${name}/p95`] = s.p95;
  }
  out.system_throughput_tok_s = l.systemThroughputTokPerS;
  out.failed = l.failed;
  return out;
}

export interface BenchExport {
  run: { id: string; name: string; project: string | null; status: string; statusReason: string | null; createdAt: string; endedAt: string | null };
  params: Record<string, unknown>;
  samples: BenchSample[];
  aggregates: Record<string, number>;
}

/** A stored benchmark run back as data, for `wb llm bench export` and the web page. */
export async function readBench(ws: Workspace, ref: string): Promise<BenchExport> {
  const runs = new Runs(ws);
  const run = await runs.get(ref);
  if (run.kind !== BENCH_KIND) throw invalid(`run ${run.id} is a '${run.kind}' run, not a benchmark`, 'list benchmarks: wb run list --project llm-bench');
  const samples: BenchSample[] = [];
  let after = 0;
  for (;;) {
    const page = await readLogs(ws.db, run.id, { afterSeq: after, stream: 'event', limit: 5000 });
    for (const l of page) {
      try {
        const v = JSON.parse(l.text) as { sample?: BenchSample };
        if (v.sample) samples.push(v.sample);
      } catch {
        /* another event line */
      }
    }
    if (page.length < 5000) break;
    after = page[page.length - 1]!.seq;
  }
  const aggregates: Record<string, number> = {};
  for (const m of await metricSummaries(ws.db, run.id)) if ((m.key.startsWith('c') && m.key.includes('/')) || m.key === 'peak_memory_bytes' || m.key === 'warmup_ms') if (m.last !== null) aggregates[m.key] = m.last;
  return {
    run: { id: run.id, name: run.name, project: run.projectName ?? null, status: run.status, statusReason: run.statusReason, createdAt: run.createdAt, endedAt: run.endedAt },
    params: run.params,
    samples,
    aggregates,
  };
}

const CSV_COLUMNS: Array<keyof BenchSample> = ['index', 'concurrency', 'repeat', 'promptId', 'promptClass', 'ok', 'error', 'ttftMs', 'totalMs', 'promptTokens', 'completionTokens', 'prefillTokPerS', 'prefillSource', 'decodeTokPerS', 'decodeSource', 'at'];

/** One row per request; cells that could start a spreadsheet formula are quoted with a leading '. */
export function benchToCsv(e: BenchExport): string {
  const cell = (v: unknown) => {
    if (v === null || v === undefined) return '';
    let s = String(v);
    if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = [CSV_COLUMNS.join(','), ...e.samples.map((s) => CSV_COLUMNS.map((c) => cell(s[c])).join(','))];
  return rows.join('\n') + '\n';
}
