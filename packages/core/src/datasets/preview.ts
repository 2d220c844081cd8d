import type { DatasetPreview } from '@workbench/api';
import { parse as parseCsv } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer } from 'hyparquet';
import { fromSystemError, invalid, UserError } from '../errors.js';

export type PreviewFormat = DatasetPreview['format'];

export const DEFAULT_PREVIEW_ROWS = 20;
export const MAX_PREVIEW_ROWS = 1000;
/** Text formats: read at most this much of the file. */
export const PREVIEW_MAX_BYTES = 4 << 20;
/** Parquet: read at most this much (footer + the column chunks holding the first rows). */
export const PARQUET_PREVIEW_MAX_BYTES = 64 << 20;

const EXTENSIONS: Record<string, PreviewFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
  '.pq': 'parquet',
};

export const SUPPORTED_PREVIEW_HINT = 'previews read .csv, .tsv, .jsonl (or .ndjson) and .parquet files';

/** The preview format a file name implies, or null. */
export function previewFormatOf(name: string): PreviewFormat | null {
  return EXTENSIONS[path.extname(name).toLowerCase()] ?? null;
}

export interface PreviewOptions {
  /** Data rows to return (default 20, at most 1000). */
  limit?: number;
  /** The name shown as `file` and used to detect the format (default: the path's base name). */
  name?: string;
  /** Force a format instead of detecting it from the name. */
  format?: PreviewFormat;
  /** Byte budget for text formats (default 4 MiB); tests lower it. */
  maxBytes?: number;
}

export function checkPreviewLimit(limit: number | undefined): number {
  const n = limit ?? DEFAULT_PREVIEW_ROWS;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PREVIEW_ROWS) {
    throw invalid(`preview limit must be a whole number from 1 to ${MAX_PREVIEW_ROWS}, not ${String(limit)}`);
  }
  return n;
}

/**
 * The first rows of a CSV, TSV, JSON Lines or Parquet file. Bounded whatever the file: text
 * formats read at most `maxBytes` (a record cut by that limit is dropped and the preview is
 * marked truncated), Parquet reads only the footer and the row groups holding the first rows.
 */
export async function previewFile(absPath: string, opts: PreviewOptions = {}): Promise<DatasetPreview> {
  const limit = checkPreviewLimit(opts.limit);
  const name = opts.name ?? path.basename(absPath);
  const format = opts.format ?? previewFormatOf(name);
  if (!format) {
    throw new UserError('INVALID_INPUT', `cannot preview '${name}': unknown format`, { hint: SUPPORTED_PREVIEW_HINT });
  }
  let size: number;
  try {
    const st = await stat(absPath);
    if (!st.isFile()) throw invalid(`${absPath} is not a regular file`);
    size = st.size;
  } catch (err) {
    throw fromSystemError(err, `previewing ${name}`);
  }
  const maxBytes = Math.max(1, opts.maxBytes ?? PREVIEW_MAX_BYTES);
  if (format !== 'parquet') await assertText(absPath, name, format);
  switch (format) {
    case 'csv':
    case 'tsv':
      return previewDelimited(absPath, name, format, size, limit, maxBytes);
    case 'jsonl':
      return previewJsonl(absPath, name, size, limit, maxBytes);
    case 'parquet':
      return previewParquet(absPath, name, limit);
  }
}

/**
 * A text preview of a binary file (a gzip or zip renamed .csv, a UTF-16 export) prints screens
 * of garbage: a NUL byte near the start, which UTF-8 text never holds, says it is not text.
 */
async function assertText(file: string, name: string, format: PreviewFormat): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(file, 'r');
    const buf = Buffer.alloc(8192);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    if (buf.subarray(0, bytesRead).includes(0)) {
      throw invalid(`'${name}' is not ${format.toUpperCase()} text: it holds binary bytes (NUL) near the start`, 'it may be compressed (gzip, zip) or saved as UTF-16: previews read plain UTF-8 CSV, TSV and JSON Lines, and Parquet');
    }
  } catch (err) {
    throw fromSystemError(err, `previewing ${name}`);
  } finally {
    await fh?.close().catch(() => {});
  }
}

async function previewDelimited(file: string, name: string, format: 'csv' | 'tsv', size: number, limit: number, maxBytes: number): Promise<DatasetPreview> {
  const cut = size > maxBytes;
  const readLimit = Math.min(size, maxBytes);
  const records: string[][] = [];
  const parser = parseCsv({
    delimiter: format === 'tsv' ? '\t' : ',',
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    // Collect records as they are parsed (synchronously), not through the stream's buffer.
    on_record: (rec: string[]) => {
      records.push(rec);
      return null;
    },
  });
  let failure: unknown = null;
  parser.on('error', (err) => (failure ??= err));
  parser.resume();
  // header + `limit` rows + one more to know there is more
  const enough = () => records.length > limit + 1;
  let fh: FileHandle | undefined;
  try {
    fh = await open(file, 'r');
    const buf = Buffer.allocUnsafe(64 << 10);
    let pos = 0;
    // Bytes after the last line break seen are held back until the next one arrives: when the
    // byte limit cuts the file, the unfinished record is then never parsed at all (a single
    // multi-megabyte line costs a read, not a parse).
    let held: Buffer[] = [];
    while (pos < readLimit && !enough() && failure === null) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, readLimit - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const chunk = Buffer.from(buf.subarray(0, bytesRead));
      const nl = chunk.lastIndexOf(0x0a);
      if (nl < 0) {
        held.push(chunk);
        continue;
      }
      parser.write(Buffer.concat([...held, chunk.subarray(0, nl + 1)]));
      held = nl + 1 < chunk.length ? [chunk.subarray(nl + 1)] : [];
    }
    if (!enough() && failure === null) {
      // The whole file was read: its last line is whole. A cut file's unfinished last line
      // was never given to the parser.
      if (!cut && held.length > 0) parser.write(Buffer.concat(held));
      const done = new Promise<void>((resolve) => {
        parser.once('end', resolve);
        parser.once('error', () => resolve());
        parser.once('close', resolve);
      });
      parser.end();
      await done;
    }
  } catch (err) {
    failure ??= err;
  } finally {
    await fh?.close().catch(() => {});
    parser.destroy();
  }
  if (failure !== null) {
    const code = (failure as { code?: string }).code;
    // A cut inside a quoted field (a line break within quotes) is ours, not the file's.
    if (!(cut && code === 'CSV_QUOTE_NOT_CLOSED')) {
      if (typeof code === 'string' && code.startsWith('CSV_')) {
        throw new UserError('INVALID_INPUT', `'${name}' is not valid ${format.toUpperCase()}: ${(failure as Error).message}`, { hint: 'check the file, or preview another one' });
      }
      throw fromSystemError(failure, `previewing ${name}`);
    }
  }
  const [header, ...rows] = records;
  return {
    format,
    file: name,
    columns: header ?? [],
    rows: rows.slice(0, limit),
    truncated: cut || rows.length > limit,
  };
}

