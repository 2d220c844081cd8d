/**
 * `@workbench/sdk/run`: report params, metrics, logs and artifacts from a Node training
 * script — the TypeScript twin of the Python client (docs/run-protocol.md).
 *
 *     import * as wb from '@workbench/sdk/run';
 *     wb.logParams({ lr: 0.01, layers: 3 });
 *     for (let step = 0; step < 100; step++) wb.logMetric('loss', loss, step);
 *     await wb.logArtifact('model.onnx', { kind: 'model' });
 *     await wb.finish();
 *
 * Under `wb run` (or a run started by the server) events go to the supervisor over the file
 * descriptor WB_EVENT_FD; outside a run they are appended to ./wb-offline/<time>-<pid>.jsonl.
 * Calls only validate and queue a line; the queue is written in batches on setImmediate (or at
 * once when it passes 256 KiB), so the training loop is never held for long. When the channel is
 * gone (supervisor killed) events go to $WB_OUTPUT_DIR/events-spool.jsonl instead: nothing is
 * lost. Everything queued is written at exit.
 *
 * Node only (it uses node:fs); no dependencies.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';

const MAX_KEY = 256;
const MAX_STEP = Number.MAX_SAFE_INTEGER;
const MAX_TAG_CHARS = 4096;
const MAX_MESSAGE_CHARS = 65_536;
const MAX_LINE_BYTES = 1024 * 1024 - 1024;
/** Write at once (in the caller) when this much is queued: bounds memory in tight loops. */
const INLINE_FLUSH_BYTES = 256 << 10;
const KEY_CACHE_LIMIT = 100_000;
/** A channel that takes nothing (a stalled supervisor) makes the queue overflow into the spool past this. */
const MAX_QUEUED_BYTES = 64 << 20;
const LEVELS: Record<string, string> = { TRACE: 'DEBUG', DEBUG: 'DEBUG', INFO: 'INFO', WARN: 'WARN', WARNING: 'WARN', ERROR: 'ERROR', CRITICAL: 'ERROR', FATAL: 'ERROR' };

// ---- the run environment ------------------------------------------------------------------

/** The run's id, or null outside a supervised run. */
export function runId(): string | null {
  return process.env.WB_RUN_ID || null;
}

/** True when the process is supervised (an event channel was handed to it). */
export function inRun(): boolean {
  return (process.env.WB_EVENT_FD ?? '').trim() !== '';
}

/** The run's params ({} outside a run). */
export function params(): Record<string, unknown> {
  const raw = process.env.WB_PARAMS;
  if (!raw || !raw.trim()) return {};
  const v = JSON.parse(raw) as unknown;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError('WB_PARAMS must be a JSON object');
  return v as Record<string, unknown>;
}

/** The folder for the run's outputs (WB_OUTPUT_DIR), or the working directory outside a run. */
export function outputDir(): string {
  return process.env.WB_OUTPUT_DIR || process.cwd();
}

/** The path of a dataset given to the run: the first one, or the one called `name`. */
export function datasetPath(name?: string): string {
  let map: Record<string, string> = {};
  try {
    map = JSON.parse(process.env.WB_DATASETS || '{}') as Record<string, string>;
  } catch {
    map = {};
  }
  if (name === undefined) {
    const p = process.env.WB_DATASET || Object.values(map)[0];
    if (p) return p;
    throw new Error('no dataset was given to this run (WB_DATASET is not set); start it with --dataset NAME');
  }
  const p = map[name];
  if (p) return p;
  throw new Error(`no dataset '${name}' was given to this run (given: ${Object.keys(map).join(', ') || 'none'})`);
}

// ---- the writer -----------------------------------------------------------------------------

const stderr = (msg: string): void => {
  try {
    process.stderr.write(`workbench: ${msg}\n`);
  } catch {
    /* stderr gone with the supervisor */
  }
};

function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function flushTimeoutMs(): number {
  const raw = process.env.WB_FLUSH_TIMEOUT;
  const v = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return Number.isFinite(v) && v > 0 ? v * 1000 : 10_000;
}

