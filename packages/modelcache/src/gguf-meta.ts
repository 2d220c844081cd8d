import { fileTypeName, metaNumber, metaString, readGguf } from '@workbench/gguf';
import type { GgufReader } from './meta.js';

/**
 * Architecture, parameter count and quantization from a GGUF header (never the tensor data);
 * the parameter count is summed from tensor shapes, which every GGUF has.
 */
export const readGgufMeta: GgufReader = async (file) => {
  const g = await readGguf(file, { skipArraysLongerThan: 0 });
  const architecture = metaString(g.metadata, 'general.architecture');
  const parameters = g.tensors.reduce((s, t) => s + t.elements, 0);
  const ft = metaNumber(g.metadata, 'general.file_type');
  let quantization = ft !== undefined ? fileTypeName(ft) : undefined;
  if (!quantization) {
    // No file type: name it after the type holding the most bytes.
    const by = new Map<string, number>();
    for (const t of g.tensors) by.set(t.typeName, (by.get(t.typeName) ?? 0) + t.bytes);
    quantization = [...by].sort((a, b) => b[1] - a[1])[0]?.[0];
  }
  return { ...(architecture ? { architecture } : {}), ...(parameters > 0 ? { parameters } : {}), ...(quantization ? { quantization } : {}) };
};
