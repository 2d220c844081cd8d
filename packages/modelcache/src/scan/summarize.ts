import type { Format, Model, ModelFile } from '../types.js';

/** Fill in a model's size and main format from its files. */
export function summarize(m: Omit<Model, 'size' | 'format' | 'meta' | 'usedBy'>): Model {
  const seen = new Set<string>();
  let size = 0;
  const bytesBy: Record<Format, number> = { gguf: 0, safetensors: 0, other: 0 };
  for (const f of m.files) {
    // Two names for one blob (two snapshot entries, two tags) take the space once.
    if (seen.has(f.inode)) continue;
    seen.add(f.inode);
    size += f.size;
    bytesBy[f.format] += f.size;
  }
  const format: Format = bytesBy.gguf > 0 && bytesBy.gguf >= bytesBy.safetensors ? 'gguf' : bytesBy.safetensors > 0 ? 'safetensors' : 'other';
  return { ...m, size, format, meta: {}, usedBy: [] };
}

export function uniqueBlobs(files: ModelFile[]): ModelFile[] {
  const seen = new Set<string>();
  return files.filter((f) => (seen.has(f.blobPath) ? false : (seen.add(f.blobPath), true)));
}
