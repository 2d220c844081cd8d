/** Where a model lives. Each kind has its own on-disk layout and owning tool. */
export type StoreKind = 'huggingface' | 'ollama' | 'lmstudio' | 'llamacpp' | 'node-llama-cpp' | 'folder';

export const storeKinds: readonly StoreKind[] = ['huggingface', 'ollama', 'lmstudio', 'llamacpp', 'node-llama-cpp', 'folder'];

/** The tool that loads models from a store by default. */
export const storeOwner: Record<StoreKind, string> = {
  huggingface: 'huggingface',
  ollama: 'ollama',
  lmstudio: 'lm-studio',
  llamacpp: 'llama.cpp',
  'node-llama-cpp': 'node-llama-cpp',
  folder: '',
};

export type Format = 'gguf' | 'safetensors' | 'other';

export interface Store {
  kind: StoreKind;
  /** The folder scanned. */
  root: string;
  /** Where the path came from: `env HF_HUB_CACHE`, `config`, `default`, … */
  origin: string;
  exists: boolean;
}

/** One name a model's files are reached by, and the physical file behind it. */
export interface ModelFile {
  /** The path inside the model (snapshot-relative for HF, layer media type for Ollama). */
  name: string;
  /** The path the owning tool opens (a snapshot symlink, a manifest-named blob, a plain file). */
  path: string;
  /** The regular file holding the bytes (the blob behind a symlink; same as path otherwise). */
  blobPath: string;
  size: number;
  format: Format;
  /** SHA-256 of the content, when known (blob names, the hash cache), else null until hashed. */
  sha256: string | null;
  /** Whether sha256 was taken from a store's blob name (trusted, verified on demand). */
  digestFromName: boolean;
  dev: string;
  ino: string;
  /** `dev:ino`, made once per file: every grouping keys on it. */
  inode: string;
  nlink: number;
  mode: number;
  mtimeNs: string;
}

export interface Model {
  /** Stable id: `<source>:<name>[@revision]`. */
  id: string;
  source: StoreKind;
  storeRoot: string;
  name: string;
  /** HF commit / Ollama tag / null. */
  revision: string | null;
  /** The folder (HF repo, LM Studio repo) or manifest file that makes this a model. */
  location: string;
  files: ModelFile[];
  size: number;
  format: Format;
  /** Architecture, parameters, quantization: from GGUF or safetensors headers, where read. */
  meta: ModelMeta;
  usedBy: string[];
}

export interface ModelMeta {
  architecture?: string;
  parameters?: string;
  quantization?: string;
  /** A normalized family key, for "same model, other format" grouping. */
  family?: string;
}

/** Something a scanner found wrong; reported, never fatal. */
export interface ScanProblem {
  kind:
    | 'dangling-link'
    | 'missing-blob'
    | 'no-snapshot'
    | 'bad-manifest'
    | 'zero-byte'
    | 'unreadable'
    | 'digest-mismatch'
    | 'not-a-store';
  path: string;
  message: string;
  model?: string;
}

export interface ScanIndex {
  version: 1;
  scannedAt: string;
  durationMs: number;
  stores: Store[];
  models: Model[];
  problems: ScanProblem[];
  filesHashed: number;
  bytesHashed: number;
  /** Wall time of the hashing itself (reads and digests), for throughput figures. */
  hashMs: number;
}
