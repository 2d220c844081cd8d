import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { tempDir } from '@workbench/core';
import { wb, wbJson } from './testing/wb.js';

let home: string;
let dispose: () => Promise<void>;
beforeEach(async () => {
  ({ dir: home, dispose } = await tempDir('wb-tpl-'));
  await wb(home, ['project', 'create', 'fraud-detection']);
  // A small, learnable fraud table: fraud when the amount is high at night.
  const rows = ['amount,hour,merchant,is_fraud'];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 300; i++) {
    const amount = Math.round(rnd() * 1000);
    const hour = Math.floor(rnd() * 24);
    const merchant = ['shop', 'fuel', 'online'][i % 3];
    rows.push(`${amount},${hour},${merchant},${amount > 600 && (hour < 6 || hour > 21) ? 1 : 0}`);
  }
  await writeFile(path.join(home, 'transactions.csv'), rows.join('\n') + '\n');
  await wb(home, ['dataset', 'import', path.join(home, 'transactions.csv'), '--project', 'fraud-detection', '--name', 'transactions']);
});
afterEach(async () => dispose());

type RunJson = { id: string; status: string; template: string; params: Record<string, unknown>; metrics: Array<{ key: string; count: number; last: number | null }>; artifacts: Array<{ name: string; kind: string; size: number }> };

describe('templates', () => {
  test('wb template list shows both templates and what they need', async () => {
    const list = await wbJson<Array<{ name: string; requires: string[] }>>(home, ['template', 'list']);
    expect(list.map((t) => t.name)).toEqual(['pytorch-mlp', 'tabular-sklearn']);
    expect(list.find((t) => t.name === 'tabular-sklearn')!.requires).toContain('sklearn');
  });

  test('tabular-sklearn trains on a CSV, logs per-fold metrics and the model', async () => {
    const r = await wb(home, ['run', '--project', 'fraud-detection', '--template', 'tabular-sklearn', '--dataset', 'transactions', '--param', 'target=is_fraud', '--quiet']);
    expect(r.stderr).toContain('succeeded');
    const { runs } = await wbJson<{ runs: Array<{ id: string }> }>(home, ['run', 'list']);
    const run = await wbJson<RunJson>(home, ['run', 'show', runs[0]!.id]);
    expect(run.status).toBe('succeeded');
    expect(run.template).toBe('tabular-sklearn');
    const acc = run.metrics.find((m) => m.key === 'accuracy')!;
    expect(acc.count).toBe(5);
    expect(run.metrics.find((m) => m.key === 'f1')?.count).toBe(5);
    expect(run.metrics.find((m) => m.key === 'cv_accuracy_mean')!.last).toBeGreaterThan(0.8);
    // The pickle and its input signature (model.onnx too where skl2onnx is installed).
    expect(run.artifacts.filter((a) => a.name !== 'model.onnx')).toEqual([expect.objectContaining({ name: 'model.pkl', kind: 'model' }), expect.objectContaining({ name: 'model.schema.json', kind: 'file' })]);
  });

  test('a template without its required param, or with a value out of range, is refused before a run is recorded', async () => {
    const r = await wb(home, ['run', '--project', 'fraud-detection', '--template', 'tabular-sklearn', '--dataset', 'transactions']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--param target=');
    expect((await wbJson<{ total: number }>(home, ['run', 'list'])).total).toBe(0);
    const unknown = await wb(home, ['run', '--project', 'fraud-detection', '--template', 'no-such', '--dataset', 'transactions']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/available: pytorch-mlp, tabular-sklearn/);
    const bad = await wb(home, ['run', '--project', 'fraud-detection', '--template', 'pytorch-mlp', '--dataset', 'transactions', '--param', 'target=is_fraud', '--param', 'epochs=-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--param epochs must be a whole number ≥ 1 and ≤ 100000, not -1');
    expect((await wbJson<{ total: number }>(home, ['run', 'list'])).total).toBe(0);
  });

  test('pytorch-mlp trains per epoch and exports ONNX', async () => {
    const r = await wb(home, ['run', '--project', 'fraud-detection', '--template', 'pytorch-mlp', '--dataset', 'transactions', '--param', 'target=is_fraud', '--param', 'epochs=3', '--quiet']);
    expect(r.stderr).toContain('succeeded');
    const { runs } = await wbJson<{ runs: Array<{ id: string }> }>(home, ['run', 'list']);
    const run = await wbJson<RunJson>(home, ['run', 'show', runs[0]!.id]);
    expect(run.metrics.find((m) => m.key === 'train_loss')?.count).toBe(3);
    expect(run.artifacts.map((a) => a.name)).toContain('model.onnx');
  });
});
