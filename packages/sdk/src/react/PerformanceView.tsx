import type { Figure, LlmTimings } from '../llm/index.js';
import { v } from './theme.js';

/** Figures while a reply is still streaming, counted from chunk arrival times. */
export interface LivePerformance {
  startedAt: number;
  firstTokenAt: number | undefined;
  lastTokenAt: number | undefined;
  chunks: number;
}

export interface PerformanceViewProps {
  /** The finished reply's timings (engine counters where the server has them). */
  timings?: LlmTimings | undefined;
  /** While streaming. */
  live?: LivePerformance | undefined;
}

const SOURCE_LABEL: Record<Figure['source'], string> = {
  'ollama-counters': 'engine counters (Ollama)',
  'llama.cpp-timings': 'engine counters (llama.cpp)',
  'client-stream': 'measured from the stream',
  client: 'measured by the client',
};

/** Decode and prefill speed, time to first token and total time, each saying where it comes from. */
export function PerformanceView({ timings, live }: PerformanceViewProps) {
  const rows: { label: string; value: string; source: string; id: string }[] = [];
  if (timings) {
    rows.push(row('decode', 'Decode', timings.decodeTokensPerSec, (x) => `${x.toFixed(1)} tok/s`));
    rows.push(row('prefill', 'Prefill', timings.prefillTokensPerSec, (x) => `${x.toFixed(1)} tok/s`));
    rows.push(row('ttft', 'First token', timings.timeToFirstTokenMs, ms));
    rows.push(row('total', 'Total', timings.totalMs, ms));
  } else if (live) {
    const now = performance.now();
    const decode = live.firstTokenAt !== undefined && live.lastTokenAt !== undefined && live.chunks > 1 ? ((live.chunks - 1) / (live.lastTokenAt - live.firstTokenAt)) * 1000 : undefined;
    rows.push({ id: 'decode', label: 'Decode', value: decode === undefined ? '…' : `${decode.toFixed(1)} tok/s`, source: SOURCE_LABEL['client-stream'] });
    rows.push({ id: 'ttft', label: 'First token', value: live.firstTokenAt === undefined ? `waiting ${ms(now - live.startedAt)}` : ms(live.firstTokenAt - live.startedAt), source: SOURCE_LABEL['client-stream'] });
  }
  return (
    <section aria-label="Performance" data-wb="performance" data-state={timings ? 'done' : live ? 'live' : 'idle'} style={{ fontSize: 13, color: v.text }}>
      {rows.length === 0 ? (
        <p style={{ margin: 0, color: v.muted }}>Send a prompt to see tokens per second and time to first token.</p>
      ) : (
        <dl style={{ display: 'grid', gridTemplateColumns: 'auto 1fr', gap: '4px 12px', margin: 0 }}>
          {rows.map((r) => (
            <div key={r.id} style={{ display: 'contents' }}>
              <dt style={{ color: v.muted }}>{r.label}</dt>
              <dd style={{ margin: 0 }} data-figure={r.id} title={r.source}>
                <span style={{ fontFamily: v.mono, fontWeight: 600 }}>{r.value}</span> <span style={{ color: v.muted, fontSize: 12 }}>{r.source}</span>
              </dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

function row(id: string, label: string, f: Figure | null, fmt: (x: number) => string) {
  return f ? { id, label, value: fmt(f.value), source: SOURCE_LABEL[f.source] } : { id, label, value: '—', source: 'the server did not report it' };
}

function ms(x: number): string {
  return x < 1000 ? `${Math.round(x)} ms` : `${(x / 1000).toFixed(2)} s`;
}
