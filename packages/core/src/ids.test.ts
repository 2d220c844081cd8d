import { expect, test } from 'vitest';
import { newId, newToken } from './ids.js';

test('ids are 18 lower-case base32 characters, unique, and sort by creation time', async () => {
  const ids = Array.from({ length: 20_000 }, () => newId());
  for (const id of ids.slice(0, 100)) expect(id).toMatch(/^[0-9a-hjkmnp-tv-z]{18}$/);
  expect(new Set(ids).size).toBe(ids.length);
  const a = newId();
  await new Promise((r) => setTimeout(r, 5));
  expect(newId() > a).toBe(true);
  // The random tail uses every character: no stuck bits.
  const tails = new Set(ids.flatMap((id) => id.slice(10).split('')));
  expect(tails.size).toBe(32);
});

test('tokens are long and url-safe', () => {
  const t = newToken();
  expect(t).toMatch(/^[A-Za-z0-9_-]{32}$/);
  expect(newToken()).not.toBe(t);
});