const sleepSync = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** An append-only file opened on first use. */
class FileSink {
  private fd: number | null = null;
  private failed = false;
  constructor(
    readonly file: string,
    private readonly announce: string | null,
  ) {}

  write(data: Buffer): void {
    if (this.failed || data.length === 0) return;
    try {
      if (this.fd === null) {
        mkdirSync(path.dirname(this.file), { recursive: true });
        this.fd = openSync(this.file, 'a', 0o644);
        if (this.announce) stderr(this.announce);
      }
      let off = 0;
      while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
    } catch (err) {
      this.failed = true;
      stderr(`cannot write ${this.file} (${(err as Error).message}): events are lost`);
    }
  }
}

class EventWriter {
  private queue: string[] = [];
  private queuedBytes = 0;
  /** A batch the channel took only part of: `buf` from `off` is still to write. */
  private partial: { buf: Buffer; off: number } | null = null;
  private scheduled = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly fd: number | null;
  private dead = false;
  private spool: FileSink | null = null;
  private hooked = false;
  private overflowed = false;

  constructor() {
    const raw = (process.env.WB_EVENT_FD ?? '').trim();
    const fd = raw === '' ? NaN : Number(raw);
    if (raw !== '' && (!Number.isInteger(fd) || fd < 0)) stderr(`WB_EVENT_FD=${raw} is not a file descriptor; events are written to a file instead`);
    this.fd = Number.isInteger(fd) && fd >= 0 ? fd : null;
    if (this.fd === null) {
      const file = path.join(process.cwd(), 'wb-offline', `${stamp()}-${process.pid}.jsonl`);
      this.spool = new FileSink(file, `not running under a Workbench supervisor (WB_EVENT_FD is not set): events are written to ${file}`);
      this.dead = true;
    }
  }

  put(line: string): void {
    if (!this.hooked) this.hook();
    this.queue.push(line);
    this.queuedBytes += line.length;
    if (this.queuedBytes >= INLINE_FLUSH_BYTES && !this.drain(false) && this.queuedBytes >= MAX_QUEUED_BYTES) {
      if (!this.overflowed) {
        this.overflowed = true;
        stderr(`the supervisor is not reading events; the overflow is written to ${this.spoolFile()}`);
      }
      const rest = this.take();
      if (rest) this.toSpool(rest);
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.drain(false);
      });
    }
  }

  private hook(): void {
    this.hooked = true;
    process.on('beforeExit', () => this.flushSync());
    process.on('exit', () => this.flushSync());
  }

  private take(): Buffer | null {
    if (this.queue.length === 0) return null;
    const buf = Buffer.from(this.queue.join(''), 'utf8');
    this.queue = [];
    this.queuedBytes = 0;
    return buf;
  }

  /**
   * Write what is queued. `block`: keep trying (at exit) until it is all out or the flush
   * timeout passes; otherwise a full non-blocking channel just leaves the rest for later.
   * Returns true when nothing is left.
   */
  private drain(block: boolean): boolean {
    const deadline = block ? Date.now() + flushTimeoutMs() : 0;
    for (;;) {
      if (this.dead) {
        if (this.partial) this.toSpool(this.partial.buf.subarray(this.partial.off));
        this.partial = null;
        const rest = this.take();
        if (rest) this.toSpool(rest);
        return true;
      }
      if (!this.partial) {
        const buf = this.take();
        if (!buf) return true;
        this.partial = { buf, off: 0 };
      }
      const p = this.partial;
      try {
        while (p.off < p.buf.length) p.off += writeSync(this.fd!, p.buf, p.off, p.buf.length - p.off);
        this.partial = null;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
          if (block && Date.now() < deadline) {
            sleepSync(1);
            continue;
          }
          if (block) {
            stderr(`the supervisor did not take the last events within ${flushTimeoutMs() / 1000} s; they are written to ${this.spoolFile()}`);
            this.dead = true;
            continue;
          }
          this.retryTimer ??= setTimeout(() => {
            this.retryTimer = null;
            this.drain(false);
          }, 2);
          return false;
        }
        if (code === 'EINTR') continue;
        // EPIPE, EBADF, …: the supervisor is gone. Keep the unsent rest, from the start of
        // the line that was cut, in the spool file.
        const lineStart = p.off === 0 ? 0 : p.buf.lastIndexOf(0x0a, p.off - 1) + 1;
        p.off = Math.min(p.off, lineStart);
        stderr(`the event channel (fd ${this.fd}) failed (${code ?? (err as Error).message}); events are written to ${this.spoolFile()}`);
        this.dead = true;
      }
    }
  }

  private spoolFile(): string {
    this.spool ??= new FileSink(path.join(process.env.WB_OUTPUT_DIR || path.join(process.cwd(), 'wb-offline'), process.env.WB_OUTPUT_DIR ? 'events-spool.jsonl' : `${stamp()}-${process.pid}.jsonl`), null);
    return this.spool.file;
  }

  private toSpool(buf: Buffer): void {
    this.spoolFile();
    this.spool!.write(buf);
  }

  /** Write everything queued now (waits at most WB_FLUSH_TIMEOUT for a busy supervisor). */
  flushSync(): boolean {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    return this.drain(true);
  }

  /** Where events go: 'channel' (the supervisor) or the file they are written to. */
  destination(): string {
    return this.dead ? this.spoolFile() : 'channel';
  }
}

