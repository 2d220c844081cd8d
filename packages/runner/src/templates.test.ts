import { describe, expect, test } from 'vitest';
import type { Template } from '@workbench/api';
import { findPython, getTemplate, resolveTemplateParams } from './templates.js';

describe('findPython', () => {
  test('a WB_PYTHON that cannot be started is named, with a fix for the setting rather than an install', () => {
    let err: unknown;
    try {
      findPython(['json'], { WB_PYTHON: '/nonexistent/python3' });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'DEPENDENCY_MISSING', message: 'WB_PYTHON is /nonexistent/python3, which cannot be started', hint: expect.stringContaining('point WB_PYTHON at a Python 3 interpreter') });
  });

  test('a WB_PYTHON that starts but lacks a module gets the install hint', () => {
    expect(() => findPython(['no_such_module_wb'], { WB_PYTHON: '/usr/bin/python3' })).toThrow('no Python interpreter here can import no_such_module_wb (tried /usr/bin/python3)');
  });
});

describe('template params', () => {
  const mlp = getTemplate('pytorch-mlp');
  const sk = getTemplate('tabular-sklearn');

  test('values out of range, of the wrong type, or not among the choices are refused before a run exists', () => {
    const cases: Array<[Template, Record<string, unknown>, RegExp]> = [
      [mlp, { target: 'y', epochs: -1 }, /--param epochs must be a whole number ≥ 1 and ≤ 100000, not -1/],
      [mlp, { target: 'y', epochs: 2.5 }, /epochs must be a whole number/],
      [mlp, { target: 'y', hidden: 1e12 }, /hidden must be a whole number ≥ 1 and ≤ 4096, not 1000000000000/],
      [mlp, { target: 'y', lr: 'fast' }, /lr must be a number > 0 and < 10, not "fast"/],
      [mlp, { target: 'y', lr: 0 }, /lr must be a number > 0/],
      [mlp, { target: 'y', val_size: 1 }, /val_size must be a number > 0 and < 1, not 1/],
      [mlp, { target: 'y', batch_size: Number.NaN }, /batch_size must be a whole number/],
      [mlp, { target: 'y', task: 'clustering' }, /task must be one of auto, classification, regression, not "clustering"/],
      [sk, { target: 'y', folds: 1 }, /folds must be a whole number ≥ 2, not 1/],
      [sk, { target: 'y', model: 'xgboost' }, /model must be one of auto, random_forest, linear/],
      [sk, { target: 'y', seed: '12345678901234567890123' }, /seed must be a whole number ≥ 0/],
    ];
    for (const [t, given, message] of cases) expect(() => resolveTemplateParams(t, given), JSON.stringify(given)).toThrow(message);
  });

  test('good values pass, numbers given as text become numbers, and defaults fill the rest', () => {
    const p = resolveTemplateParams(mlp, { target: 'label', epochs: '3', lr: 0.5, note: 'kept as given' });
    expect(p).toMatchObject({ target: 'label', epochs: 3, lr: 0.5, hidden: 64, task: 'auto', val_size: 0.2, note: 'kept as given' });
    expect(resolveTemplateParams(sk, { target: 'y', test_size: 30 })).toMatchObject({ test_size: 30, folds: 5, model: 'auto' });
    expect(() => resolveTemplateParams(sk, {})).toThrow(/needs --param target=/);
  });
});
