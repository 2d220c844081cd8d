import { streamClientMessageSchema, toWireNumber, type LlmStatus, type LogLine, type MetricPoint, type StreamServerMessage } from '@workbench/api';
import { Runs, WbError, decodeChunk, listEvents, readLogs, type Workspace, type WorkspaceChange } from '@workbench/core';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { toWireRun } from './wire.js';

/** Pause reading for a client whose socket has this much unsent (the design: ~8 MB). */
export const HIGH_WATER_BYTES = 8 * 1024 * 1024;
const LOW_WATER_BYTES = 1024 * 1024;
const LOG_PAGE = 5000;
const METRIC_PAGE = 20_000;
const METRIC_CHUNK_ROWS = 512;
const EVENT_PAGE = 1000;
const POLL_MS = 5;
/** Runs one connection may follow at once. */
const MAX_RUN_SUBS = 256;
/** Ping every client this often; one that has not answered the previous ping is dropped. */
const PING_MS = 30_000;

interface RunSub {
  runId: string;
  afterLog: number;
  afterMetric: number;
  /** What the client was last told about the run's status and progress. */
  sig: string | null;
  dirty: boolean;
  running: boolean;
  closed: boolean;
}

interface EventSub {
  afterSeq: number;
  dirty: boolean;
  running: boolean;
  closed: boolean;
}

interface Client {
  socket: WebSocket;
  runs: Map<string, RunSub>;
  events: EventSub | null;
  paused: boolean;
  closed: boolean;
  alive: boolean;
  drainTimer: NodeJS.Timeout | null;
  /** Ends this client's LLM monitor subscription. */
  llm: (() => void) | null;
}

/** A live topic fed from outside the database (the LLM monitor): subscribe returns the unsubscribe. */
export interface LiveTopic<T> {
  subscribe(listener: (value: T) => void): () => void;
}

type RunRow = { status: string; log_seq: number; metric_seq: number; progress_current: number | null; progress_total: number | null; exit_code: number | null; deleted_at: number | null };

const sigOf = (r: { status: string; progress_current: number | null; progress_total: number | null; exit_code: number | null }): string =>
  `${r.status}|${r.progress_current ?? ''}|${r.progress_total ?? ''}|${r.exit_code ?? ''}`;

/**
 * Live delivery over WebSocket. Each subscription tails by sequence number (log seq, metric
 * seq, event seq), so a delivery pass can run any number of times: it sends what is stored
 * after the last seq sent and moves on — no duplicates, no gaps. Passes are triggered by
 * in-process change notifications (runs this server supervises) and by polling SQLite's
 * data_version every 5 ms while anyone is subscribed (writes from other processes).
 */
export class StreamHub {
  private readonly clients = new Set<Client>();
  private readonly runs: Runs;
  private pollTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private lastVersion = 0;
  private subs = 0;
  private closed = false;
  private llmTopic: LiveTopic<LlmStatus> | null = null;
  private readonly onChange = (c: WorkspaceChange): void => this.changed(c);

  constructor(
    private readonly ws: Workspace,
    private readonly log: FastifyBaseLogger,
  ) {
    this.runs = new Runs(ws);
    ws.changes.on('change', this.onChange);
    // Dead peers (a laptop that slept, a dropped network) are noticed and their state freed.
    this.pingTimer = setInterval(() => {
      for (const c of this.clients) {
        if (!c.alive) {
          c.socket.terminate();
          this.detach(c);
          continue;
        }
        c.alive = false;
        try {
          c.socket.ping();
        } catch {
          /* closing */
        }
      }
    }, PING_MS);
    this.pingTimer.unref();
  }

  /** For monitoring and tests: connected clients, subscriptions, clients paused for backpressure. */
  stats(): { clients: number; subscriptions: number; paused: number } {
    let paused = 0;
    for (const c of this.clients) if (c.paused) paused++;
    return { clients: this.clients.size, subscriptions: this.subs, paused };
  }

  /** Where `subscribe-llm` clients get their samples (the server's LLM collector). */
  setLlmTopic(topic: LiveTopic<LlmStatus>): void {
    this.llmTopic = topic;
  }

