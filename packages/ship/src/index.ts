export { exportZip, exportDocker, type ExportSource, type ExportResult } from './export.js';
export { verifyExport, type VerifyReport, type FileCheck } from './verify.js';
export { startModelServer, type ModelServer } from './serve.js';
export { inferSignature } from './inspect.js';
export { bundleManifestSchema, type BundleManifest, MANIFEST } from './manifest.js';
export { bundleSourceDir } from './bundle-sources.js';
export { ModelHost, MAX_BODY_BYTES, type HostedModelEntry } from '../bundle/predictor.mjs';
export { PickleWorker } from './pickle-worker.js';
