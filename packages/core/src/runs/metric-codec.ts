/**
 * A chunk of metric points for one (run, key), stored as one BLOB:
 *   'WBM1' | n:u32 | step:f64[n] | value:f64[n] | ts:f64[n] | seq:f64[n] | attempt:u32[n]
 * Little-endian (every platform Workbench runs on). f64 keeps NaN and ±Infinity as they are,
 * and steps exact up to 2^53. 36 bytes a point.
 */
export interface MetricColumns {
  step: Float64Array;
  value: Float64Array;
  ts: Float64Array;
  seq: Float64Array;
  attempt: Uint32Array;
}

const MAGIC = 0x314d4257; // 'WBM1' read as little-endian u32
const HEADER = 8;

export function encodeChunk(c: MetricColumns, n = c.step.length): Uint8Array {
  const buf = new ArrayBuffer(HEADER + 36 * n);
  const head = new Uint32Array(buf, 0, 2);
  head[0] = MAGIC;
  head[1] = n;
  let off = HEADER;
  for (const col of [c.step, c.value, c.ts, c.seq] as const) {
    new Float64Array(buf, off, n).set(col.subarray(0, n));
    off += 8 * n;
  }
  new Uint32Array(buf, off, n).set(c.attempt.subarray(0, n));
  return new Uint8Array(buf);
}

export function decodeChunk(bytes: Uint8Array): MetricColumns {
  // SQLite hands back Buffers that may sit at any offset of a shared pool; typed f64 views
  // need 8-byte alignment, so copy when the view is misaligned.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  const buf = aligned.buffer;
  const base = aligned.byteOffset;
  const head = new Uint32Array(buf, base, 2);
  if (head[0] !== MAGIC) throw new Error('metric chunk: bad magic');
  const n = head[1]!;
  if (aligned.byteLength !== HEADER + 36 * n) throw new Error('metric chunk: bad length');
  let off = base + HEADER;
  const f = (): Float64Array => {
    const a = new Float64Array(buf, off, n);
    off += 8 * n;
    return a;
  };
  const step = f();
  const value = f();
  const ts = f();
  const seq = f();
  const attempt = new Uint32Array(buf, off, n);
  return { step, value, ts, seq, attempt };
}

export function allocColumns(n: number): MetricColumns {
  return { step: new Float64Array(n), value: new Float64Array(n), ts: new Float64Array(n), seq: new Float64Array(n), attempt: new Uint32Array(n) };
}

export function concatColumns(parts: MetricColumns[]): MetricColumns {
  const n = parts.reduce((s, p) => s + p.step.length, 0);
  const out = allocColumns(n);
  let off = 0;
  for (const p of parts) {
    out.step.set(p.step, off);
    out.value.set(p.value, off);
    out.ts.set(p.ts, off);
    out.seq.set(p.seq, off);
    out.attempt.set(p.attempt, off);
    off += p.step.length;
  }
  return out;
}

/**
 * Decode many chunks straight into one set of columns: one copy per column per chunk and no
 * intermediate arrays (reading a 1M-point series is dominated by copying otherwise).
 */
export function decodeChunks(chunks: Uint8Array[]): MetricColumns {
  const counts = chunks.map((b) => {
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (b.byteLength < HEADER || view.getUint32(0, true) !== MAGIC) throw new Error('metric chunk: bad magic');
    const n = view.getUint32(4, true);
    if (b.byteLength !== HEADER + 36 * n) throw new Error('metric chunk: bad length');
    return n;
  });
  const total = counts.reduce((a, b) => a + b, 0);
  const out = allocColumns(total);
  const targets = [out.step, out.value, out.ts, out.seq].map((a) => new Uint8Array(a.buffer));
  const attempts = new Uint8Array(out.attempt.buffer);
  let at = 0;
  for (const [i, b] of chunks.entries()) {
    const n = counts[i]!;
    let off = HEADER;
    for (const t of targets) {
      t.set(b.subarray(off, off + 8 * n), 8 * at);
      off += 8 * n;
    }
    attempts.set(b.subarray(off, off + 4 * n), 4 * at);
    at += n;
  }
  return out;
}
