import { describe, expect, test } from 'vitest';
import { findPython } from './templates.js';

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
