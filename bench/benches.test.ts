import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

// The benchmarks must keep running as the code changes. This runs each in its quick mode and
// checks it reports its figures; it asserts no speed (benchmarks are for measuring, not tests).
const here = path.dirname(fileURLToPath(import.meta.url));

test('every benchmark runs in quick mode and prints its figures as JSON', () => {
  const r = spawnSync(process.execPath, [path.join(here, 'run-all.mjs'), '--quick'], {
    encoding: 'utf8',
    env: { ...process.env, WB_BENCH_BLOB_MB: '32' },
    timeout: 240_000,
  });
  expect(r.stderr).not.toMatch(/failed/);
  expect(r.status).toBe(0);
  const reports = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const byName = Object.fromEntries(reports.map((x) => [x.bench as string, x]));
  expect(Object.keys(byName).sort()).toEqual(
    ['blob-import', 'cli-startup', 'llm-collector', 'folder-fingerprint', 'gguf-read', 'log-latency', 'metrics-ingest-direct', 'metrics-ingest-protocol', 'run-records', 'runs-list', 'series-downsample', 'serve-model', 'export', 'modelcache', 'web-components', 'web-runs-page', 'planner', 'llm-serve'].sort(),
  );
  expect(byName['metrics-ingest-direct']!.pointsPerSecond).toBeGreaterThan(0);
  expect(byName['metrics-ingest-protocol']!.pointsPerSecondEndToEnd).toBeGreaterThan(0);
  expect(byName['folder-fingerprint']!.recheckFilesHashed).toBe(0);
  expect((byName['log-latency']!.serverSupervised as { lines: number }).lines).toBeGreaterThan(0);
  expect(byName['series-downsample']!.keptPoints).toBeLessThanOrEqual(2000);
  expect(byName['llm-collector']!.samples).toBeGreaterThan(0);
  expect((byName['web-components']!.chart as { renderMsMedian: number }).renderMsMedian).toBeGreaterThan(0);
  expect((byName['web-runs-page']!.bundle as { gzipKB: number }).gzipKB).toBeGreaterThan(0);
  expect(byName['modelcache']!.hashedFiles).toBeGreaterThan(0);
  expect(byName['gguf-read']!.tensors).toBe(723);
  expect((byName['serve-model']!.batch256 as { http: { requestsPerSecond: number } }).http.requestsPerSecond).toBeGreaterThan(0);
  expect(byName['export']!.peakRssMB).toBeGreaterThan(0);
  expect((byName['llm-serve']!.ollamaApi as { tokens: number }).tokens).toBeGreaterThan(0);
}, 300_000);
