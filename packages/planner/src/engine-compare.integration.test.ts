import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tempDir } from '@workbench/core';
import { ENGINE_CASES, engineHarness, LOG_RESOLUTION_BYTES, type EngineHarness } from './testing/engine-compare.js';

// The heart of the planner's claim: for real llama.cpp loads of GGUF files of several
// architectures, weight types and settings, every component it allocates is predicted
// within 2 % and the total within 3 %.
let dir: { dir: string; dispose(): Promise<void> };
let harness: EngineHarness;
beforeAll(async () => {
  dir = await tempDir();
  harness = await engineHarness(dir.dir);
}, 60_000);
afterAll(async () => {
  await harness?.dispose();
  await dir?.dispose();
});

describe('planner vs llama.cpp (CPU) on real loads', () => {
  for (const c of ENGINE_CASES) {
    test(c.name, async () => {
      const r = await harness.run(c);
      const by = Object.fromEntries(r.rows.map((x) => [x.component, x]));
      // Weights: exact against the engine's own count of tensor bytes, and the mapped buffer within 2 %.
      expect(r.plan.totals.weights).toBe(r.modelSizeBytes);
      for (const comp of ['weights', 'kv', 'compute', 'output'] as const) {
        const row = by[comp]!;
        expect(row, `${comp} reported`).toBeDefined();
        const tolerance = Math.max(0.02 * row.measured, LOG_RESOLUTION_BYTES);
        expect(Math.abs(row.predicted - row.measured), `${comp}: predicted ${row.predicted}, llama.cpp ${row.measured}`).toBeLessThanOrEqual(tolerance);
      }
      expect(Math.abs(by.total!.errorPct), 'total').toBeLessThanOrEqual(3);
      // Planning from the config.json alone (no file) predicts the same allocation.
      expect(r.configPlan.totals).toEqual(r.plan.totals);
    }, c.slow ? 240_000 : 60_000);
  }
});
