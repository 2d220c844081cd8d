/** Split a command line like a shell would for simple cases: spaces, 'single' and "double" quotes. */
export function splitCommand(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else if (ch === '\\' && i + 1 < s.length) {
      cur += s[++i];
    } else cur += ch;
  }
  if (has || cur) out.push(cur);
  return out;
}

/** A param value typed in a form: numbers and booleans become JSON numbers and booleans. */
export function parseParam(v: string): unknown {
  if (v.trim() === '') return v;
  const n = Number(v);
  if (Number.isFinite(n)) return n;
  if (v === 'true' || v === 'false') return v === 'true';
  return v;
}

