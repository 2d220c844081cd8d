import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tempDir } from '@workbench/core';
import { startServer, type RunningServer } from '@workbench/server';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchClient } from './index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const node = process.execPath;

/**
 * Scripts import the run logger from its current source, compiled to a plain .mjs (it uses
 * only node: modules), so the tests never depend on a stale build.
 */
let lib: { dir: string; dispose: () => Promise<void> };
let runModule: string;

beforeAll(async () => {
  lib = await tempDir('wb-sdk-run-');
  const src = await readFile(path.join(here, 'run.ts'), 'utf8');
  const out = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  runModule = path.join(lib.dir, 'run.mjs');
  await writeFile(runModule, out);
});
afterAll(async () => {
  await lib.dispose();
});

const importLine = () => `import * as wb from ${JSON.stringify(pathToFileURL(runModule).href)};`;

function exec(cmd: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; fd3?: 'closed' }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe', ...(opts.fd3 ? (['pipe'] as const) : [])] });
    if (opts.fd3 === 'closed') (child.stdio[3] as NodeJS.ReadableStream & { destroy(): void }).destroy();
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('@workbench/sdk/run inside a supervised run', () => {
  let server: RunningServer;
  let ws: { dir: string; dispose: () => Promise<void> };
  let client: WorkbenchClient;
  beforeAll(async () => {
    ws = await tempDir('wb-sdk-runws-');
    server = await startServer({ workspaceDir: ws.dir, port: 0, webDir: null, handleSignals: false, quiet: true });
    client = new WorkbenchClient({ baseUrl: server.url, token: server.token });
    await client.createProject('ts');
  });
  afterAll(async () => {
    await server.close();
    await ws.dispose();
  });

  it('sends params, tags, metrics (NaN and ±Infinity kept), progress, logs and artifacts', async () => {
    const work = await tempDir('wb-sdk-script-');
    try {
      const bytes = randomBytes(200_001);
      await writeFile(path.join(work.dir, 'model.bin'), bytes);
      const script = path.join(work.dir, 'train.mjs');
      await writeFile(
        script,
        `${importLine()}
        if (!wb.inRun() || !wb.runId()) throw new Error('not in a run');
        console.log('params', JSON.stringify(wb.params()));
        wb.logParams({ lr: 0.01, layers: 3, name: 'mlp', nested: { a: [1, 2] } });
        wb.logParam('big', 10n);
        wb.setTag('stage', 'test');
        for (let i = 0; i < 1000; i++) wb.logMetric('loss', 1 / (i + 1), i);
        wb.logMetric('weird', NaN, 0);
        wb.logMetric('weird', Infinity, 1);
        wb.logMetric('weird', -Infinity);
        wb.logMetrics({ acc: 0.5, f1: 0.25 }, 0);
        wb.progress(5, 10);
        wb.log('hello from ts', 'warning');
        const errors = [];
        for (const bad of [() => wb.logMetric('loss', '0.5'), () => wb.logMetric('', 1), () => wb.logMetric('x', 1, -1), () => wb.logMetrics([1]), () => wb.log('x', 'LOUD'), () => wb.progress(NaN)]) {
          try { bad(); errors.push('no error'); } catch (e) { errors.push(e instanceof TypeError ? 'TypeError: ' + e.message : 'other'); }
        }
        console.log(JSON.stringify(errors));
        const sha = await wb.logArtifact('model.bin', { name: 'models/model.bin', kind: 'model' });
        console.log('sha ' + sha);
        await wb.logArtifact('/nope.bin').catch((e) => console.log('artifact error: ' + (e instanceof TypeError)));
        await wb.finish();`,
      );
      const run = await client.startRun({ project: 'ts', command: [node, script], cwd: work.dir, params: { lr: 0.01 } });
      const done = await client.waitForRun(run.id, { timeoutMs: 30_000 });
      const logs = (await client.getLogs(run.id, { limit: 10_000 })).lines;
      expect(done.status, JSON.stringify(logs.map((l) => l.text))).toBe('succeeded');
      const detail = await client.getRun(run.id);
      expect(detail.params).toEqual({ lr: 0.01, layers: 3, name: 'mlp', nested: { a: [1, 2] }, big: 10 });
      expect(detail.tags).toEqual({ stage: 'test' });
      expect(detail.progress).toEqual({ current: 5, total: 10 });
      const summaries = Object.fromEntries((await client.getMetrics(run.id)).map((m) => [m.key, m]));
      expect(summaries.loss).toMatchObject({ count: 1000, last: 0.001, lastStep: 999, min: 0.001, max: 1 });
      expect(summaries.acc).toMatchObject({ count: 1, last: 0.5 });
      expect(summaries.f1).toMatchObject({ count: 1, last: 0.25 });
      const weird = await client.getMetricSeries(run.id, 'weird', { all: true });
      expect(weird.points.map((p) => [p.step, p.value])).toEqual([
        [0, 'NaN'],
        [1, 'Infinity'],
        [2, '-Infinity'],
      ]);
      expect(logs.find((l) => l.text === 'hello from ts')).toMatchObject({ stream: 'event', level: 'WARN' });
      // No protocol warning: every line the logger wrote was valid.
      expect(logs.filter((l) => l.stream === 'event' && l.text.startsWith('ignored event line'))).toEqual([]);
      const out = logs.filter((l) => l.stream === 'stdout').map((l) => l.text);
      expect(out[0]).toBe('params {"lr":0.01}');
      const errs = JSON.parse(out[1]!) as string[];
      expect(errs).toHaveLength(6);
      for (const e of errs) expect(e).toMatch(/^TypeError: /);
      expect(errs[0]).toContain('must be a number');
      expect(errs[0]).toContain('Number(x)');
      const sha = createHash('sha256').update(bytes).digest('hex');
      expect(out).toContain(`sha ${sha}`);
      expect(out).toContain('artifact error: true');
      expect(detail.artifacts).toMatchObject([{ name: 'models/model.bin', kind: 'model', sha256: sha, size: bytes.length }]);
    } finally {
      await work.dispose();
    }
  });

  it('declares failure with finish("failed"), and keeps up with 200,000 metric calls without holding the loop', async () => {
    const work = await tempDir('wb-sdk-script-');
    try {
      const script = path.join(work.dir, 'fast.mjs');
      await writeFile(
        script,
        `${importLine()}
        let worst = 0;
        const t0 = performance.now();
        for (let i = 0; i < 200000; i++) {
          const a = performance.now();
          wb.logMetric('m', i, i);
          const d = performance.now() - a;
          if (d > worst) worst = d;
        }
        console.log(JSON.stringify({ total: performance.now() - t0, worst }));
        await wb.finish('failed', 'diverged');`,
      );
      const run = await client.startRun({ project: 'ts', command: [node, script], cwd: work.dir });
      const done = await client.waitForRun(run.id, { timeoutMs: 60_000 });
      expect(done).toMatchObject({ status: 'failed', statusReason: 'diverged', exitCode: 0 });
      const summaries = await client.getMetrics(run.id);
      expect(summaries).toMatchObject([{ key: 'm', count: 200_000, last: 199_999, lastStep: 199_999 }]);
      const timing = JSON.parse((await client.getLogs(run.id, { stream: 'stdout' })).lines[0]!.text) as { total: number; worst: number };
      console.log(`200k logMetric calls: ${timing.total.toFixed(0)} ms in all, the slowest call ${timing.worst.toFixed(1)} ms`);
      expect(timing.worst).toBeLessThan(500);
    } finally {
      await work.dispose();
    }
  });
});

