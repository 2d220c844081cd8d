/**
 * Ollama's `keep_alive`: a number is seconds, a string is a Go-style duration ("5m", "1h30m",
 * "300ms") or a bare number of seconds; 0 unloads as soon as the model is idle and a negative
 * value keeps it loaded until the server stops. Returns milliseconds, `Infinity` for "forever".
 */
export const DEFAULT_KEEP_ALIVE_MS = 5 * 60_000;

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export class KeepAliveError extends Error {}

export function parseKeepAlive(value: unknown, fallbackMs = DEFAULT_KEEP_ALIVE_MS): number {
  if (value === undefined || value === null || value === '') return fallbackMs;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new KeepAliveError(`keep_alive must be a finite number of seconds, got ${value}`);
    return value < 0 ? Infinity : value * 1000;
  }
  if (typeof value !== 'string') throw new KeepAliveError(`keep_alive must be a number of seconds or a duration like "5m", got ${JSON.stringify(value)}`);
  const s = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) return parseKeepAlive(Number(s), fallbackMs);
  const negative = s.startsWith('-');
  const body = negative ? s.slice(1) : s;
  const parts = [...body.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== body) throw new KeepAliveError(`keep_alive: cannot read duration ${JSON.stringify(value)} (examples: "5m", "1h", "30s", 0, -1)`);
  if (negative) return Infinity;
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
}
