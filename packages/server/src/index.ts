export { startServer, type StartServerOptions, type RunningServer } from './start.js';
export { buildApp, createLogger, type BuildAppOptions, type WorkbenchInternals } from './app.js';
export type { App, ServerContext } from './context.js';
export { StreamHub, readMetricPage, HIGH_WATER_BYTES } from './stream.js';
export { RunQueue } from './run-queue.js';
export { isAllowedHost, tokenMatches, redactUrl } from './security.js';
export { mapError } from './errors.js';
export { defaultWebDir, resolveWebDir } from './static.js';
export { serverVersion } from './version.js';
