import { toLlmHistoryPoint, type LlmHistoryPoint, type LlmStatus } from '@workbench/api';
import { LlmEndpoints, type Workspace } from '@workbench/core';
import { LlmMonitor, RingBuffer, defaultEndpoints, mergeEndpoints, type EndpointConfig } from '@workbench/llm';
import type { FastifyBaseLogger } from 'fastify';
import type { LiveTopic } from './stream.js';

export interface LlmCollectorOptions {
  /** Interval while someone watches (a stream subscriber, or a REST call in the last 30 s). Default $WB_LLM_SAMPLE_MS or 2000. */
  activeMs?: number;
  /** Interval while nobody watches. Default $WB_LLM_IDLE_SAMPLE_MS or 15000. */
  idleMs?: number;
  /** History points kept (default 1800: an hour at 2 s). */
  capacity?: number;
  /** The endpoints to sample (default: the workspace's list plus the usual local ports). */
  endpoints?: () => Promise<EndpointConfig[]>;
  monitor?: LlmMonitor;
}

const WATCH_WINDOW_MS = 30_000;

function envMs(name: string, d: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v >= 100 ? v : d;
}

/**
 * The server's LLM monitor: samples every endpoint and the machine on a timer that runs fast
 * while someone watches and slowly otherwise, keeps a bounded history, and pushes each sample
 * to stream subscribers. It starts on first use, so a server nobody asks about LLMs never
 * probes anything.
 */
export class LlmCollector implements LiveTopic<LlmStatus> {
  readonly monitor: LlmMonitor;
  private readonly history: RingBuffer<LlmHistoryPoint>;
  private readonly listeners = new Set<(s: LlmStatus) => void>();
  private readonly activeMs: number;
  private readonly idleMs: number;
  private latest: LlmStatus | null = null;
  private inflight: Promise<LlmStatus> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastRestAt = 0;
  private started = false;
  private closed = false;

  constructor(
    ws: Workspace,
    private readonly log: FastifyBaseLogger,
    opts: LlmCollectorOptions = {},
  ) {
    this.activeMs = opts.activeMs ?? envMs('WB_LLM_SAMPLE_MS', 2000);
    this.idleMs = opts.idleMs ?? envMs('WB_LLM_IDLE_SAMPLE_MS', 15_000);
    this.history = new RingBuffer(opts.capacity ?? 1800);
    const endpoints =
      opts.endpoints ??
      (async () => {
        const configured: EndpointConfig[] = (await new LlmEndpoints(ws).list()).map((e) => ({ name: e.name, kind: e.kind, url: e.url, origin: 'workspace' }));
        return mergeEndpoints(defaultEndpoints(), configured);
      });
    this.monitor = opts.monitor ?? new LlmMonitor({ endpoints });
  }

  get watching(): boolean {
    return this.listeners.size > 0 || Date.now() - this.lastRestAt < WATCH_WINDOW_MS;
  }

  private info(): LlmStatus['collector'] {
    return { intervalMs: this.watching ? this.activeMs : this.idleMs, watching: this.watching, historyPoints: this.history.size, historyCapacity: this.history.capacity };
  }

  /** The latest sample (taking one if none exists yet); counts as someone watching. */
  async status(): Promise<LlmStatus> {
    this.lastRestAt = Date.now();
    this.start();
    const s = this.latest ?? (await this.sampleNow());
    return { ...s, collector: this.info() };
  }

  historyPoints(sinceTs = 0): { points: LlmHistoryPoint[]; collector: LlmStatus['collector'] } {
    this.lastRestAt = Date.now();
    this.start();
    return { points: this.history.toArray().filter((p) => p.ts > sinceTs), collector: this.info() };
  }

  subscribe(listener: (s: LlmStatus) => void): () => void {
    this.listeners.add(listener);
    const wasSlow = this.timer !== null && !this.inflight;
    this.start();
    if (this.latest) listener({ ...this.latest, collector: this.info() });
    // Someone started watching: sample now rather than at the end of a slow interval.
    if (wasSlow) this.reschedule(0);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.listeners.clear();
  }

  private start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.reschedule(0);
  }

  private reschedule(ms: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = null;
    await this.sampleNow().catch((err: unknown) => this.log.warn({ err }, 'LLM monitor sample failed'));
    if (!this.timer) this.reschedule(this.watching ? this.activeMs : this.idleMs);
  }

  private sampleNow(): Promise<LlmStatus> {
    this.inflight ??= (async () => {
      try {
        const s = await this.monitor.sample();
        const status: LlmStatus = { ...(s as unknown as Omit<LlmStatus, 'collector'>), collector: this.info() };
        this.latest = status;
        this.history.push(toLlmHistoryPoint(s as unknown as Omit<LlmStatus, 'collector'>));
        status.collector = this.info();
        for (const l of this.listeners) {
          try {
            l(status);
          } catch (err) {
            this.log.warn({ err }, 'LLM monitor listener failed');
          }
        }
        return status;
      } finally {
        this.inflight = null;
      }
    })();
    return this.inflight;
  }
}
