/** Plain-text tables and human formats for the terminal; `--json` bypasses all of this. */
export function table(rows: Array<Record<string, unknown>>, columns: Array<{ key: string; title: string; align?: 'right' }>): string {
  if (rows.length === 0) return '';
  const cells = rows.map((r) => columns.map((c) => (r[c.key] == null ? '' : visible(String(r[c.key])))));
  const titles = columns.map((c) => visible(c.title.toUpperCase()));
  const widths = columns.map((_c, i) => Math.min(60, Math.max(titles[i]!.length, ...cells.map((row) => row[i]!.length))));
  const fmt = (vals: string[]) =>
    vals
      .map((v, i) => {
        const w = widths[i]!;
        const cut = v.length > w ? v.slice(0, w - 1) + '…' : v;
        return columns[i]!.align === 'right' ? cut.padStart(w) : cut.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [fmt(titles), ...cells.map(fmt)].join('\n') + '\n';
}

/** A newline or tab inside a value (a tag, a name from an older workspace) would split its row: show it escaped. */
export function visible(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => ({ '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A command as a shell would need it typed: `python3 -c 'print(1)'`, not `python3 -c print(1)`. */
export function commandLine(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** "1 file", "3 files". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.round(s % 60)}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function ago(isoTime: string | null): string {
  if (!isoTime) return '';
  const ms = Date.now() - Date.parse(isoTime);
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))}s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m ago`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)}h ago`;
  return isoTime.slice(0, 10);
}

export function num(v: number | null | undefined): string {
  if (v === null || v === undefined) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6 ? v.toPrecision(6).replace(/\.?0+$/, '') : v.toExponential(4);
}

/** JSON for scripts. NaN and ±Infinity, which JSON lacks, are written as strings, as on the wire. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity') : v), 2) + '\n');
}

export const isTty = (): boolean => Boolean(process.stdout.isTTY);