let writer: EventWriter | null = null;
const w = (): EventWriter => (writer ??= new EventWriter());

// ---- formatting and validation --------------------------------------------------------------

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return `${typeof v === 'object' ? ((v as object).constructor?.name ?? 'an object') : typeof v}`;
}

const keyJson = new Map<string, string>();

function checkKey(key: unknown, what: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY) {
    throw new TypeError(`${what} must be a non-empty string of at most ${MAX_KEY} characters, got ${describe(key)}${typeof key === 'string' && key.length > MAX_KEY ? ` of ${key.length} characters` : ''}`);
  }
  return key;
}

function keyToJson(key: unknown, what: string): string {
  const hit = keyJson.get(key as string);
  if (hit !== undefined) return hit;
  const k = checkKey(key, what);
  const j = JSON.stringify(k);
  if (keyJson.size < KEY_CACHE_LIMIT) keyJson.set(k, j);
  return j;
}

/** A metric value as protocol JSON: NaN and ±Infinity as strings. */
function numJson(v: unknown, what: () => string): string {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'bigint') n = Number(v);
  else if (typeof v === 'boolean') n = v ? 1 : 0;
  else throw new TypeError(`${what()} must be a number (NaN and ±Infinity are kept), got ${describe(v)}${typeof v === 'string' ? '; pass Number(x)' : ''}`);
  if (Number.isFinite(n)) return JSON.stringify(n);
  return Number.isNaN(n) ? '"NaN"' : n > 0 ? '"Infinity"' : '"-Infinity"';
}

function stepJson(step: unknown, what: string): string {
  if (step === undefined || step === null) return '';
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0 || step > MAX_STEP) {
    throw new TypeError(`${what}: step must be an integer >= 0 (or left out for the previous step + 1), got ${describe(step)}`);
  }
  return `,"step":${step}`;
}

const ts = (): string => `,"ts":${Date.now() / 1000}`;

/** Any value as JSON a param can carry: non-finite numbers as strings, BigInt as a number or string. */
function jsonable(value: unknown): string {
  try {
    const s = JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
      if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : String(v);
      if (typeof v === 'function' || typeof v === 'symbol') return String(v);
      return v;
    });
    return s === undefined ? 'null' : s;
  } catch {
    return JSON.stringify(String(value));
  }
}

function send(line: string, what: string): void {
  if (line.length > MAX_LINE_BYTES || Buffer.byteLength(line) > MAX_LINE_BYTES) {
    throw new TypeError(`${what} is too large to log (${Buffer.byteLength(line)} bytes of JSON, the limit is 1 MiB); save it to a file and log that with logArtifact()`);
  }
  w().put(line + '\n');
}

