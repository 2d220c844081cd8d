import type { GpuSample } from './types.js';
import { ParseError, numOrNull } from './parse-util.js';

export const rocmArgs = ['--showuse', '--showmeminfo', 'vram', '--showtemp', '--showpower', '--json'];

/** The first value whose key matches, in order of preference. */
function pick(card: Record<string, unknown>, patterns: RegExp[]): number | null {
  for (const p of patterns) {
    for (const [k, v] of Object.entries(card)) if (p.test(k)) {
      const n = numOrNull(typeof v === 'number' || typeof v === 'string' ? v : null);
      if (n !== null) return n;
    }
  }
  return null;
}

/** `rocm-smi … --json`: {"card0": {"GPU use (%)": "3", "VRAM Total Memory (B)": "…", …}, …}. */
export function parseRocmSmi(text: string): GpuSample[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ParseError('rocm-smi', 'output is not JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ParseError('rocm-smi', 'expected a JSON object of cards');
  const gpus: GpuSample[] = [];
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    const m = /^card(\d+)$/.exec(key);
    if (!m || !value || typeof value !== 'object') continue;
    const card = value as Record<string, unknown>;
    const name = typeof card['Card series'] === 'string' ? card['Card series'] : typeof card['Device Name'] === 'string' ? card['Device Name'] : `AMD GPU ${m[1]}`;
    gpus.push({
      vendor: 'amd',
      index: Number(m[1]),
      name,
      uuid: typeof card['Unique ID'] === 'string' ? card['Unique ID'] : null,
      utilPercent: pick(card, [/^GPU use \(%\)$/]),
      memUsedBytes: pick(card, [/^VRAM Total Used Memory \(B\)$/]),
      memTotalBytes: pick(card, [/^VRAM Total Memory \(B\)$/]),
      temperatureC: pick(card, [/^Temperature \(Sensor junction\) \(C\)$/, /^Temperature \(Sensor edge\) \(C\)$/, /^Temperature .*\(C\)$/]),
      powerW: pick(card, [/^Average Graphics Package Power \(W\)$/, /^Current Socket Graphics Package Power \(W\)$/, /Package Power \(W\)$/]),
      powerLimitW: pick(card, [/^Max Graphics Package Power \(W\)$/]),
      smClockMHz: null,
      memClockMHz: null,
      throttleReasons: null,
    });
  }
  gpus.sort((a, b) => a.index - b.index);
  return gpus;
}
