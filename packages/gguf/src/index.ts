/**
 * @workbench/gguf — Workbench's one GGUF implementation: a bounded header reader (metadata and
 * tensor infos, never tensor data), the ggml type table, a streaming GGUF v3 writer, small
 * quantizers and a builder of random-weight test models that llama.cpp runs.
 */
export { GgufError, type GgufErrorCode } from './errors.js';
export {
  GGML_TYPES,
  GgmlTypeId,
  LLAMA_FILE_TYPES,
  LlamaFileType,
  bitsPerWeight,
  fileTypeName,
  ggmlType,
  ggmlTypeName,
  tensorBytes,
  tensorElements,
  type GgmlType,
  type GgmlTypeInfo,
  type GgmlTypeName,
  type GgmlTypeRef,
} from './ggml-types.js';
export {
  GGUF_VALUE_TYPES,
  isArraySummary,
  type GgufArraySummary,
  type GgufMetaType,
  type GgufScalarTypeName,
  type GgufValue,
  type GgufValueTypeName,
} from './values.js';
export {
  parseGguf,
  readGguf,
  type GgufFile,
  type GgufHeader,
  type GgufParseOptions,
  type GgufReadOptions,
  type GgufTensorInfo,
} from './reader.js';
export { archKey, archNumber, architecture, metaNumber, metaString, metadataToJson, type GgufJsonValue } from './meta.js';
export {
  writeGguf,
  type GgufInputValue,
  type GgufTensorData,
  type GgufTensorInput,
  type GgufTypedValue,
  type GgufWriteInput,
  type GgufWriteResult,
} from './writer.js';
export {
  QUANT_GGML_TYPE,
  bf16ToF32,
  dequantize,
  dequantizeQ4_0,
  dequantizeQ8_0,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  quantize,
  quantizeQ4_0,
  quantizeQ8_0,
  type QuantType,
} from './quantize.js';
export { TINY_CHAT_TEMPLATE, writeTinyModel, type TinyArchitecture, type TinyModel, type TinyModelOptions } from './tiny-model.js';
