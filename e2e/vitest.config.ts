import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Browser tests: real `wb serve` processes, real runs, Debian's Chromium driven by
// playwright-core. Needs `npm run build` (the CLI bundle) and `npm run build -w @workbench/web`.
// WB_E2E_SHOTS=1 runs the screenshot helper instead (development only).
export default defineConfig({
  root,
  test: {
    include: process.env.WB_E2E_SHOTS ? ['e2e/**/*.shots.ts'] : ['e2e/**/*.e2e.test.ts'],
    globalSetup: ['e2e/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
  },
});
