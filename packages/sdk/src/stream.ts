import type { LogLine, MetricPoint, Run, StreamClientMessage, StreamServerMessage, WbEvent } from '@workbench/api';
import { WorkbenchApiError } from './errors.js';

/** The part of the WebSocket API the SDK uses: the browser's WebSocket and the `ws` package both have it. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'lost']);

/**
 * In Node the `ws` package (imported only when needed, so browser bundles never see it);
 * elsewhere the global WebSocket.
 */
export async function defaultWebSocket(): Promise<WebSocketConstructor> {
  const isNode = typeof process !== 'undefined' && typeof process.versions === 'object' && !!process.versions?.node;
  if (isNode) {
    const name = 'ws';
    try {
      const mod = (await import(/* @vite-ignore */ name)) as { default?: WebSocketConstructor; WebSocket?: WebSocketConstructor };
      const ctor = mod.WebSocket ?? mod.default;
      if (ctor) return ctor;
    } catch {
      /* fall back to a global one (Node ≥ 22 has it) */
    }
  }
  const g = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof g === 'function') return g;
  throw new WorkbenchApiError({ code: 'DEPENDENCY_MISSING', status: 0, message: 'no WebSocket implementation available', hint: 'install the ws package, or pass options.WebSocket' });
}

export interface ReconnectOptions {
  /** First delay before reconnecting (ms, default 250); doubles up to `maxDelayMs`. */
  initialDelayMs?: number;
  /** Longest delay between attempts (ms, default 10 000). */
  maxDelayMs?: number;
  /** Give up after this many failed attempts in a row (default: never). */
  maxAttempts?: number;
}

export interface ConnectionEvents {
  /** Every (re)connection. */
  onOpen?: () => void;
  /** The connection dropped; `willReconnect` says whether another attempt follows. */
  onDisconnect?: (info: { code: number; reason: string; willReconnect: boolean }) => void;
  /** A server `error` message, or a connection problem. */
  onError?: (err: WorkbenchApiError) => void;
}

/**
 * One WebSocket that re-opens itself with backoff and replays its subscriptions (built by
 * `hello` from the latest seqs seen) on every open, so nothing is missed and nothing repeats.
 */
export class ReconnectingStream {
  private socket: WebSocketLike | null = null;
  private closedByUser = false;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly url: string,
    private readonly ctor: Promise<WebSocketConstructor>,
    private readonly hello: () => StreamClientMessage[],
    private readonly onMessage: (m: StreamServerMessage) => void,
    private readonly events: ConnectionEvents,
    private readonly reconnect: ReconnectOptions = {},
  ) {
    void this.open();
  }

  get closed(): boolean {
    return this.closedByUser;
  }

  send(m: StreamClientMessage): void {
    if (this.socket && this.socket.readyState === 1) this.socket.send(JSON.stringify(m));
  }

  close(): void {
    if (this.closedByUser) return;
    this.closedByUser = true;
    if (this.timer) clearTimeout(this.timer);
    const s = this.socket;
    this.socket = null;
    if (s) {
      try {
        s.close(1000, 'closed by the client');
      } catch {
        /* not open yet */
      }
    }
  }

  private async open(): Promise<void> {
    if (this.closedByUser) return;
    let Ctor: WebSocketConstructor;
    try {
      Ctor = await this.ctor;
    } catch (err) {
      this.events.onError?.(err instanceof WorkbenchApiError ? err : new WorkbenchApiError({ code: 'DEPENDENCY_MISSING', status: 0, message: String((err as Error)?.message ?? err) }));
      this.closedByUser = true;
      return;
    }
    if (this.closedByUser) return;
    let s: WebSocketLike;
    try {
      s = new Ctor(this.url);
    } catch (err) {
      this.events.onError?.(new WorkbenchApiError({ code: 'INVALID_INPUT', status: 0, message: `cannot open ${this.url.replace(/token=[^&]*/, 'token=…')}: ${(err as Error).message}` }));
      this.closedByUser = true;
      return;
    }
    this.socket = s;
    let opened = false;
    s.onopen = () => {
      opened = true;
      this.attempts = 0;
      for (const m of this.hello()) s.send(JSON.stringify(m));
      this.events.onOpen?.();
    };
    s.onmessage = (ev) => {
      let m: StreamServerMessage;
      try {
        m = JSON.parse(typeof ev.data === 'string' ? ev.data : String(ev.data)) as StreamServerMessage;
      } catch {
        return;
      }
      this.onMessage(m);
    };
    s.onerror = () => {
      /* onclose follows */
    };
    s.onclose = (ev) => {
      if (this.socket !== s) return;
      this.socket = null;
      if (this.closedByUser) return;
      this.attempts++;
      const max = this.reconnect.maxAttempts ?? Infinity;
      const willReconnect = this.attempts <= max;
      if (!opened) this.events.onError?.(new WorkbenchApiError({ code: 'UNAVAILABLE', status: 0, message: 'could not connect to the Workbench stream', hint: 'is the server running (wb serve), and is the token right?' }));
      this.events.onDisconnect?.({ code: ev?.code ?? 1006, reason: ev?.reason ?? '', willReconnect });
      if (!willReconnect) {
        this.closedByUser = true;
        return;
      }
      const base = Math.min(this.reconnect.maxDelayMs ?? 10_000, (this.reconnect.initialDelayMs ?? 250) * 2 ** Math.min(this.attempts - 1, 16));
      const delay = base / 2 + Math.random() * (base / 2);
      this.timer = setTimeout(() => void this.open(), delay);
    };
  }
}

