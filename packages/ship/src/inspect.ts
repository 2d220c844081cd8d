import type { ModelFormat, ModelSignature } from '@workbench/api';
import { UserError } from '@workbench/core';
import { signatureFromSession } from '../bundle/predictor.mjs';

/**
 * A signature read from the model file itself when the run logged none: an ONNX graph
 * declares its inputs' names, types and shapes (but not the columns behind them).
 */
export async function inferSignature(file: string, format: ModelFormat): Promise<ModelSignature | null> {
  if (format !== 'onnx') return null;
  const ort = await import('onnxruntime-node');
  let session;
  try {
    session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (err) {
    throw new UserError('INVALID_INPUT', `the artifact is not a model onnxruntime can load: ${(err as Error).message.slice(0, 300)}`, { hint: 'register the .onnx file the run exported' });
  }
  try {
    return signatureFromSession(session);
  } finally {
    await session.release();
  }
}
