import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { AppEntry } from '../config.js';
import type { ScanProblem } from '../types.js';
import { statOrNull, walkFiles } from './fs-info.js';

export interface AppFootprint {
  /** `dev:ino` of every file the app's folder holds or links to. */
  inodes: Set<string>;
  /** The app's path and, where it links out, the real paths of those links' targets. */
  paths: string[];
}

/** What each registered app's folder reaches: its files and the targets of its links. */
export function appUsage(apps: AppEntry[], problems: ScanProblem[]): Map<string, AppFootprint> {
  const out = new Map<string, AppFootprint>();
  for (const app of apps) {
    const fp: AppFootprint = { inodes: new Set(), paths: [path.resolve(app.path)] };
    const st = statOrNull(app.path);
    if (!st) {
      problems.push({ kind: 'unreadable', path: app.path, message: `app ${app.name}: ${app.path} does not exist` });
    } else if (st.isFile()) {
      fp.inodes.add(`${st.dev}:${st.ino}`);
    } else {
      for (const { rel } of walkFiles(app.path, () => {}, 6).slice(0, 100_000)) {
        const abs = path.join(app.path, rel);
        const fst = statOrNull(abs);
        if (!fst) continue;
        fp.inodes.add(`${fst.dev}:${fst.ino}`);
        try {
          const real = realpathSync(abs);
          if (real !== abs) fp.paths.push(real);
        } catch {
          // A dangling link reaches nothing.
        }
      }
    }
    out.set(app.name, fp);
  }
  return out;
}