async function previewJsonl(file: string, name: string, size: number, limit: number, maxBytes: number): Promise<DatasetPreview> {
  const cut = size > maxBytes;
  const input = createReadStream(file, { start: 0, end: Math.max(0, Math.min(size, maxBytes) - 1), highWaterMark: 64 << 10 });
  const objects: Array<Record<string, unknown>> = [];
  const columns: string[] = [];
  const seen = new Set<string>();
  let lineNo = 0;
  let more = false;
  const take = (raw: string): boolean => {
    lineNo++;
    const text = (lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw).replace(/\r$/, '');
    if (text.trim() === '') return true;
    if (objects.length >= limit) {
      more = true;
      return false;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new UserError('INVALID_INPUT', `line ${lineNo} of '${name}' is not valid JSON: ${(err as Error).message}`, { hint: 'JSON Lines files hold one JSON value per line' });
    }
    const obj = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
    for (const k of Object.keys(obj)) {
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
    }
    objects.push(obj);
    return true;
  };
  let pending = '';
  let stopped = false;
  try {
    if (size > 0) {
      input.setEncoding('utf8');
      outer: for await (const chunk of input as AsyncIterable<string>) {
        let from = pending.length; // no line break before here
        pending += chunk;
        let start = 0;
        let nl: number;
        while ((nl = pending.indexOf('\n', from)) >= 0) {
          const line = pending.slice(start, nl);
          start = from = nl + 1;
          if (!take(line)) {
            stopped = true;
            break outer;
          }
        }
        pending = pending.slice(start);
      }
      // A last line without a newline is whole at the end of the file, cut short at the limit.
      if (!stopped && !cut && pending !== '') take(pending);
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw fromSystemError(err, `previewing ${name}`);
  } finally {
    input.destroy();
  }
  return {
    format: 'jsonl',
    file: name,
    columns,
    rows: objects.map((o) => columns.map((c) => (c in o ? o[c] : null))),
    truncated: more || (cut && !stopped),
  };
}

/** Counts the bytes a Parquet read asks for and refuses past the budget. */
function budgeted(buf: AsyncBuffer, name: string, budget: number): AsyncBuffer {
  let used = 0;
  return {
    byteLength: buf.byteLength,
    slice(start: number, end?: number) {
      used += (end ?? buf.byteLength) - start;
      if (used > budget) {
        throw new UserError('INVALID_INPUT', `'${name}' is too large to preview: its first rows span more than ${budget >> 20} MiB`, {
          hint: 'Parquet files with smaller row groups (or a page index) preview quickly',
        });
      }
      return buf.slice(start, end);
    },
  };
}

function jsonSafe(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? (Object.is(v, -0) ? 0 : v) : String(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Uint8Array) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(v);
    } catch {
      return '0x' + Buffer.from(v.subarray(0, 64)).toString('hex') + (v.length > 64 ? '…' : '');
    }
  }
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = jsonSafe(x);
    return out;
  }
  return v;
}

async function previewParquet(file: string, name: string, limit: number): Promise<DatasetPreview> {
  const notParquet = (err: unknown) =>
    new UserError('INVALID_INPUT', `'${name}' is not a readable Parquet file: ${(err as Error)?.message ?? String(err)}`, { hint: 'check the file, or preview another one', cause: err });
  let buf: AsyncBuffer;
  try {
    buf = budgeted(await asyncBufferFromFile(file), name, PARQUET_PREVIEW_MAX_BYTES);
  } catch (err) {
    throw fromSystemError(err, `previewing ${name}`);
  }
  try {
    const metadata = await parquetMetadataAsync(buf);
    const columns = parquetSchema(metadata).children.map((c) => c.element.name);
    const total = Number(metadata.num_rows);
    const end = Math.min(limit, total);
    const objects = end > 0 ? await parquetReadObjects({ file: buf, metadata, rowStart: 0, rowEnd: end, useOffsetIndex: true }) : [];
    return {
      format: 'parquet',
      file: name,
      columns,
      rows: objects.slice(0, limit).map((o) => columns.map((c) => jsonSafe((o as Record<string, unknown>)[c]))),
      truncated: total > limit,
    };
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw notParquet(err);
  }
}