  attach(socket: WebSocket): void {
    if (this.closed) {
      socket.close(1001, 'server stopping');
      return;
    }
    const client: Client = { socket, runs: new Map(), events: null, paused: false, closed: false, alive: true, drainTimer: null, llm: null };
    this.clients.add(client);
    socket.on('pong', () => (client.alive = true));
    socket.on('message', (data, isBinary) => {
      if (isBinary) return this.sendError(client, 'INVALID_INPUT', 'send JSON text messages');
      this.onMessage(client, data.toString());
    });
    socket.on('close', () => this.detach(client));
    socket.on('error', () => this.detach(client));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.changes.off('change', this.onChange);
    if (this.pingTimer) clearInterval(this.pingTimer);
    for (const c of [...this.clients]) {
      this.detach(c);
      try {
        c.socket.close(1001, 'server stopping');
      } catch {
        /* already gone */
      }
    }
    this.stopPolling();
  }

  private detach(c: Client): void {
    if (c.closed) return;
    c.closed = true;
    this.clients.delete(c);
    for (const s of c.runs.values()) s.closed = true;
    this.subs -= c.runs.size + (c.events ? 1 : 0);
    c.runs.clear();
    if (c.events) c.events.closed = true;
    c.events = null;
    if (c.drainTimer) clearInterval(c.drainTimer);
    c.llm?.();
    c.llm = null;
    this.updatePolling();
  }

  private dropRun(c: Client, s: RunSub): void {
    s.closed = true;
    if (c.runs.get(s.runId) === s) {
      c.runs.delete(s.runId);
      this.subs--;
      this.updatePolling();
    }
  }