export interface RunStreamHandlers extends ConnectionEvents {
  /** New log lines, in seq order, never repeated. */
  onLogs?: (lines: LogLine[]) => void;
  /** New metric points, in seq order; values NaN/±Infinity arrive as strings (fromWireNumber). */
  onMetrics?: (points: MetricPoint[]) => void;
  /** The run's status or progress changed (also sent once on subscribing). */
  onRun?: (run: Run) => void;
}

export interface RunSubscribeOptions {
  /** Start after these seqs (default 0: everything stored, then live). */
  afterLogSeq?: number;
  afterMetricSeq?: number;
  /** Close the subscription once the run has ended and everything was delivered. */
  untilEnded?: boolean;
  reconnect?: ReconnectOptions;
}

export interface RunSubscription {
  readonly runId: string;
  /** The seq of the last log line delivered: resume from here. */
  readonly lastLogSeq: number;
  readonly lastMetricSeq: number;
  readonly closed: boolean;
  close(): void;
}

export function subscribeRun(url: string, ctor: Promise<WebSocketConstructor>, runId: string, h: RunStreamHandlers, opts: RunSubscribeOptions = {}): RunSubscription {
  let lastLog = opts.afterLogSeq ?? 0;
  let lastMetric = opts.afterMetricSeq ?? 0;
  let id = runId;
  const sub: RunSubscription = {
    runId,
    get lastLogSeq() {
      return lastLog;
    },
    get lastMetricSeq() {
      return lastMetric;
    },
    get closed() {
      return stream.closed;
    },
    close: () => stream.close(),
  };
  const mine = (rid: string | undefined) => rid !== undefined && (rid === id || rid.startsWith(runId));
  const stream = new ReconnectingStream(
    url,
    ctor,
    () => [{ op: 'subscribe', runId: id, afterLogSeq: lastLog, afterMetricSeq: lastMetric }],
    (m) => {
      switch (m.type) {
        case 'logs': {
          if (!mine(m.runId)) return;
          id = m.runId;
          const fresh = m.lines.filter((l) => l.seq > lastLog);
          if (fresh.length === 0) return;
          lastLog = fresh[fresh.length - 1]!.seq;
          h.onLogs?.(fresh);
          break;
        }
        case 'metrics': {
          if (!mine(m.runId)) return;
          id = m.runId;
          const fresh = m.points.filter((p) => p.seq > lastMetric);
          if (fresh.length === 0) return;
          lastMetric = fresh[fresh.length - 1]!.seq;
          h.onMetrics?.(fresh);
          break;
        }
        case 'run':
          if (!mine(m.run.id)) return;
          id = m.run.id;
          h.onRun?.(m.run);
          if (opts.untilEnded && TERMINAL.has(m.run.status)) stream.close();
          break;
        case 'error': {
          const err = new WorkbenchApiError({ code: m.error.code, status: 0, message: m.error.message, hint: m.error.hint });
          h.onError?.(err);
          // A subscription the server refuses (no such run) will not work on retry either.
          if (mine(m.runId) && m.error.code === 'NOT_FOUND') stream.close();
          break;
        }
        default:
          break;
      }
    },
    h,
    opts.reconnect,
  );
  return sub;
}

export interface EventStreamHandlers extends ConnectionEvents {
  onEvents?: (events: WbEvent[]) => void;
}

export interface EventSubscription {
  readonly lastSeq: number;
  readonly closed: boolean;
  close(): void;
}

export function subscribeEvents(url: string, ctor: Promise<WebSocketConstructor>, h: EventStreamHandlers, opts: { afterSeq?: number; reconnect?: ReconnectOptions } = {}): EventSubscription {
  let last = opts.afterSeq ?? 0;
  const stream = new ReconnectingStream(
    url,
    ctor,
    () => [{ op: 'subscribe-events', afterSeq: last }],
    (m) => {
      if (m.type === 'events') {
        const fresh = m.events.filter((e) => e.seq > last);
        if (fresh.length === 0) return;
        last = fresh[fresh.length - 1]!.seq;
        h.onEvents?.(fresh);
      } else if (m.type === 'error') {
        h.onError?.(new WorkbenchApiError({ code: m.error.code, status: 0, message: m.error.message, hint: m.error.hint }));
      }
    },
    h,
    opts.reconnect,
  );
  return {
    get lastSeq() {
      return last;
    },
    get closed() {
      return stream.closed;
    },
    close: () => stream.close(),
  };
}
