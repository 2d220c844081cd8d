import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The first folder, from the module at `fromUrl` upwards, that holds `marker` (a relative
 * path). Used to find the checkout's own files (the Python client, templates, the web build)
 * from src/, dist/ and the bundled CLI alike, whose depths differ.
 */
export function findUp(fromUrl: string, marker: string, maxDepth = 8): string | null {
  let dir = path.dirname(fileURLToPath(fromUrl));
  for (let i = 0; i < maxDepth; i++) {
    if (existsSync(path.join(dir, marker))) return dir;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}
