import { defineConfig } from 'vitest/config';

// Tests import sibling packages from their TypeScript sources (the `wb-source` export
// condition), so a change in core is seen by server tests without a rebuild.
export default defineConfig({
  resolve: { conditions: ['wb-source'] },
  ssr: { resolve: { conditions: ['wb-source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
