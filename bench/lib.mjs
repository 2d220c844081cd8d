// Shared helpers for benchmarks: each bench prints one JSON object of figures on stdout.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const dist = (pkg) => path.join(root, 'packages', pkg, 'dist', 'index.js');
export const quick = process.argv.includes('--quick') || process.env.WB_BENCH_QUICK === '1';

export async function tempHome(prefix = 'wb-bench-') {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

export function report(name, figures) {
  process.stdout.write(JSON.stringify({ bench: name, machine: { cpus: os.availableParallelism(), node: process.version }, ...figures }) + '\n');
}

export const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return percentile(s, 50);
}

/** A file of `mb` MiB of a cheap non-repeating pattern (incompressible enough, no RNG cost). */
export async function writePatternFile(file, mb) {
  const { open } = await import('node:fs/promises');
  const fh = await open(file, 'w');
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < mb; i++) {
    for (let j = 0; j < block.length; j += 4) block.writeUInt32LE((i * 2654435761 + j) >>> 0, j);
    await fh.write(block);
  }
  await fh.close();
}
