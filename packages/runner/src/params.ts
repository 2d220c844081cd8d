import { invalid } from '@workbench/core';

/** `--param lr=0.01` → { lr: 0.01 }: numbers and booleans become typed values, the rest strings. */
export function parseParamAssignments(list: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw invalid(`cannot read --param '${item}'`, 'write it as key=value, e.g. --param lr=0.01');
    const key = item.slice(0, eq).trim();
    const raw = item.slice(eq + 1);
    if (key === '') throw invalid(`cannot read --param '${item}': the name before '=' is empty`, 'write it as key=value, e.g. --param lr=0.01');
    if (key.length > 256) throw invalid(`param name too long: ${key.slice(0, 40)}…`);
    out[key] = typedValue(raw);
  }
  return out;
}

export function typedValue(raw: string): unknown {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw === 'null') return null;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw.trim())) {
    const n = Number(raw);
    // A whole number past 2^53 (an id, a seed) would come back changed as a double: keep its text.
    if (Number.isInteger(n) && !Number.isSafeInteger(n) && /^[-+]?\d+$/.test(raw.trim())) return raw;
    if (Number.isFinite(n)) return n;
  }
  return raw;
}

export function parseTagAssignments(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    const key = item.slice(0, Math.max(eq, 0)).trim();
    if (eq <= 0 || key === '') throw invalid(`cannot read --tag '${item}'`, 'write it as key=value, e.g. --tag team=fraud');
    out[key] = item.slice(eq + 1);
  }
  return out;
}