  private onMessage(c: Client, text: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return this.sendError(c, 'INVALID_INPUT', 'messages must be JSON, e.g. {"op":"subscribe","runId":"…","afterLogSeq":0,"afterMetricSeq":0}');
    }
    const parsed = streamClientMessageSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.sendError(c, 'INVALID_INPUT', `bad message${issue ? ` (${issue.path.join('.') || 'op'}: ${issue.message})` : ''}; ops: subscribe {runId, afterLogSeq?, afterMetricSeq?}, unsubscribe {runId}, subscribe-events {afterSeq?}, unsubscribe-events, subscribe-llm, unsubscribe-llm`);
    }
    const m = parsed.data;
    switch (m.op) {
      case 'subscribe':
        void this.subscribe(c, m.runId, m.afterLogSeq ?? 0, m.afterMetricSeq ?? 0);
        break;
      case 'unsubscribe': {
        for (const [id, s] of c.runs) {
          if (id === m.runId || id.startsWith(m.runId)) {
            s.closed = true;
            c.runs.delete(id);
            this.subs--;
          }
        }
        this.updatePolling();
        break;
      }
      case 'subscribe-events': {
        if (c.events) c.events.closed = true;
        else this.subs++;
        c.events = { afterSeq: m.afterSeq ?? 0, dirty: true, running: false, closed: false };
        this.updatePolling();
        this.kickEvents(c);
        break;
      }
      case 'subscribe-llm': {
        if (!this.llmTopic) return this.sendError(c, 'UNAVAILABLE', 'the LLM monitor is not running in this server');
        if (c.llm) break;
        // A gauge, not a log: a sample that finds the socket backed up is skipped, the next replaces it.
        c.llm = this.llmTopic.subscribe((status) => {
          if (!c.closed && c.socket.bufferedAmount <= HIGH_WATER_BYTES) this.send(c, { type: 'llm', status });
        });
        break;
      }
      case 'unsubscribe-llm':
        c.llm?.();
        c.llm = null;
        break;
      case 'unsubscribe-events':
        if (c.events) {
          c.events.closed = true;
          c.events = null;
          this.subs--;
          this.updatePolling();
        }
        break;
    }
  }

  private async subscribe(c: Client, ref: string, afterLog: number, afterMetric: number): Promise<void> {
    let id: string;
    try {
      id = (await this.runs.row(ref)).id;
    } catch (err) {
      const e = err instanceof WbError ? err : null;
      return this.sendError(c, e?.code ?? 'INTERNAL', e?.message ?? 'could not subscribe', ref);
    }
    if (c.closed) return;
    if (!c.runs.has(id) && c.runs.size >= MAX_RUN_SUBS) {
      return this.sendError(c, 'INVALID_INPUT', `one connection follows at most ${MAX_RUN_SUBS} runs; unsubscribe from some, or open another connection`, id);
    }
    const old = c.runs.get(id);
    if (old) old.closed = true;
    else this.subs++;
    const sub: RunSub = { runId: id, afterLog, afterMetric, sig: null, dirty: true, running: false, closed: false };
    c.runs.set(id, sub);
    this.updatePolling();
    this.kickRun(c, sub);
  }

  // ---- triggers -----------------------------------------------------------------------

  private changed(change: WorkspaceChange): void {
    if (change.runId) {
      for (const c of this.clients) {
        const s = c.runs.get(change.runId);
        if (s) this.kickRun(c, s);
      }
    }
    if (change.events) for (const c of this.clients) if (c.events) this.kickEvents(c);
  }

  private updatePolling(): void {
    if (this.subs > 0 && !this.pollTimer && !this.closed) {
      this.lastVersion = this.ws.dataVersion();
      this.pollTimer = setInterval(() => this.poll(), POLL_MS);
      this.pollTimer.unref();
    } else if (this.subs <= 0) {
      this.stopPolling();
    }
  }

  private stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  private poll(): void {
    let v: number;
    try {
      v = this.ws.dataVersion();
    } catch {
      return; // closing
    }
    if (v === this.lastVersion) return;
    this.lastVersion = v;
    for (const c of this.clients) {
      for (const s of c.runs.values()) this.kickRun(c, s);
      if (c.events) this.kickEvents(c);
    }
  }

  private kickRun(c: Client, s: RunSub): void {
    s.dirty = true;
    if (!s.running && !c.paused && !s.closed) void this.pumpRun(c, s);
  }

  private kickEvents(c: Client): void {
    const e = c.events;
    if (!e) return;
    e.dirty = true;
    if (!e.running && !c.paused && !e.closed) void this.pumpEvents(c, e);
  }

  // ---- delivery -----------------------------------------------------------------------

  private overHighWater(c: Client): boolean {
    if (c.socket.bufferedAmount <= HIGH_WATER_BYTES) return false;
    if (!c.paused) {
      c.paused = true;
      c.drainTimer = setInterval(() => {
        if (c.closed) return;
        if (c.socket.bufferedAmount > LOW_WATER_BYTES) return;
        clearInterval(c.drainTimer!);
        c.drainTimer = null;
        c.paused = false;
        for (const s of c.runs.values()) if (s.dirty) this.kickRun(c, s);
        if (c.events?.dirty) this.kickEvents(c);
      }, 10);
    }
    return true;
  }

  private async pumpRun(c: Client, s: RunSub): Promise<void> {
    s.running = true;
    try {
      while (s.dirty && !s.closed && !c.closed) {
        if (this.overHighWater(c)) return; // stays dirty; resumed when the socket drains
        s.dirty = false;
        if (await this.stepRun(c, s)) s.dirty = true;
      }
    } catch (err) {
      if (!this.closed && !s.closed) {
        this.log.error({ err, runId: s.runId }, 'stream delivery failed');
        this.sendError(c, 'INTERNAL', 'live delivery failed; resubscribe to resume', s.runId);
        this.dropRun(c, s);
      }
    } finally {
      s.running = false;
    }
  }

  /** One pass; returns true when there is more to send right away (a full page). */
  private async stepRun(c: Client, s: RunSub): Promise<boolean> {
    const db = this.ws.db;
    const row = (await db
      .selectFrom('runs')
      .select(['status', 'log_seq', 'metric_seq', 'progress_current', 'progress_total', 'exit_code', 'deleted_at'])
      .where('id', '=', s.runId)
      .executeTakeFirst()) as RunRow | undefined;
    if (s.closed || c.closed) return false;
    if (!row) {
      this.sendError(c, 'NOT_FOUND', `run '${s.runId}' no longer exists`, s.runId);
      this.dropRun(c, s);
      return false;
    }
    let more = false;
    if (Number(row.log_seq) > s.afterLog) {
      const lines: LogLine[] = await readLogs(db, s.runId, { afterSeq: s.afterLog, limit: LOG_PAGE });
      if (s.closed || c.closed) return false;
      if (lines.length > 0) {
        this.send(c, { type: 'logs', runId: s.runId, lines });
        s.afterLog = lines[lines.length - 1]!.seq;
        if (lines.length === LOG_PAGE) more = true;
      }
    }
    if (Number(row.metric_seq) > s.afterMetric) {
      const page = await readMetricPage(this.ws, s.runId, s.afterMetric, METRIC_PAGE);
      if (s.closed || c.closed) return false;
      if (page.points.length > 0) {
        this.send(c, { type: 'metrics', runId: s.runId, points: page.points });
        s.afterMetric = page.points[page.points.length - 1]!.seq;
      }
      if (page.more) more = true;
    }
    if (more) return true;
    // Status last: a run's final logs are stored before it ends, so a client sees every
    // line before the message that says the run is over.
    const sig = sigOf(row);
    if (sig !== s.sig) {
      const run = await this.runs.get(s.runId, row.deleted_at != null ? { deleted: true } : {}).catch(() => null);
      if (s.closed || c.closed || !run) return false;
      if (run.status !== row.status) return true; // it moved on meanwhile: read its output first
      this.send(c, { type: 'run', run: toWireRun(run) });
      s.sig = sigOf({ status: run.status, progress_current: run.progress?.current ?? null, progress_total: run.progress?.total ?? null, exit_code: run.exitCode });
    }
    return false;
  }

  private async pumpEvents(c: Client, e: EventSub): Promise<void> {
    e.running = true;
    try {
      while (e.dirty && !e.closed && !c.closed) {
        if (this.overHighWater(c)) return;
        e.dirty = false;
        const events = await listEvents(this.ws.db, { after: e.afterSeq, limit: EVENT_PAGE });
        if (e.closed || c.closed) return;
        if (events.length > 0) {
          this.send(c, { type: 'events', events });
          e.afterSeq = events[events.length - 1]!.seq;
        }
        if (events.length === EVENT_PAGE) e.dirty = true;
      }
    } catch (err) {
      if (!this.closed) {
        this.log.error({ err }, 'event delivery failed');
        this.sendError(c, 'INTERNAL', 'event delivery failed; resubscribe to resume');
      }
    } finally {
      e.running = false;
    }
  }

  private send(c: Client, m: StreamServerMessage): void {
    if (c.closed || c.socket.readyState !== 1) return;
    c.socket.send(JSON.stringify(m));
  }

  private sendError(c: Client, code: string, message: string, runId?: string): void {
    this.send(c, { type: 'error', ...(runId ? { runId } : {}), error: { code, message } });
  }
}

