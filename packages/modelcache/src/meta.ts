import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import type { Model, ModelFile, ModelMeta } from './types.js';

/** Headers above this are refused: a hostile file must not make us allocate gigabytes. */
const MAX_SAFETENSORS_HEADER = 100 << 20;

export interface SafetensorsInfo {
  parameters: number;
  dtypes: string[];
}

/** Read a safetensors file's JSON header: tensor shapes and dtypes, no tensor data. */
export function readSafetensorsHeader(file: string): SafetensorsInfo {
  const fd = openSync(file, 'r');
  try {
    const lenBuf = Buffer.alloc(8);
    if (readSync(fd, lenBuf, 0, 8, 0) !== 8) throw new Error('shorter than its 8-byte header length');
    const len = lenBuf.readBigUInt64LE(0);
    if (len === 0n || len > BigInt(MAX_SAFETENSORS_HEADER)) throw new Error(`header length ${len} is out of range`);
    const buf = Buffer.alloc(Number(len));
    if (readSync(fd, buf, 0, buf.length, 8) !== buf.length) throw new Error('header is cut short');
    const header = JSON.parse(buf.toString('utf8')) as Record<string, { dtype?: unknown; shape?: unknown }>;
    if (!header || typeof header !== 'object' || Array.isArray(header)) throw new Error('header is not a JSON object');
    let parameters = 0;
    const dtypes = new Set<string>();
    for (const [name, t] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      if (!t || typeof t.dtype !== 'string' || !Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) throw new Error(`tensor ${name} is malformed`);
      parameters += (t.shape as number[]).reduce((a, b) => a * b, 1);
      dtypes.add(t.dtype);
    }
    return { parameters, dtypes: [...dtypes].sort() };
  } finally {
    closeSync(fd);
  }
}

/** 1_235_814_400 → "1.2B": the size label people use, and a grouping key that forgives rounding. */
export function parameterLabel(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toPrecision(2).replace(/\.0$/, '')}B`;
  if (n >= 1e6) return `${Math.round(n / 1e6)}M`;
  if (n >= 1e3) return `${Math.round(n / 1e3)}K`;
  return String(n);
}

export type GgufReader = (file: string) => Promise<{ architecture?: string; parameters?: number; quantization?: string }>;

export type MetaCache = Map<string, ModelMeta>;
const cacheKey = (f: ModelFile) => `${f.dev}:${f.ino}:${f.size}:${f.mtimeNs}`;

/**
 * Architecture, parameter count and quantization of each model, from GGUF metadata or the
 * safetensors header plus config.json. Read once per file version (the cache is keyed like the
 * hash cache); unreadable headers leave the fields empty.
 */
export async function readModelMeta(models: Model[], cache: MetaCache, readGguf: GgufReader | null): Promise<void> {
  for (const m of models) {
    if (m.format === 'gguf') {
      const main = m.files.filter((f) => f.format === 'gguf').sort((a, b) => b.size - a.size)[0];
      if (!main) continue;
      const k = cacheKey(main);
      let meta = cache.get(k);
      if (!meta && readGguf) {
        try {
          const g = await readGguf(main.blobPath);
          meta = {
            ...(g.architecture ? { architecture: g.architecture } : {}),
            ...(g.parameters ? { parameters: parameterLabel(g.parameters) } : {}),
            ...(g.quantization ? { quantization: g.quantization } : {}),
          };
        } catch {
          meta = {};
        }
        cache.set(k, meta);
      }
      if (meta) m.meta = withFamily(meta);
    } else if (m.format === 'safetensors') {
      const shards = m.files.filter((f) => f.format === 'safetensors');
      const k = shards.map(cacheKey).sort().join('|');
      let meta = cache.get(k);
      if (!meta) {
        meta = {};
        try {
          let parameters = 0;
          const dtypes = new Set<string>();
          for (const s of shards) {
            const info = readSafetensorsHeader(s.blobPath);
            parameters += info.parameters;
            info.dtypes.forEach((d) => dtypes.add(d));
          }
          meta.parameters = parameterLabel(parameters);
          meta.quantization = [...dtypes].join('+');
          const config = m.files.find((f) => f.name === 'config.json' && f.size < 1 << 20);
          if (config) {
            const c = JSON.parse(readFileSync(config.blobPath, 'utf8')) as { model_type?: unknown };
            if (typeof c.model_type === 'string') meta.architecture = c.model_type;
          }
        } catch {
          // A malformed header leaves the model without metadata; the listing still shows it.
        }
        cache.set(k, meta);
      }
      m.meta = withFamily(meta);
    }
  }
}

function withFamily(meta: ModelMeta): ModelMeta {
  return meta.architecture && meta.parameters ? { ...meta, family: `${meta.architecture.toLowerCase()} ${meta.parameters}` } : meta;
}