// ---- the API ----------------------------------------------------------------------------------

/** Record one point of the metric `key`. `step`: an integer >= 0; left out, the key's previous step + 1. */
export function logMetric(key: string, value: number, step?: number): void {
  const k = keyToJson(key, 'logMetric: the metric key');
  const v = numJson(value, () => `logMetric(${k}, value): value`);
  w().put(`{"type":"metric","key":${k},"value":${v}${stepJson(step, `logMetric(${k})`)}${ts()}}\n`);
}

/** Record several metrics at the same step. */
export function logMetrics(values: Record<string, number>, step?: number): void {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new TypeError(`logMetrics takes an object of metric name -> number, e.g. logMetrics({ loss: 0.5, acc: 0.9 }, step), got ${describe(values)}`);
  }
  const parts: string[] = [];
  for (const [key, v] of Object.entries(values)) parts.push(`${keyToJson(key, 'logMetrics: a metric key')}:${numJson(v, () => `logMetrics: '${key}'`)}`);
  if (parts.length === 0) return;
  send(`{"type":"metrics","values":{${parts.join(',')}}${stepJson(step, 'logMetrics')}${ts()}}`, 'metrics');
}

/** Record one param (any JSON value; others are sent as their String()). */
export function logParam(key: string, value: unknown): void {
  const k = keyToJson(key, 'logParam: the param key');
  send(`{"type":"param","key":${k},"value":${jsonable(value)}${ts()}}`, `param ${k}`);
}

/** Record several params at once. */
export function logParams(values: Record<string, unknown>): void {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new TypeError(`logParams takes an object of param name -> value, e.g. logParams({ lr: 0.01 }), got ${describe(values)}`);
  }
  const parts: string[] = [];
  for (const [key, v] of Object.entries(values)) parts.push(`${keyToJson(key, 'logParams: a param key')}:${jsonable(v)}`);
  if (parts.length === 0) return;
  send(`{"type":"params","values":{${parts.join(',')}}${ts()}}`, 'params');
}

/** Set a tag on the run (values are strings; others are sent as their String()). */
export function setTag(key: string, value: string): void {
  const k = keyToJson(key, 'setTag: the tag key');
  const v = typeof value === 'string' ? value : String(value);
  if (v.length > MAX_TAG_CHARS) throw new TypeError(`setTag(${k}): a tag value must be at most ${MAX_TAG_CHARS} characters, got ${v.length}; log long text with log() or as an artifact`);
  send(`{"type":"tag","key":${k},"value":${JSON.stringify(v)}${ts()}}`, `tag ${k}`);
}

/** Report progress: `current` out of `total` (left out when unknown). */
export function progress(current: number, total?: number): void {
  if (typeof current !== 'number' || !Number.isFinite(current)) throw new TypeError(`progress(current, total?): current must be a finite number, got ${describe(current)}`);
  if (total !== undefined && total !== null && (typeof total !== 'number' || !Number.isFinite(total) || total < 0)) {
    throw new TypeError(`progress(current, total?): total must be a finite number >= 0 (or left out when unknown), got ${describe(total)}`);
  }
  send(`{"type":"progress","current":${current}${total === undefined || total === null ? '' : `,"total":${total}`}${ts()}}`, 'progress');
}

/** Send a line to the run's log (level DEBUG, INFO, WARN/WARNING or ERROR). */
export function log(message: unknown, level = 'INFO'): void {
  const norm = typeof level === 'string' ? LEVELS[level.toUpperCase()] : undefined;
  if (!norm) throw new TypeError(`log(message, level): level must be one of DEBUG, INFO, WARN, WARNING, ERROR, got ${describe(level)}`);
  let text = typeof message === 'string' ? message : message instanceof Error ? (message.stack ?? String(message)) : String(message);
  if (text.length > MAX_MESSAGE_CHARS) text = `${text.slice(0, MAX_MESSAGE_CHARS)} ... [${text.length - MAX_MESSAGE_CHARS} characters cut]`;
  send(`{"type":"log","level":"${norm}","message":${JSON.stringify(text)}${ts()}}`, 'log message');
}

