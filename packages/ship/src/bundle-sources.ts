import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findUp } from '@workbench/core';

// The bundle's server files are plain JavaScript copied verbatim into every export; they are
// found from the checkout (also when this code runs from the bundled CLI).
const root = findUp(import.meta.url, path.join('packages', 'ship', 'bundle', 'server.mjs')) ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const bundleSourceDir = process.env.WB_SHIP_BUNDLE_DIR ?? path.join(root, 'packages', 'ship', 'bundle');

/** The Node server of an ONNX bundle: the server and the prediction core's modules. */
export const NODE_SERVER_FILES = ['binary-tensors.mjs', 'json-rows.mjs', 'predictor.mjs', 'request-error.mjs', 'server.mjs'] as const;

export function bundleSource(name: (typeof NODE_SERVER_FILES)[number] | 'server.py' | 'pickle_worker.py'): Buffer {
  return readFileSync(path.join(bundleSourceDir, name));
}

/** The onnxruntime-node version this checkout runs, pinned in bundles so they predict the same. */
export function onnxruntimeVersion(): string {
  const marker = path.join('node_modules', 'onnxruntime-node', 'package.json');
  const dir = findUp(import.meta.url, marker);
  if (!dir) return '^1.30.0';
  return (JSON.parse(readFileSync(path.join(dir, marker), 'utf8')) as { version: string }).version;
}
