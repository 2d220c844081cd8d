import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { LogLine, RunStatus } from '@workbench/api';
import { Artifacts, Runs, processStartTime, selfIdentity, type LogIn, type MetricIn, type Workspace } from '@workbench/core';
import { LineSplitter } from './line-splitter.js';
import { parseEventLine, type RunEvent } from './protocol.js';

export interface SuperviseOptions {
  command: string[];
  cwd: string;
  /** Extra environment for the child, on top of this process's environment. */
  env: Record<string, string>;
  graceMs: number;
  /** Called with every captured stdout/stderr line (the CLI echoes them). */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  /** Called for every event the child sends (the CLI draws progress). */
  onEvent?: (e: RunEvent) => void;
}

export interface RunOutcome {
  status: RunStatus;
  exitCode: number | null;
  reason: string | null;
}

const FLUSH_MS = 4;
const MAX_PENDING = 200_000;
const FLUSH_NOW_AT = 20_000;
const CANCEL_POLL_MS = 200;
const HEARTBEAT_MS = 15_000;

/**
 * Runs one process for one run: captures stdout/stderr as log lines, reads the event channel
 * (fd 3), batches everything into the workspace in small transactions, stores artifacts, and
 * decides the final status. Stop it with `cancel()` (SIGTERM, then SIGKILL after the grace
 * period); another process asks for that through `Runs.requestCancel`, seen by polling.
 */
export class Supervisor {
  private child: ChildProcess | null = null;
  private logs: LogIn[] = [];
  private metrics: MetricIn[] = [];
  private params: Record<string, unknown> = {};
  private tags: Record<string, string> = {};
  private progress: { current: number; total: number | null } | null = null;
  private dirty = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushQueued = false;
  private flushing: Promise<void> = Promise.resolve();
  private artifactsChain: Promise<void> = Promise.resolve();
  private lastStep = new Map<string, number>();
  private declared: { state: 'succeeded' | 'failed'; message: string | null } | null = null;
  private cancelReason: string | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private readonly runs: Runs;
  private readonly artifacts: Artifacts;
  private paused: Readable[] = [];
  private attempt = 1;

  constructor(
    private readonly ws: Workspace,
    readonly runId: string,
    private readonly opts: SuperviseOptions,
  ) {
    this.runs = new Runs(ws);
    this.artifacts = new Artifacts(ws);
  }

  /** Start the process and resolve when the run has ended and everything is stored. */
  async run(): Promise<RunOutcome> {
    const run = await this.runs.get(this.runId);
    this.attempt = run.attempt;
    const outputDir = this.ws.runDir(this.runId);
    await mkdir(outputDir, { recursive: true });
    try {
      await this.runs.transition(this.runId, 'running', { onlyFrom: ['queued'] });
    } catch (err) {
      return { status: (await this.runs.get(this.runId)).status, exitCode: null, reason: (err as Error).message };
    }
    if ((await this.runs.get(this.runId)).status !== 'running') {
      // Cancelled while it waited in the queue.
      const r = await this.runs.get(this.runId);
      return { status: r.status, exitCode: null, reason: r.statusReason };
    }
    if (this.cancelReason !== null) {
      // Cancelled before the process was started: nothing to stop.
      await this.runs.transition(this.runId, 'cancelled', { reason: this.cancelReason });
      return { status: 'cancelled', exitCode: null, reason: this.cancelReason };
    }
    const [cmd, ...args] = this.opts.command;
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.opts.env, WB_RUN_ID: this.runId, WB_EVENT_FD: '3', WB_OUTPUT_DIR: outputDir, WB_ATTEMPT: String(this.attempt), WB_WORKSPACE: this.ws.dir, PYTHONUNBUFFERED: '1' };
    const child = spawn(cmd!, args, {
      cwd: this.opts.cwd,
      env,
      // fd 3 is the event channel; a pipe of its own so prints cannot corrupt it.
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      // Its own process group, so cancelling reaches the whole tree (data loaders, shells).
      detached: true,
    });
    this.child = child;
    const spawned = await new Promise<Error | null>((resolve) => {
      child.once('spawn', () => resolve(null));
      child.once('error', (err) => resolve(err));
    });
    if (spawned) {
      const notFound = (spawned as NodeJS.ErrnoException).code === 'ENOENT';
      const reason = notFound ? `command not found: ${cmd} (check the spelling and your PATH)` : `could not start ${cmd}: ${spawned.message}`;
      this.system('ERROR', reason);
      await this.flushNow();
      await this.runs.transition(this.runId, 'failed', { reason, exitCode: null });
      return { status: 'failed', exitCode: null, reason };
    }
    // A cancel that arrived while the process was being started applies now.
    if (this.cancelReason !== null) {
      const reason = this.cancelReason;
      this.cancelReason = null;
      this.cancel(reason);
    }
    const self = selfIdentity();
    await this.runs.attachSupervisor(this.runId, { pid: self.pid, start: self.start, host: self.host, childPid: child.pid ?? null, cwd: this.opts.cwd });
    this.system('INFO', `started: ${this.opts.command.join(' ')} (pid ${child.pid}${processStartTime(child.pid!) ? '' : ''})`);

