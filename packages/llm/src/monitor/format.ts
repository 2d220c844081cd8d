/** Compact human figures shared by the terminal views. */
export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  if (n < 1024) return `${n} B`;
  const u = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${u[i]}`;
}

export const fmtNum = (n: number | null | undefined, digits = 1): string => (n === null || n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));

const SPARKS = '▁▂▃▄▅▆▇█';

/** A sparkline of the last `width` values; gaps (null) are blank. */
export function sparkline(values: Array<number | null>, width: number, max?: number): string {
  const v = values.slice(-width);
  const finite = v.filter((x): x is number => x !== null && Number.isFinite(x));
  const hi = max ?? Math.max(1e-9, ...finite);
  return v.map((x) => (x === null || !Number.isFinite(x) ? ' ' : SPARKS[Math.min(7, Math.max(0, Math.round((x / hi) * 7)))])).join('').padStart(width);
}

/** A bar gauge like [||||||    ] 61%. */
export function gauge(fraction: number | null, width: number): string {
  if (fraction === null || !Number.isFinite(fraction)) return `[${' '.repeat(width)}]  n/a`;
  const f = Math.min(1, Math.max(0, fraction));
  const n = Math.round(f * width);
  return `[${'|'.repeat(n)}${' '.repeat(width - n)}] ${String(Math.round(f * 100)).padStart(3)}%`;
}
