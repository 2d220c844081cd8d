import { architecture, fileTypeName, isArraySummary, metaNumber, metaString, readGguf, type GgufValue } from '@workbench/gguf';
import type { ModelEntry } from '../engine/types.js';

/** What Ollama's /api/tags, /api/ps and /api/show say about a model, read from its GGUF header. */
export interface ModelDetails {
  parent_model: string;
  format: 'gguf';
  family: string;
  families: string[];
  parameter_size: string;
  quantization_level: string;
}

export interface ModelFacts {
  details: ModelDetails;
  /** Metadata with long arrays (the vocabulary) left out, as Ollama does without `verbose`. */
  modelInfo: Record<string, unknown>;
  chatTemplate: string | undefined;
  architecture: string;
  contextLength: number | undefined;
  parameterCount: number;
  /** An embedding-only model (BERT-style) cannot generate. */
  embeddingOnly: boolean;
}

const cache = new Map<string, Promise<ModelFacts>>();

export function modelFacts(entry: ModelEntry): Promise<ModelFacts> {
  let p = cache.get(entry.digest);
  if (!p) {
    p = readFacts(entry.path);
    p.catch(() => cache.delete(entry.digest));
    cache.set(entry.digest, p);
  }
  return p;
}

async function readFacts(file: string): Promise<ModelFacts> {
  const g = await readGguf(file);
  const arch = architecture(g.metadata);
  const parameterCount = g.tensors.reduce((n, t) => n + t.elements, 0);
  const fileType = metaNumber(g.metadata, 'general.file_type');
  const modelInfo: Record<string, unknown> = { 'general.parameter_count': parameterCount };
  for (const [k, v] of Object.entries(g.metadata)) {
    if (k === 'tokenizer.chat_template') continue;
    modelInfo[k] = isArraySummary(v) ? null : plain(v);
  }
  return {
    details: {
      parent_model: '',
      format: 'gguf',
      family: arch,
      families: [arch],
      parameter_size: parameterSize(parameterCount),
      quantization_level: (fileType === undefined ? undefined : fileTypeName(fileType))?.replace(/^(MOSTLY|ALL)_/, '') ?? 'unknown',
    },
    modelInfo,
    chatTemplate: metaString(g.metadata, 'tokenizer.chat_template'),
    architecture: arch,
    contextLength: metaNumber(g.metadata, `${arch}.context_length`),
    parameterCount,
    embeddingOnly: ['bert', 'nomic-bert', 'jina-bert-v2'].includes(arch),
  };
}

function plain(v: GgufValue): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

/** "7.6B", "494M", "1.2M" — the way Ollama writes parameter counts. */
export function parameterSize(n: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [size, unit] of units) if (n >= size) return `${(n / size).toFixed(n / size >= 100 ? 0 : 1).replace(/\.0$/, '')}${unit}`;
  return String(n);
}
