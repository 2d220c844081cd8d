import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout this code runs from: the first folder upwards that holds the Python client.
 * Found by walking up, so it works from src/, dist/ and the bundled CLI alike.
 */
function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(path.join(dir, 'python', 'workbench', '__init__.py'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

const repoRoot = findRepoRoot();

/** The folder that holds the `workbench` Python package, put first on children's PYTHONPATH. */
export const pythonClientDir = process.env.WB_PYTHON_CLIENT_DIR ?? path.join(repoRoot, 'python');
/** Where built-in training templates live. */
export const templatesDir = process.env.WB_TEMPLATES_DIR ?? path.join(repoRoot, 'templates');
