import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CacheSummary } from './state.js';

// Node builtins only: `wb cache status` reads the saved summary without loading SQLite,
// YAML or the scanners, which is what keeps it fast on a machine with 100,000 model files.

/** Derived state (scan summary, journals, links) lives beside the workspace database. */
export const stateDir = (workspaceDir: string): string => path.join(workspaceDir, 'modelcache');
export const summaryFile = (dir: string): string => path.join(dir, 'summary.json');

/** null when no scan has run yet (or the file is unreadable: a rescan rewrites it). */
export async function readSummary(dir: string): Promise<CacheSummary | null> {
  try {
    const s = JSON.parse(await readFile(summaryFile(dir), 'utf8')) as CacheSummary;
    return s && s.version === 1 && Array.isArray(s.models) ? s : null;
  } catch {
    return null;
  }
}
