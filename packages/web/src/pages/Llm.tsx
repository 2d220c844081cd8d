import { useQuery } from '@tanstack/react-query';
import type { LlmBenchmarkSummary, LlmEndpointSnapshot, LlmHistory, LlmHistoryPoint, LlmStatus, StreamServerMessage } from '@workbench/api';
import { Cpu, Gauge, MemoryStick, Thermometer } from 'lucide-react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router';
import { MetricChart, type ChartLine } from '../components/Chart';
import { EmptyState, ErrorState, PageHeader, Section, SkeletonRows, Stat, cx } from '../components/ui';
import { api } from '../lib/api';
import { formatBytes, shortId, timeAgo } from '../lib/format';
import type { Series } from '../lib/series';
import { TOKEN_KEY } from '../lib/token';

const HISTORY_CAP = 1800;

/**
 * The point the server keeps for each sample (toLlmHistoryPoint in @workbench/api), built here
 * from a live one. A copy: importing the api package's values would pull zod into this page.
 */
function toPoint(s: LlmStatus): LlmHistoryPoint {
  const sum = (xs: Array<number | null>) => (xs.some((x) => x !== null) ? xs.reduce<number>((a, x) => a + (x ?? 0), 0) : null);
  return {
    ts: s.ts,
    cpuPercent: s.system.cpu?.percent ?? null,
    memUsedBytes: s.system.memory?.usedBytes ?? null,
    memTotalBytes: s.system.memory?.totalBytes ?? null,
    gpus: s.system.gpus.map((g) => ({ key: `${g.vendor}:${g.index}`, name: g.name, utilPercent: g.utilPercent, memUsedBytes: g.memUsedBytes, memTotalBytes: g.memTotalBytes, temperatureC: g.temperatureC, powerW: g.powerW })),
    endpoints: s.endpoints.map((e) => ({ name: e.name, url: e.url, connected: e.connected, loadedModels: e.loaded.length, sizeBytes: sum(e.loaded.map((m) => m.sizeBytes)), vramBytes: sum(e.loaded.map((m) => m.vramBytes)), decodeTokPerS: e.live.decodeTokPerS, prefillTokPerS: e.live.prefillTokPerS, rssBytes: e.process?.rssBytes ?? null })),
  };
}

/**
 * Live monitor samples over the server's WebSocket stream (the `llm` topic), reconnecting
 * with backoff; while the socket is down the page polls the REST status instead.
 */
function useLiveLlm(onStatus: (s: LlmStatus) => void): boolean {
  const [live, setLive] = useState(false);
  // The latest callback, read by the socket's handler: the socket opens once per mount.
  const handler = useRef(onStatus);
  handler.current = onStatus;
  useEffect(() => {
    let socket: WebSocket | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let delay = 500;
    let stopped = false;
    const open = () => {
      let token = '';
      try {
        token = sessionStorage.getItem(TOKEN_KEY) ?? '';
      } catch {
        /* storage disabled */
      }
      const url = `${window.location.origin.replace(/^http/, 'ws')}/api/v1/stream?token=${encodeURIComponent(token)}`;
      socket = new WebSocket(url);
      socket.onopen = () => {
        delay = 500;
        setLive(true);
        socket?.send(JSON.stringify({ op: 'subscribe-llm' }));
      };
      socket.onmessage = (ev) => {
        try {
          const m = JSON.parse(String(ev.data)) as StreamServerMessage;
          if (m.type === 'llm') handler.current(m.status);
        } catch {
          /* not ours */
        }
      };
      socket.onclose = () => {
        setLive(false);
        if (stopped) return;
        timer = setTimeout(open, delay);
        delay = Math.min(delay * 2, 10_000);
      };
    };
    open();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      socket?.close();
    };
  }, []);
  return live;
}

const fmt = (v: number | null | undefined, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));