describe('@workbench/sdk/run outside a run', () => {
  it('appends to ./wb-offline/<time>-<pid>.jsonl and says so once on stderr', async () => {
    const work = await tempDir('wb-sdk-offline-');
    try {
      const script = path.join(work.dir, 'offline.mjs');
      await writeFile(
        script,
        `${importLine()}
        if (wb.inRun()) throw new Error('in a run?');
        wb.logParam('lr', 0.1);
        for (let i = 0; i < 10; i++) wb.logMetric('loss', i === 3 ? NaN : i, i);
        setTimeout(() => { wb.log('later'); wb.logMetrics({ a: Infinity }); }, 20);`,
      );
      const env = { ...process.env };
      for (const k of ['WB_EVENT_FD', 'WB_RUN_ID', 'WB_OUTPUT_DIR']) delete env[k];
      const r = await exec([node, script], { cwd: work.dir, env });
      expect(r.code, r.stderr).toBe(0);
      const files = await readdir(path.join(work.dir, 'wb-offline'));
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^\d{8}-\d{6}-\d+\.jsonl$/);
      expect(r.stderr.match(/not running under a Workbench supervisor/g)).toHaveLength(1);
      expect(r.stderr).toContain(files[0]);
      const events = (await readFile(path.join(work.dir, 'wb-offline', files[0]!), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(events).toHaveLength(13);
      expect(events[0]).toMatchObject({ type: 'param', key: 'lr', value: 0.1 });
      expect(events[4]).toMatchObject({ type: 'metric', key: 'loss', value: 'NaN', step: 3 });
      expect(events[11]).toMatchObject({ type: 'log', level: 'INFO', message: 'later' });
      expect(events[12]).toMatchObject({ type: 'metrics', values: { a: 'Infinity' } });
      expect(typeof events[0]!.ts).toBe('number');
    } finally {
      await work.dispose();
    }
  });

  it('spools to $WB_OUTPUT_DIR/events-spool.jsonl when the channel is gone', async () => {
    const work = await tempDir('wb-sdk-spool-');
    try {
      const script = path.join(work.dir, 'orphan.mjs');
      await writeFile(
        script,
        `${importLine()}
        setTimeout(() => {
          for (let i = 0; i < 5; i++) wb.logMetric('loss', i, i);
          wb.log('still here');
        }, 50);`,
      );
      const r = await exec([node, script], { cwd: work.dir, env: { ...process.env, WB_EVENT_FD: '3', WB_RUN_ID: 'r', WB_OUTPUT_DIR: work.dir }, fd3: 'closed' });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('events-spool.jsonl');
      const lines = (await readFile(path.join(work.dir, 'events-spool.jsonl'), 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(6);
      expect(JSON.parse(lines[5]!)).toMatchObject({ type: 'log', message: 'still here' });
    } finally {
      await work.dispose();
    }
  });
});