function checkArtifactName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '') throw new TypeError(`logArtifact: name must be a non-empty relative path such as 'model.onnx' or 'checkpoints/epoch-3.pt', got ${describe(name)}`);
  const posix = name.replace(/\\/g, '/');
  if (posix.startsWith('/') || /^[A-Za-z]:/.test(posix)) throw new TypeError(`logArtifact: name must be relative (it names the artifact inside the run), got the absolute '${name}'; pass e.g. { name: '${path.basename(posix)}' }`);
  if (posix.split('/').includes('..')) throw new TypeError(`logArtifact: name must stay inside the run (no '..' segment), got '${name}'`);
  if (name.length > 512) throw new TypeError('logArtifact: name must be at most 512 characters');
  return name;
}

const pendingArtifacts = new Set<Promise<unknown>>();

/**
 * Register a file as an artifact of the run; resolves with its SHA-256 (hex), hashed as a
 * stream. The supervisor copies the file and checks it against this hash, so do not change
 * the file afterwards. `name` (default: the file name) must be relative without '..'.
 */
export function logArtifact(file: string, opts: { name?: string; kind?: string } = {}): Promise<string> {
  if (typeof file !== 'string' || file === '') return Promise.reject(new TypeError(`logArtifact(path): path must be the path of a file, got ${describe(file)}`));
  const abs = path.resolve(file);
  let name: string;
  try {
    name = checkArtifactName(opts.name ?? path.basename(abs));
  } catch (err) {
    return Promise.reject(err);
  }
  const kind = opts.kind ?? 'file';
  if (typeof kind !== 'string' || kind === '') return Promise.reject(new TypeError(`logArtifact: kind must be a non-empty string such as 'model' or 'file', got ${describe(kind)}`));
  let st;
  try {
    st = statSync(abs);
  } catch {
    return Promise.reject(new TypeError(`logArtifact: no file at ${abs} (working directory: ${process.cwd()})`));
  }
  if (!st.isFile()) return Promise.reject(new TypeError(`logArtifact takes a file, got ${st.isDirectory() ? 'the folder' : 'the non-file'} ${abs}; archive a folder or log its files one by one`));
  const p = new Promise<string>((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(abs, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', (err) => reject(new TypeError(`logArtifact: cannot read ${abs}: ${err.message}`)))
      .on('end', () => {
        const sha = hash.digest('hex');
        try {
          send(`{"type":"artifact","kind":${JSON.stringify(kind.slice(0, 64))},"path":${JSON.stringify(abs)},"name":${JSON.stringify(name)},"sha256":"${sha}"${ts()}}`, 'artifact');
          resolve(sha);
        } catch (err) {
          reject(err);
        }
      });
  });
  pendingArtifacts.add(p);
  void p.catch(() => {}).finally(() => pendingArtifacts.delete(p));
  return p;
}

/**
 * Write everything logged so far now (waits at most WB_FLUSH_TIMEOUT for a busy supervisor).
 * Returns false when some events could only go to the spool file.
 */
export function flush(): boolean {
  if (!writer) return true;
  const ok = writer.flushSync();
  return ok && writer.destination() === 'channel';
}

/**
 * Optionally declare the outcome ('succeeded' or 'failed': a run declared failed ends failed
 * even with exit code 0), wait for artifacts still being hashed, and flush.
 */
export async function finish(status?: 'succeeded' | 'failed', message?: string): Promise<void> {
  if (status !== undefined && status !== 'succeeded' && status !== 'failed') throw new TypeError(`finish(status?): status must be 'succeeded' or 'failed' (or left out), got ${describe(status)}`);
  if (status !== undefined) {
    const m = message === undefined ? '' : `,"message":${JSON.stringify(String(message).slice(0, MAX_MESSAGE_CHARS))}`;
    send(`{"type":"status","state":"${status}"${m}${ts()}}`, 'status');
  } else if (message !== undefined) {
    log(message);
  }
  await Promise.allSettled([...pendingArtifacts]);
  flush();
}