    const ended = this.watch(child);
    const poll = this.pollCancel();
    const beat = setInterval(() => void this.runs.heartbeat(this.runId).catch(() => {}), HEARTBEAT_MS);
    const { code, signal } = await ended;
    clearInterval(beat);
    poll.stop();
    if (this.killTimer) clearTimeout(this.killTimer);
    await this.artifactsChain;
    await this.flushNow();

    let status: RunStatus;
    let reason: string | null;
    if (this.cancelReason !== null) {
      status = 'cancelled';
      reason = this.cancelReason;
    } else if (code !== 0) {
      status = 'failed';
      reason = signal ? `killed by ${signal}` : `exited with code ${code}`;
    } else if (this.declared?.state === 'failed') {
      status = 'failed';
      reason = this.declared.message ?? 'the process reported failure';
    } else {
      status = 'succeeded';
      reason = null;
    }
    this.system(status === 'succeeded' ? 'INFO' : 'WARN', `ended ${status}${reason ? ': ' + reason : ''}`);
    await this.flushNow();
    await this.runs.transition(this.runId, status, { reason, exitCode: code });
    return { status, exitCode: code, reason };
  }

  /** SIGTERM now, SIGKILL after the grace period. Safe to call more than once. */
  cancel(reason = 'cancelled by the user'): void {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.cancelReason ??= reason;
      return;
    }
    if (this.cancelReason !== null) {
      // A second request means "now".
      this.signal('SIGKILL');
      return;
    }
    this.cancelReason = reason;
    this.system('WARN', `cancelling: sending SIGTERM, SIGKILL in ${Math.round(this.opts.graceMs / 1000)} s if it has not stopped`);
    this.signal('SIGTERM');
    this.killTimer = setTimeout(() => {
      this.system('WARN', 'grace period over: sending SIGKILL');
      this.signal('SIGKILL');
    }, this.opts.graceMs);
    this.killTimer.unref();
  }

  private signal(sig: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
    }
  }

  private pollCancel(): { stop: () => void } {
    let version = this.ws.dataVersion();
    let busy = false;
    const timer = setInterval(() => {
      if (busy || this.cancelReason !== null) return;
      const v = this.ws.dataVersion();
      if (v === version) return;
      version = v;
      busy = true;
      this.runs
        .cancelRequested(this.runId)
        .then((yes) => {
          if (yes) this.cancel('cancelled on request (wb run cancel or the web app)');
        })
        .catch(() => {})
        .finally(() => (busy = false));
    }, CANCEL_POLL_MS);
    return { stop: () => clearInterval(timer) };
  }

  private watch(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const out = new LineSplitter((line, info) => this.output('stdout', line, info.truncated), 64 * 1024, 64 * 1024);
    const err = new LineSplitter((line, info) => this.output('stderr', line, info.truncated), 64 * 1024, 64 * 1024);
    const events = new LineSplitter((line, info) => this.eventLine(line, info));
    const streams: Array<[Readable, LineSplitter]> = [
      [child.stdout!, out],
      [child.stderr!, err],
      [child.stdio[3] as Readable, events],
    ];
    for (const [stream, splitter] of streams) {
      stream.on('data', (chunk: Buffer) => {
        splitter.push(chunk);
        this.backpressure(stream);
      });
      stream.on('end', () => splitter.end());
      stream.on('error', () => {});
    }
    // 'close' comes after the process exited *and* its stdio streams ended.
    return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  }

  private backpressure(stream: Readable): void {
    if (this.logs.length + this.metrics.length > MAX_PENDING && !stream.isPaused()) {
      stream.pause();
      this.paused.push(stream);
    }
  }

  private output(stream: 'stdout' | 'stderr', raw: string, truncated: boolean): void {
    // A carriage return redraws a terminal line (progress bars): keep what a terminal shows.
    const cr = raw.lastIndexOf('\r', raw.length - 2);
    let text = cr >= 0 ? raw.slice(cr + 1) : raw;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (truncated) text += ' … [line cut at 64 KiB]';
    this.opts.onOutput?.(stream, text);
    this.push({ ts: Date.now(), stream, level: stream === 'stderr' ? 'WARN' : 'INFO', text });
  }

  private system(level: string, text: string): void {
    this.push({ ts: Date.now(), stream: 'system', level, text });
  }

  private eventLine(line: string, info: { truncated: boolean; bytes: number }): void {
    if (line.length === 0 && !info.truncated) return;
    if (info.truncated) {
      this.push({ ts: Date.now(), stream: 'event', level: 'WARN', text: `event line of ${info.bytes} bytes is over the 1 MiB limit and was dropped; it began: ${line.slice(0, 64 * 1024)}` });
      return;
    }
    const parsed = parseEventLine(line);
    if (!parsed.ok) {
      this.push({ ts: Date.now(), stream: 'event', level: 'WARN', text: `ignored event line (${parsed.error}): ${line.slice(0, 2000)}` });
      return;
    }
    const e = parsed.event;
    this.opts.onEvent?.(e);
    const t = Date.now();
    switch (e.type) {
      case 'metric': {
        const ts = e.ts ?? t;
        const attempt = e.attempt ?? this.attempt;
        for (const p of e.points) {
          const step = p.step ?? (this.lastStep.get(p.key) ?? -1) + 1;
          this.lastStep.set(p.key, step);
          this.metrics.push({ key: p.key, step, value: p.value, ts, attempt });
        }
        this.schedule();
        break;
      }
      case 'log':
        this.push({ ts: e.ts ?? t, stream: 'event', level: e.level, text: e.message });
        break;
      case 'params':
        Object.assign(this.params, e.values);
        this.schedule();
        break;
      case 'tags':
        Object.assign(this.tags, e.values);
        this.schedule();
        break;
      case 'progress':
        this.progress = { current: e.current, total: e.total };
        this.schedule();
        break;
      case 'status':
        this.declared = { state: e.state, message: e.message };
        break;
      case 'artifact':
        this.queueArtifact(e);
        break;
    }
  }

  private queueArtifact(e: Extract<RunEvent, { type: 'artifact' }>): void {
    const file = path.resolve(this.opts.cwd, e.path);
    const name = e.name ?? path.basename(e.path);
    this.artifactsChain = this.artifactsChain.then(async () => {
      try {
        const { artifact } = await this.artifacts.add(this.runId, { name, kind: e.kind, file, ...(e.sha256 ? { sha256: e.sha256 } : {}) });
        this.push({ ts: Date.now(), stream: 'system', level: 'INFO', text: `stored artifact ${artifact.name} (${artifact.size} bytes, sha256 ${artifact.sha256.slice(0, 12)}…)` });
      } catch (err) {
        this.push({ ts: Date.now(), stream: 'system', level: 'ERROR', text: `artifact ${name} was not stored: ${(err as Error).message}` });
      }
    });
  }

  private push(line: LogIn): void {
    this.logs.push(line);
    this.schedule();
  }

  private schedule(): void {
    this.dirty = true;
    // Under a flood, write big batches at once rather than waiting for the timer.
    if (this.logs.length + this.metrics.length >= FLUSH_NOW_AT) {
      if (this.flushTimer) clearTimeout(this.flushTimer);
      this.flushTimer = null;
      if (!this.flushQueued) {
        this.flushQueued = true;
        void this.flushNow().finally(() => (this.flushQueued = false));
      }
      return;
    }
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flushNow();
    }, FLUSH_MS);
  }

  /** Write everything pending in one transaction; flushes never overlap. */
  private flushNow(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      const batch = { logs: this.logs, metrics: this.metrics, params: this.params, tags: this.tags, ...(this.progress ? { progress: this.progress } : {}) };
      this.logs = [];
      this.metrics = [];
      this.params = {};
      this.tags = {};
      this.progress = null;
      try {
        await this.runs.ingest(this.runId, batch);
      } catch (err) {
        // Keep the data and retry on the next flush (a busy database, a full disk).
        this.logs = batch.logs.concat(this.logs);
        this.metrics = batch.metrics.concat(this.metrics);
        this.params = { ...batch.params, ...this.params };
        this.tags = { ...batch.tags, ...this.tags };
        this.progress ??= batch.progress ?? null;
        this.dirty = true;
        process.stderr.write(`workbench: could not store run output yet (${(err as Error).message}); retrying\n`);
        await new Promise((r) => setTimeout(r, 250));
        this.schedule();
      }
      for (const s of this.paused.splice(0)) s.resume();
    });
    return this.flushing;
  }
}

export type { LogLine };
