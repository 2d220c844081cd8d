import { newId } from '@workbench/core';
import { describe, expect, test } from 'vitest';
import { shortId } from './format';

describe('shortId', () => {
  test('runs created a few milliseconds apart, as a sweep creates them, get different short ids', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(newId());
      await new Promise((r) => setTimeout(r, 3));
    }
    expect(new Set(ids.map(shortId)).size).toBe(ids.length);
    // Each is a prefix the CLI resolves (wb run restore <short id>).
    for (const id of ids) expect(id.startsWith(shortId(id))).toBe(true);
  });
});