/**
 * Metric points of a run stored after `afterSeq`, in seq order, at most about `maxPoints`.
 * Points live in chunks (one per key per ingest batch) whose seq ranges interleave; reading
 * chunks in first_seq order, every point below the first chunk not read is complete.
 */
export async function readMetricPage(ws: Workspace, runId: string, afterSeq: number, maxPoints: number): Promise<{ points: MetricPoint[]; more: boolean }> {
  const query = (limit: number | null) => {
    let q = ws.db
      .selectFrom('metric_chunks')
      .innerJoin('metric_keys', 'metric_keys.id', 'metric_chunks.key_id')
      .select(['metric_keys.key', 'metric_chunks.first_seq', 'metric_chunks.n', 'metric_chunks.data'])
      .where('metric_chunks.run_id', '=', runId)
      .where('metric_chunks.last_seq', '>', afterSeq)
      .orderBy('metric_chunks.first_seq');
    if (limit !== null) q = q.limit(limit);
    return q.execute();
  };
  let rows = await query(METRIC_CHUNK_ROWS);
  for (let attempt = 0; attempt < 2; attempt++) {
    let count = 0;
    let used = 0;
    while (used < rows.length && (attempt > 0 || count < maxPoints || used === 0)) {
      count += Number(rows[used]!.n);
      used++;
    }
    let bound = Infinity;
    if (used < rows.length) bound = Number(rows[used]!.first_seq);
    else if (rows.length === METRIC_CHUNK_ROWS && attempt === 0) bound = Number(rows[used - 1]!.first_seq) + 1;
    const points: MetricPoint[] = [];
    for (let i = 0; i < used; i++) {
      const r = rows[i]!;
      const cols = decodeChunk(r.data);
      for (let j = 0; j < cols.seq.length; j++) {
        const seq = cols.seq[j]!;
        if (seq <= afterSeq || seq >= bound) continue;
        points.push({ key: r.key, step: cols.step[j]!, value: toWireNumber(cols.value[j]!), ts: cols.ts[j]!, seq, attempt: cols.attempt[j]! });
      }
    }
    if (points.length === 0 && bound !== Infinity && attempt === 0) {
      // Pathological interleaving (hundreds of keys in one batch): read every chunk left.
      rows = await query(null);
      continue;
    }
    points.sort((a, b) => a.seq - b.seq);
    return { points, more: bound !== Infinity };
  }
  return { points: [], more: false };
}
