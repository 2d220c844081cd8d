import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout this code runs from: the first folder upwards that holds
 * packages/server/package.json. Found by walking up, so it works from src/, dist/ and the
 * bundled CLI (packages/cli/dist/bundle) alike.
 */
function findRepoRoot(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(path.join(dir, 'packages', 'server', 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

export const repoRoot = findRepoRoot();

/** packages/web/dist of the checkout (served at / when it has an index.html). */
export const defaultWebDir: string | null = repoRoot ? path.join(repoRoot, 'packages', 'web', 'dist') : null;

/** This package's package.json. */
export const serverPackageJson: string | null = repoRoot ? path.join(repoRoot, 'packages', 'server', 'package.json') : null;