function Meter({ label, fraction, text }: { label: string; fraction: number | null; text: string }) {
  const pct = fraction === null ? null : Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  return (
    <div className="min-w-0">
      <div className="flex items-baseline justify-between gap-2 text-xs">
        <span className="font-medium">{label}</span>
        <span className="tabular-nums text-muted">{text}</span>
      </div>
      <div className="mt-1 h-2 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct ?? undefined} aria-valuetext={pct === null ? 'not available' : `${pct}%`}>
        {pct !== null && <div className={cx('h-full rounded-full', pct > 90 ? 'bg-red-500' : pct > 70 ? 'bg-amber-500' : 'bg-accent-600')} style={{ width: `${pct}%` }} />}
      </div>
    </div>
  );
}

function EndpointState({ e }: { e: LlmEndpointSnapshot }) {
  if (!e.connected)
    return (
      <span className="text-red-700 dark:text-red-400">
        not running <span className="text-muted">({e.reason})</span>
      </span>
    );
  return (
    <span className="text-emerald-700 dark:text-emerald-400">
      connected <span className="text-muted">({fmt(e.latencyMs, 0)} ms)</span>
    </span>
  );
}

function seriesOf(points: LlmHistoryPoint[], pick: (p: LlmHistoryPoint) => number | null): Series {
  const t0 = points[0]?.ts ?? 0;
  return { steps: points.map((p) => Math.round((p.ts - t0) / 100) / 10), values: points.map(pick), times: points.map((p) => p.ts) };
}

function ChartCard({ title, lines, empty }: { title: string; lines: ChartLine[]; empty: string }) {
  const has = lines.some((l) => l.series.values.some((v) => v !== null));
  return (
    <div className="card p-3" data-testid={`llm-chart-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`}>
      <h3 className="mb-2 text-sm font-medium">{title}</h3>
      {has ? <MetricChart lines={lines} height={180} /> : <p className="py-10 text-center text-xs text-muted">{empty}</p>}
    </div>
  );
}

