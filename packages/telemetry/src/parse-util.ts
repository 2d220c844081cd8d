/**
 * A number from a tool's text field, or null for the placeholders tools print when a value
 * is missing ("[N/A]", "[Not Supported]", "N/A", "", "[Unknown Error]").
 */
export function numOrNull(raw: string | number | undefined | null): number | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  const s = raw.trim();
  if (s === '' || s.startsWith('[') || /^n\/?a$/i.test(s)) return null;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

export class ParseError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
  }
}

export const MIB = 1024 * 1024;