export function LlmPage() {
  const status = useQuery({ queryKey: ['llm', 'status'], queryFn: () => api().request<LlmStatus>('GET', '/llm/status') });
  const history = useQuery({ queryKey: ['llm', 'history'], queryFn: () => api().request<LlmHistory>('GET', '/llm/history') });
  const benches = useQuery({ queryKey: ['llm', 'benchmarks'], queryFn: () => api().request<{ benchmarks: LlmBenchmarkSummary[] }>('GET', '/llm/benchmarks') });
  const [latest, setLatest] = useState<LlmStatus | null>(null);
  const [points, setPoints] = useState<LlmHistoryPoint[]>([]);
  const [selected, setSelected] = useState<string | null>(null);

  const live = useLiveLlm((s) => {
    setLatest(s);
    setPoints((prev) => (prev.length && prev[prev.length - 1]!.ts >= s.ts ? prev : [...prev, toPoint(s)].slice(-HISTORY_CAP)));
  });
  useEffect(() => {
    if (history.data) setPoints((prev) => [...history.data.points, ...prev.filter((p) => p.ts > (history.data.points.at(-1)?.ts ?? 0))].slice(-HISTORY_CAP));
  }, [history.data]);
  // Without the socket, poll.
  useEffect(() => {
    if (live) return;
    const t = setInterval(() => void status.refetch(), 5000);
    return () => clearInterval(t);
  }, [live, status]);

  const cur = latest && (!status.data || latest.ts >= status.data.ts) ? latest : (status.data ?? null);
  const endpointNames = useMemo(() => [...new Set(points.flatMap((p) => p.endpoints.filter((e) => e.connected).map((e) => e.name)))], [points]);
  const gpuKeys = useMemo(() => [...new Set(points.flatMap((p) => p.gpus.map((g) => g.key)))], [points]);

  if (status.error) return <ErrorState error={status.error} onRetry={() => void status.refetch()} />;
  if (!cur) return <SkeletonRows rows={8} />;

  const sys = cur.system;
  const connected = cur.endpoints.filter((e) => e.connected);
  const focus = cur.endpoints.find((e) => e.name === selected) ?? connected[0] ?? null;
  const tokLines: ChartLine[] = endpointNames.map((n) => ({ label: `${n} decode tok/s`, series: seriesOf(points, (p) => p.endpoints.find((e) => e.name === n)?.decodeTokPerS ?? null) }));
  const memLines: ChartLine[] = [
    { label: 'system used (GiB)', series: seriesOf(points, (p) => (p.memUsedBytes === null ? null : p.memUsedBytes / 2 ** 30)) },
    ...endpointNames.map((n) => ({ label: `${n} models (GiB)`, series: seriesOf(points, (p) => { const e = p.endpoints.find((x) => x.name === n); const b = e?.sizeBytes ?? e?.rssBytes ?? null; return b === null ? null : b / 2 ** 30; }) })),
    ...gpuKeys.map((k) => ({ label: `${k} VRAM used (GiB)`, series: seriesOf(points, (p) => { const g = p.gpus.find((x) => x.key === k); return g?.memUsedBytes == null ? null : g.memUsedBytes / 2 ** 30; }) })),
  ];
  const gpuLines: ChartLine[] = [
    { label: 'CPU %', series: seriesOf(points, (p) => p.cpuPercent) },
    ...gpuKeys.map((k) => ({ label: `${k} util %`, series: seriesOf(points, (p) => p.gpus.find((x) => x.key === k)?.utilPercent ?? null) })),
  ];
  const gpuMissing = sys.sources.filter((s) => ['nvidia-smi', 'rocm-smi', 'macmon'].includes(s.source) && !s.available);
  const benchList = benches.data?.benchmarks ?? [];
  const models = [...new Set(benchList.map((b) => b.model ?? '?'))];
  const benchT0 = benchList.length ? Math.min(...benchList.map((b) => Date.parse(b.createdAt))) : 0;
  const benchLines: ChartLine[] = models.map((m) => {
    const rows = benchList.filter((b) => (b.model ?? '?') === m && b.decodeP50TokPerS !== null).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return { label: `${m} decode p50 tok/s`, series: { steps: rows.map((b) => Math.round((Date.parse(b.createdAt) - benchT0) / 36e5 * 100) / 100), values: rows.map((b) => b.decodeP50TokPerS), times: rows.map((b) => Date.parse(b.createdAt)) } };
  });

  return (
    <div>
      <PageHeader
        title="LLM"
        subtitle={
          <span>
            Local runtimes and the machine, {live ? 'live' : 'polled every 5 s (live stream reconnecting)'} · sampled every {cur.collector.intervalMs < 1000 ? `${cur.collector.intervalMs} ms` : `${fmt(cur.collector.intervalMs / 1000, 0)} s`} · the terminal view: <code className="font-mono text-xs">wb llm top</code>
          </span>
        }
      />
      <div className="mb-5 grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Stat label="Runtimes connected" icon={<Gauge size={14} />} value={`${connected.length} / ${cur.endpoints.length}`} />
        <Stat label="Models loaded" icon={<MemoryStick size={14} />} value={connected.reduce((a, e) => a + e.loaded.length, 0)} />
        <Stat label="CPU" icon={<Cpu size={14} />} value={sys.cpu?.percent == null ? '–' : `${Math.round(sys.cpu.percent)}%`} sub={sys.cpu ? `${sys.cpu.cores} cores · load ${sys.cpu.load1.toFixed(2)}` : 'not available'} />
        <Stat label="Memory" icon={<Thermometer size={14} />} value={sys.memory ? formatBytes(sys.memory.usedBytes) : '–'} sub={sys.memory ? `of ${formatBytes(sys.memory.totalBytes)} · swap ${formatBytes(sys.memory.swapUsedBytes)}` : 'not available'} />
      </div>

      <Section title="Endpoints">
        <div className="card overflow-x-auto">
          <table className="w-full text-sm" data-testid="llm-endpoints">
            <thead className="text-left text-xs text-muted">
              <tr>
                <th className="px-3 py-2 font-medium">Name</th>
                <th className="px-3 py-2 font-medium">Kind</th>
                <th className="px-3 py-2 font-medium">URL</th>
                <th className="px-3 py-2 font-medium">State</th>
                <th className="px-3 py-2 text-right font-medium">Loaded</th>
                <th className="px-3 py-2 text-right font-medium">Decode tok/s</th>
                <th className="px-3 py-2 font-medium">Activity</th>
              </tr>
            </thead>
            <tbody>
              {cur.endpoints.map((e) => (
                <tr key={e.url} className={cx('border-t border-zinc-100 dark:border-zinc-800', focus?.url === e.url && 'bg-zinc-50 dark:bg-zinc-800/40')} data-testid="llm-endpoint" data-connected={e.connected}>
                  <td className="px-3 py-2 font-medium">
                    <button type="button" className="underline-offset-2 hover:underline" onClick={() => setSelected(e.name)} aria-pressed={focus?.url === e.url}>
                      {e.name}
                    </button>
                  </td>
                  <td className="px-3 py-2">{e.kind}</td>
                  <td className="px-3 py-2 font-mono text-xs">{e.url}</td>
                  <td className="px-3 py-2">
                    <EndpointState e={e} />
                  </td>
                  <td className="px-3 py-2 text-right tabular-nums">{e.connected ? e.loaded.length : ''}</td>
                  <td className="px-3 py-2 text-right tabular-nums" title={e.live.source ?? 'this runtime does not report live rates'}>
                    {fmt(e.live.decodeTokPerS)}
                  </td>
                  <td className="px-3 py-2 text-xs">{!e.connected ? '' : e.live.generating === null ? <span className="text-muted">not reported</span> : e.live.generating ? <span className="font-medium text-accent-700 dark:text-accent-400">generating</span> : 'idle'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p className="mt-2 text-xs text-muted">
          Add a runtime: <code className="font-mono">wb llm endpoint add NAME URL</code>. Rates come from the engine's own counters where it publishes them (llama.cpp <code className="font-mono">/metrics</code>); runtimes that do not are measured by <code className="font-mono">wb llm bench</code>.
        </p>
      </Section>

      <Section title={focus ? `Loaded models — ${focus.name}` : 'Loaded models'} className="mt-6">
        {!focus ? (
          <div className="card">
            <EmptyState title="No runtime is running" commands={['ollama serve', 'wb llm serve ./model.gguf']}>
              Start a local runtime, or add one that listens elsewhere; the list above says why each one is not reachable.
            </EmptyState>
          </div>
        ) : (
          <div className="card overflow-x-auto">
            {focus.memoryCheck?.note && <p className="border-b border-amber-200 bg-amber-50 px-3 py-2 text-xs text-amber-900 dark:border-amber-900 dark:bg-amber-950/40 dark:text-amber-200">{focus.memoryCheck.note}</p>}
            <table className="w-full text-sm" data-testid="llm-models">
              <thead className="text-left text-xs text-muted">
                <tr>
                  <th className="px-3 py-2 font-medium">Model</th>
                  <th className="px-3 py-2 text-right font-medium">Size</th>
                  <th className="px-3 py-2 text-right font-medium">VRAM</th>
                  <th className="px-3 py-2 text-right font-medium">On GPU</th>
                  <th className="px-3 py-2 text-right font-medium">Context</th>
                  <th className="px-3 py-2 font-medium">Quantization</th>
                  <th className="px-3 py-2 font-medium">Note</th>
                </tr>
              </thead>
              <tbody>
                {focus.loaded.length === 0 && (
                  <tr>
                    <td colSpan={7} className="px-3 py-4 text-center text-xs text-muted">
                      no model loaded
                    </td>
                  </tr>
                )}
                {focus.loaded.map((m) => (
                  <tr key={m.name} className="border-t border-zinc-100 dark:border-zinc-800" data-testid="llm-model">
                    <td className="px-3 py-2 font-medium">{m.name}</td>
                    <td className="px-3 py-2 text-right tabular-nums">{m.sizeBytes === null ? '–' : formatBytes(m.sizeBytes)}</td>
                    <td className="px-3 py-2 text-right tabular-nums">{m.vramBytes === null ? '–' : formatBytes(m.vramBytes)}</td>
                    <td className="px-3 py-2 text-right tabular-nums">{m.sizeBytes && m.vramBytes !== null ? `${Math.round((m.vramBytes / m.sizeBytes) * 100)}%` : '–'}</td>
                    <td className="px-3 py-2 text-right tabular-nums">{m.contextLength ?? '–'}</td>
                    <td className="px-3 py-2">{m.quantization ?? '–'}</td>
                    <td className="px-3 py-2 text-xs">{m.cpuSpill ? <span className="font-medium text-amber-800 dark:text-amber-300">partly on the CPU</span> : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {focus.process && (
              <p className="border-t border-zinc-100 px-3 py-2 text-xs text-muted dark:border-zinc-800">
                server process {focus.process.pid}: RSS {formatBytes(focus.process.rssBytes)} · GPU memory by the driver {focus.process.gpuBytes === null ? 'not reported' : formatBytes(focus.process.gpuBytes)}
              </p>
            )}
          </div>
        )}
      </Section>

      <Section title="System and GPU" className="mt-6">
        <div className="card grid gap-4 p-4 sm:grid-cols-2" data-testid="llm-system">
          <Meter label="CPU" fraction={sys.cpu?.percent == null ? null : sys.cpu.percent / 100} text={sys.cpu?.percent == null ? 'n/a' : `${Math.round(sys.cpu.percent)}%`} />
          <Meter label="Memory" fraction={sys.memory ? sys.memory.usedBytes / sys.memory.totalBytes : null} text={sys.memory ? `${formatBytes(sys.memory.usedBytes)} / ${formatBytes(sys.memory.totalBytes)}` : 'n/a'} />
          {sys.gpus.map((g) => {
            const thr = g.throttleReasons?.filter((r) => r !== 'GpuIdle') ?? [];
            return (
              <div key={`${g.vendor}:${g.index}`} className="space-y-2 sm:col-span-2" data-testid="llm-gpu">
                <div className="text-sm font-medium">
                  GPU {g.index}: {g.name}
                  {thr.length > 0 && <span className="ml-2 text-xs font-medium text-red-700 dark:text-red-400">throttled ({thr.join(', ')})</span>}
                </div>
                <div className="grid gap-3 sm:grid-cols-2">
                  <Meter label={`GPU ${g.index} utilisation`} fraction={g.utilPercent === null ? null : g.utilPercent / 100} text={g.utilPercent === null ? 'n/a' : `${Math.round(g.utilPercent)}%`} />
                  <Meter label={`GPU ${g.index} memory`} fraction={g.memUsedBytes !== null && g.memTotalBytes ? g.memUsedBytes / g.memTotalBytes : null} text={g.memTotalBytes ? `${formatBytes(g.memUsedBytes)} / ${formatBytes(g.memTotalBytes)}` : 'n/a'} />
                </div>
                <div className="text-xs text-muted tabular-nums">
                  {fmt(g.temperatureC, 0)} °C · {fmt(g.powerW, 0)} W{g.powerLimitW ? ` of ${fmt(g.powerLimitW, 0)} W` : ''} · SM {fmt(g.smClockMHz, 0)} MHz · memory {fmt(g.memClockMHz, 0)} MHz
                </div>
              </div>
            );
          })}
          {sys.gpus.length === 0 && (
            <p className="text-sm sm:col-span-2" data-testid="llm-no-gpu">
              GPU: not available — {gpuMissing.map((s) => `${s.source}: ${s.reason ?? 'no GPU'}`).join('; ')}
            </p>
          )}
          {sys.thermal.some((z) => z.throttling) && <p className="text-sm font-medium text-red-700 sm:col-span-2 dark:text-red-400">Thermal throttling: {sys.thermal.filter((z) => z.throttling).map((z) => `${z.name} ${fmt(z.temperatureC, 0)} °C`).join(', ')}</p>}
          <ul className="text-xs text-muted sm:col-span-2">
            {sys.sources
              .filter((s) => !s.available)
              .map((s) => (
                <li key={s.source}>
                  {s.source}: not available ({s.reason})
                </li>
              ))}
          </ul>
        </div>
      </Section>

      <Section title="History" className="mt-6">
        <p className="mb-2 text-xs text-muted">Seconds since the first point the server kept ({points.length} points; it keeps the last {cur.collector.historyCapacity}).</p>
        <div className="grid gap-3 lg:grid-cols-3">
          <ChartCard title="Tokens per second" lines={tokLines} empty="No runtime reports live rates yet." />
          <ChartCard title="Memory" lines={memLines} empty="No memory figures yet." />
          <ChartCard title="CPU and GPU utilisation" lines={gpuLines} empty="No utilisation figures yet." />
        </div>
      </Section>

      <Section title="Benchmarks" className="mt-6">
        {benchList.length === 0 ? (
          <div className="card">
            <EmptyState title="No benchmarks yet" commands={['wb llm bench llama3.2:1b', 'wb llm bench MODEL --concurrency 1,2,4 --runs 3']}>
              A benchmark is stored as a run (kind benchmark, project llm-bench): time to first token, prefill and decode tok/s and latency per request.
            </EmptyState>
          </div>
        ) : (
          <>
            {benchLines.some((l) => l.series.values.length > 1) && (
              <div className="mb-3">
                <ChartCard title="Decode tok/s p50 by model over time (hours)" lines={benchLines} empty="" />
              </div>
            )}
            <div className="card overflow-x-auto">
              <table className="w-full text-sm" data-testid="llm-benchmarks">
                <thead className="text-left text-xs text-muted">
                  <tr>
                    <th className="px-3 py-2 font-medium">Run</th>
                    <th className="px-3 py-2 font-medium">Model</th>
                    <th className="px-3 py-2 font-medium">When</th>
                    <th className="px-3 py-2 font-medium">Status</th>
                    <th className="px-3 py-2 text-right font-medium">TTFT p50</th>
                    <th className="px-3 py-2 text-right font-medium">Prefill tok/s</th>
                    <th className="px-3 py-2 text-right font-medium">Decode tok/s p50 / p95</th>
                    <th className="px-3 py-2 text-right font-medium">Latency p50</th>
                    <th className="px-3 py-2 text-right font-medium">Peak memory</th>
                  </tr>
                </thead>
                <tbody>
                  {benchList.map((b) => (
                    <tr key={b.runId} className="border-t border-zinc-100 dark:border-zinc-800" data-testid="llm-benchmark">
                      <td className="px-3 py-2">
                        <Link className="text-accent-700 underline dark:text-accent-400" to={`/runs/${b.runId}`}>
                          {b.name} <span className="font-mono text-xs">{shortId(b.runId)}</span>
                        </Link>
                      </td>
                      <td className="px-3 py-2">{b.model}</td>
                      <td className="px-3 py-2 text-xs">{timeAgo(b.createdAt)}</td>
                      <td className="px-3 py-2 text-xs">{b.status}</td>
                      <td className="px-3 py-2 text-right tabular-nums">{fmt(b.ttftP50Ms, 0)} ms</td>
                      <td className="px-3 py-2 text-right tabular-nums">{fmt(b.prefillMeanTokPerS)}</td>
                      <td className="px-3 py-2 text-right tabular-nums">
                        {fmt(b.decodeP50TokPerS)} / {fmt(b.decodeP95TokPerS)}
                      </td>
                      <td className="px-3 py-2 text-right tabular-nums">{fmt(b.latencyP50Ms, 0)} ms</td>
                      <td className="px-3 py-2 text-right tabular-nums">{b.peakMemoryBytes === null ? '–' : formatBytes(b.peakMemoryBytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p className="mt-2 text-xs text-muted">
              Export one: <code className="font-mono">wb llm bench export RUN --format csv</code>
            </p>
          </>
        )}
      </Section>
    </div>
  );
}
